// Error codes, upgrade rejections and close codes of the WebSocket API. The error codes are
// defined in the protocol package (protocol/src/ws-error-codes.ts), shared with the clients.

export { WS_ERROR_CODES, type WsErrorCode } from '@playchacha/protocol';

/** HTTP statuses answered to an upgrade request instead of 101. */
export const UPGRADE_REJECTIONS = {
  unauthorized: { status: '401 Unauthorized', description: 'No credentials, or the token or API key is invalid, expired, for another audience or issuer, or unsigned.' },
  too_many_connections: { status: '429 Too Many Requests', description: 'The account already has its maximum number of open connections (or, without credentials, the remote address has).' },
  bad_request: { status: '400 Bad Request', description: 'A query parameter is invalid (cancelOnDisconnectMs out of range, or an unknown encoding).' },
} as const;

export type UpgradeRejection = keyof typeof UPGRADE_REJECTIONS;

/** WebSocket close codes the server uses (RFC 6455 §7.4 and the private 4000–4999 range). */
export const WS_CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  /** The per-connection message rate was exceeded. */
  policyViolation: 1008,
  /** A frame over maxPayloadLength (closed by the transport). */
  messageTooBig: 1009,
  /** The access token expired while connected; reconnect with a fresh one. */
  tokenExpired: 4001,
  /** The server's send queue for this connection passed its limit (slow consumer). */
  backpressure: 4002,
} as const;
