// The REST API's errors: stable snake_case codes, each with its HTTP status, answered as
// `{ "error": { "code", "message" } }`. Engine reject codes (protocol/src/reject-codes.ts) are
// answered with the same body and the status below. A request answered with an error changed
// nothing, except where its code says otherwise.

import Type from 'typebox';
import { REJECT_CODES, type RejectCode } from '@playchacha/protocol';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export const API_ERRORS = {
  invalid_request: { status: 400, description: 'A field is missing, of the wrong type or out of range (amounts are integers of minor units within their maximum; strings are never converted to numbers).' },
  unknown_field: { status: 400, description: 'The body has a field the route does not define.' },
  forbidden_field: { status: 400, description: 'The body sets a field the server owns (accountId, userId, role, isAdmin…); a request acts only for its own account.' },
  malformed_json: { status: 400, description: 'The body is not valid JSON.' },
  missing_idempotency_key: { status: 400, description: 'This route moves money and needs an Idempotency-Key header (1–128 visible ASCII characters).' },
  unauthorized: { status: 401, description: 'No access token or API key, or it is invalid, expired, unsigned, or for another issuer or audience.' },
  invalid_credentials: { status: 401, description: 'The email or password is wrong.' },
  invalid_refresh_token: { status: 401, description: 'The refresh token is unknown, expired or revoked; log in again.' },
  oidc_failed: { status: 401, description: 'The OpenID Connect login failed (unknown or expired state, or the provider\'s answer did not verify); start again.' },
  refresh_token_reused: { status: 401, description: 'The refresh token was already used: every token of its login was revoked; log in again.' },
  forbidden: { status: 403, description: 'The account\'s role may not use this route.' },
  self_excluded: { status: 403, description: 'The account has excluded itself until the time in its profile: no deposits, and no order that adds risk.' },
  registration_closed: { status: 403, description: 'Registration of new users is switched off (the platform configuration\'s registrationOpen flag).' },
  no_matched_bets: { status: 403, description: 'The account had no matched bets on the market: there is nothing for it to dispute.' },
  kyc_rejected: { status: 403, description: 'The account\'s identity check was rejected: it may not deposit or withdraw.' },
  not_found: { status: 404, description: 'No such route.' },
  market_not_found: { status: 404, description: 'No such market.' },
  order_not_found: { status: 404, description: 'The account has no such open order.' },
  user_not_found: { status: 404, description: 'No such user.' },
  account_not_found: { status: 404, description: 'No such exchange account.' },
  event_not_found: { status: 404, description: 'No such event in the catalog.' },
  dispute_not_found: { status: 404, description: 'The account has no such dispute (another account\'s dispute is not found either).' },
  sport_not_found: { status: 404, description: 'No such sport in the catalog (give sportName to create one).' },
  email_taken: { status: 409, description: 'The email is already registered.' },
  idempotency_in_progress: { status: 409, description: 'A request with this Idempotency-Key is still being processed; retry later.' },
  event_started: { status: 409, description: 'The event has started: its start time can no longer change.' },
  event_finished: { status: 409, description: 'The event has a result (finished, postponed or abandoned): it can no longer change.' },
  result_conflict: { status: 409, description: 'The event already has a different result; a market\'s result is corrected with POST /v1/admin/markets/{marketId}/resettle.' },
  market_not_settled: { status: 409, description: 'The market has no result in the ledger yet (it is not settled or void): there is nothing to dispute.' },
  dispute_window_closed: { status: 409, description: 'The window for disputing the market\'s result is over.' },
  dispute_open: { status: 409, description: 'The account already has an open dispute on this market.' },
  dispute_not_open: { status: 409, description: 'The dispute is already resolved.' },
  kyc_not_pending: { status: 409, description: 'The account is not awaiting a KYC review.' },
  kyc_already_verified: { status: 409, description: 'The account is already verified.' },
  market_finished: { status: 409, description: 'The market is settled or void.' },
  market_definition_fixed: { status: 409, description: 'Ladder, minimum stake, commission and persistence are fixed once the engine market exists; only the bet delay can change.' },
  payload_too_large: { status: 413, description: 'The body is larger than the route allows.' },
  unsupported_media_type: { status: 415, description: 'The body must be application/json.' },
  kyc_deposit_cap: { status: 422, description: 'Deposits are capped in total until the account is verified (KYC); submit documents to be verified.' },
  deposit_limit_exceeded: { status: 422, description: 'The deposit would exceed the account\'s own deposit limit for its period.' },
  feed_invalid: { status: 422, description: 'The feed has bad rows (listed in error.rows); nothing was imported.' },
  idempotency_key_mismatch: { status: 422, description: 'This Idempotency-Key was used with a different request body.' },
  rate_limited: { status: 429, description: 'Too many requests; see Retry-After and the X-RateLimit-* headers.' },
  internal_error: { status: 500, description: 'An unexpected error; nothing is known to have changed.' },
  oidc_unavailable: { status: 503, description: 'The OpenID Connect provider could not be reached.' },
  ledger_unavailable: { status: 503, description: 'The ledger of record is not reachable from this gateway (the settlement worker writes to another database).' },
  engine_unavailable: { status: 503, description: 'The engine did not accept the command (no leader, or it is stopping); retry with the same Idempotency-Key.' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;
export type ErrorCode = ApiErrorCode | RejectCode;

/** HTTP statuses of engine rejections; every other reject code is 422. */
const REJECT_STATUS: Partial<Record<RejectCode, number>> = {
  unknown_market: 404,
  unknown_order: 404,
  unknown_account: 404,
  market_exists: 409,
  account_exists: 409,
  invalid_transition: 409,
  duplicate_transfer: 409,
};

export function rejectStatus(code: RejectCode): number {
  return REJECT_STATUS[code] ?? 422;
}

export class ApiError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message?: string,
  ) {
    const known = Object.hasOwn(API_ERRORS, code) ? API_ERRORS[code as ApiErrorCode] : null;
    super(message ?? known?.description ?? REJECT_CODES[code as RejectCode]);
    this.statusCode = known?.status ?? rejectStatus(code as RejectCode);
  }
}

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false }) },
  { additionalProperties: false, description: 'An error with a stable code (see /docs/json and the errors table in gateway/README.md).' },
);

