// Stable error and close codes of the WebSocket API, shared by the gateway (which sends them) and
// its clients. Codes are snake_case strings and are never renamed; new codes may be added. A message
// answered with an error changed nothing. Engine rejections of an instruction use RejectCode.

export const WS_ERROR_CODES = {
  malformed_frame: 'The frame is not valid JSON (text frame) or msgpack (binary frame), or exceeds a decode limit.',
  not_an_object: 'A message must be an object (a JSON object or a msgpack map).',
  invalid_id: 'The message id is missing or is not a non-negative safe integer or a string of 1–64 characters.',
  unknown_type: 'The message type is missing or not one this API version knows.',
  unknown_field: 'The message has a field its type does not define.',
  forbidden_field: 'The message sets a field the server owns (such as accountId); a session acts only for its own account.',
  invalid_field: 'A field is missing, of the wrong type, or out of range (amounts are integers of minor units within their maximum).',
  login_required: 'The message needs an account: this connection was opened without credentials and may only subscribe to market data and ping.',
  unknown_market: 'No such market.',
  unknown_event: 'No such event (or the gateway has no catalog).',
  not_subscribed: 'There is no such subscription on this connection.',
  too_many_subscriptions: 'The connection already has its maximum number of market subscriptions.',
  engine_unavailable: 'The engine did not accept the command (no leader, or it is stopping); nothing was journaled. Retry with the same client order id.',
} as const;

export type WsErrorCode = keyof typeof WS_ERROR_CODES;

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
