// The payments API's errors: stable snake_case codes with their HTTP status, answered as
// `{ "error": { "code", "message" } }` (the gateway's shape). An error answer changed nothing,
// unless its description says otherwise.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export const PAYMENT_ERRORS = {
  invalid_request: { status: 400, message: 'A field or header is missing, of the wrong type, unknown or out of range (amounts are integers of minor units within their maximum).' },
  malformed_json: { status: 400, message: 'The body is not valid JSON.' },
  missing_idempotency_key: { status: 400, message: 'This route moves money and needs an Idempotency-Key header (1–128 visible ASCII characters).' },
  invalid_signature: { status: 400, message: 'The Stripe-Signature header is missing, does not match the body, or is outside the tolerance.' },
  unauthorized: { status: 401, message: 'No access token, or it is invalid, expired, or for another issuer or audience.' },
  not_found: { status: 404, message: 'No such route.' },
  self_excluded: { status: 403, message: 'The account has excluded itself until the time in its profile: it may not deposit (withdrawals stay allowed).' },
  kyc_rejected: { status: 403, message: 'The account\'s identity check was rejected: it may not deposit or withdraw.' },
  kyc_not_verified: { status: 403, message: 'Withdrawals need a verified identity (KYC); submit documents to be verified. Nothing was reserved or paid.' },
  test_deposits_disabled: { status: 404, message: 'Test deposits exist only while no Stripe keys are configured.' },
  stripe_not_configured: { status: 503, message: 'No Stripe keys are configured; only test deposits and test withdrawals are available.' },
  unsupported_media_type: { status: 415, message: 'The body must be application/json.' },
  idempotency_key_mismatch: { status: 422, message: 'This Idempotency-Key was used with a different request body.' },
  kyc_deposit_cap: { status: 422, message: 'Deposits are capped in total until the account is verified (KYC); submit documents to be verified.' },
  deposit_limit_exceeded: { status: 422, message: 'The deposit would exceed the account\'s own deposit limit for its period.' },
  deposit_daily_cap: { status: 422, message: 'The deposit would take the account over the service\'s cap on deposits in any 24 hours.' },
  insufficient_funds: { status: 422, message: 'The withdrawal needs more than the available balance; nothing was reserved or paid.' },
  withdrawal_refused: { status: 422, message: 'The engine refused the withdrawal; nothing was reserved or paid.' },
  account_frozen: { status: 422, message: 'The account is frozen by the exchange: it may not withdraw; nothing was reserved or paid.' },
  stripe_unavailable: { status: 502, message: 'Stripe did not answer; retry with the same Idempotency-Key (nothing is paid twice).' },
  engine_unavailable: { status: 503, message: 'The engine did not answer; retry with the same Idempotency-Key.' },
  internal_error: { status: 500, message: 'An unexpected error; retry with the same Idempotency-Key.' },
} as const;

export type PaymentErrorCode = keyof typeof PAYMENT_ERRORS;

export class PaymentError extends Error {
  readonly statusCode: number;
  constructor(readonly code: PaymentErrorCode, message?: string, cause?: unknown) {
    super(message ?? PAYMENT_ERRORS[code].message, cause === undefined ? undefined : { cause });
    this.statusCode = PAYMENT_ERRORS[code].status;
  }
}

export const ERROR_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

/** Response schemas for the error statuses a route can answer. */
export function errorResponses(...statuses: number[]): Record<number, typeof ERROR_BODY> {
  return Object.fromEntries([...new Set([400, 401, 500, ...statuses])].map((status) => [status, ERROR_BODY]));
}

export function sendError(reply: FastifyReply, code: PaymentErrorCode, message?: string): FastifyReply {
  return reply.code(PAYMENT_ERRORS[code].status).send({ error: { code, message: message ?? PAYMENT_ERRORS[code].message } });
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof PaymentError) return sendError(reply, error.code, error.message);
  if (error.validation !== undefined) return sendError(reply, 'invalid_request', `${error.validationContext ?? 'request'} ${error.message}`);
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, 'unsupported_media_type');
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError) return sendError(reply, 'malformed_json');
  request.log.error({ err: error }, 'payments request failed');
  return sendError(reply, 'internal_error');
}
