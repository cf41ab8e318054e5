// Idempotency-Key handling for routes that move money: the same key with the same body answers
// the stored first response (with `Idempotent-Replayed: true`), the same key with another body
// is 422. Results worth keeping (success, or a definite refusal) are stored; a failure to reach
// the engine is not, so a retry runs again.

import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IdempotencyScope } from '../accounts/idempotency-store.js';
import { principalOf, type Services } from './context.js';
import { ApiError } from './errors.js';

export interface RouteResult {
  readonly statusCode: number;
  readonly body: unknown;
}

/** JSON with object keys sorted, so that the same body in another key order hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function idempotencyKeyOf(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') throw new ApiError('missing_idempotency_key');
  return key;
}

/** A 1–32 character id derived from the key, for engine-level idempotency (client order id, transfer id). */
export function derivedId(prefix: string, ...parts: Array<string | number>): string {
  return prefix + createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 32 - prefix.length);
}

export async function idempotent(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  route: string,
  run: (key: string) => Promise<RouteResult>,
): Promise<FastifyReply> {
  const key = idempotencyKeyOf(request);
  const scope: IdempotencyScope = { accountId: principalOf(request).accountId, route, key };
  const requestHash = createHash('sha256').update(canonicalJson(request.body ?? null)).digest();
  const claim = await services.idempotency.claim(scope, requestHash);
  switch (claim.kind) {
    case 'mismatch':
      throw new ApiError('idempotency_key_mismatch');
    case 'in_progress':
      throw new ApiError('idempotency_in_progress');
    case 'replay':
      return reply.code(claim.statusCode).header('idempotent-replayed', 'true').send(claim.response);
    case 'claimed':
      break;
  }
  let result: RouteResult;
  try {
    result = await run(key);
  } catch (error) {
    if (error instanceof ApiError && error.statusCode < 500) {
      await services.idempotency.complete(scope, error.statusCode, { error: { code: error.code, message: error.message } });
    } else {
      await services.idempotency.release(scope);
    }
    throw error;
  }
  await services.idempotency.complete(scope, result.statusCode, result.body);
  return reply.code(result.statusCode).send(result.body);
}