/** Response schemas of the error statuses a route can answer. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorBody> {
  const all = new Set([400, 429, 500, ...statuses]);
  return Object.fromEntries([...all].map((status) => [status, ErrorBody]));
}

/** Fields a client may never set on any route: the server takes them from the credentials. */
const FORBIDDEN_FIELDS = new Set(['accountId', 'userId', 'role', 'isAdmin', 'admin', 'status', 'balanceMinor']);

export function toApiError(error: FastifyError | ApiError): ApiError {
  if (error instanceof ApiError) return error;
  const validation = (error as FastifyError).validation;
  if (validation !== undefined) {
    if (error.validationContext === 'headers') return new ApiError('missing_idempotency_key');
    const first = validation[0];
    const field = (first?.params as { additionalProperty?: unknown } | undefined)?.additionalProperty;
    if (first?.keyword === 'additionalProperties' && typeof field === 'string') {
      return FORBIDDEN_FIELDS.has(field) ? new ApiError('forbidden_field', `${field} may not be set`) : new ApiError('unknown_field', `unknown field ${field}`);
    }
    const where = `${error.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
    return new ApiError('invalid_request', `${where} ${first?.message ?? 'is invalid'}`);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('malformed_json');
    default:
      break;
  }
  if (error instanceof SyntaxError || error.statusCode === 400) return new ApiError('malformed_json');
  if (error.statusCode === 429) return new ApiError('rate_limited');
  if (error.statusCode === 413) return new ApiError('payload_too_large');
  if (error.statusCode === 415) return new ApiError('unsupported_media_type');
  return new ApiError('internal_error');
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.statusCode).type('application/json').send({ error: { code: error.code, message: error.message } });
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const apiError = toApiError(error);
  if (apiError.code === 'internal_error') request.log.error({ err: error }, 'unexpected error');
  return sendError(reply, apiError);
}
