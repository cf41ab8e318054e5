// Error codes, upgrade rejections and close codes of the WebSocket API. The error and close codes
// are defined in the protocol package (protocol/src/ws-error-codes.ts), shared with the clients.

export { WS_CLOSE_CODES, WS_ERROR_CODES, type WsErrorCode } from '@playchacha/protocol';

/** HTTP statuses answered to an upgrade request instead of 101. */
export const UPGRADE_REJECTIONS = {
  unauthorized: { status: '401 Unauthorized', description: 'No credentials, or the token or API key is invalid, expired, for another audience or issuer, or unsigned.' },
  too_many_connections: { status: '429 Too Many Requests', description: 'The account already has its maximum number of open connections (or, without credentials, the remote address has).' },
  bad_request: { status: '400 Bad Request', description: 'A query parameter is invalid (cancelOnDisconnectMs out of range, or an unknown encoding).' },
} as const;

export type UpgradeRejection = keyof typeof UPGRADE_REJECTIONS;
