// Stored first responses of requests sent with an Idempotency-Key, per account and route. The
// first request claims the key (a row with no response yet); the same key with the same body then
// gets the stored response, with another body a mismatch. A claim left without a response (the
// process died mid-request) may be taken over after `claimTimeoutSeconds`; the command it carried
// has an idempotency key of its own in the engine, so a second attempt cannot apply it twice.

import type pg from 'pg';
import type { AccountId } from '@playchacha/protocol';

export type IdempotencyClaim =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'replay'; readonly statusCode: number; readonly response: unknown }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'in_progress' };

export interface IdempotencyScope {
  readonly accountId: AccountId;
  readonly route: string;
  readonly key: string;
}

interface Row {
  request_hash: Buffer;
  status_code: number | null;
  response: unknown;
  stale: boolean;
}

export class IdempotencyStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly claimTimeoutSeconds = 30,
  ) {}

  async claim(scope: IdempotencyScope, requestHash: Buffer): Promise<IdempotencyClaim> {
    const inserted = await this.pool.query(
      `INSERT INTO gateway_idempotency_keys (account_id, route, idempotency_key, request_hash)
       VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [scope.accountId, scope.route, scope.key, requestHash],
    );
    if (inserted.rowCount === 1) return { kind: 'claimed' };
    const found = await this.pool.query<Row>(
      `SELECT request_hash, status_code, response, created_at < now() - make_interval(secs => $4) AS stale
       FROM gateway_idempotency_keys WHERE account_id = $1 AND route = $2 AND idempotency_key = $3`,
      [scope.accountId, scope.route, scope.key, this.claimTimeoutSeconds],
    );
    const row = found.rows[0];
    if (row === undefined) return this.claim(scope, requestHash);
    if (!row.request_hash.equals(requestHash)) return { kind: 'mismatch' };
    if (row.status_code !== null) return { kind: 'replay', statusCode: row.status_code, response: row.response };
    if (!row.stale) return { kind: 'in_progress' };
    const taken = await this.pool.query(
      `UPDATE gateway_idempotency_keys SET created_at = now()
       WHERE account_id = $1 AND route = $2 AND idempotency_key = $3 AND status_code IS NULL
         AND created_at < now() - make_interval(secs => $4)`,
      [scope.accountId, scope.route, scope.key, this.claimTimeoutSeconds],
    );
    return taken.rowCount === 1 ? { kind: 'claimed' } : { kind: 'in_progress' };
  }

  async complete(scope: IdempotencyScope, statusCode: number, response: unknown): Promise<void> {
    await this.pool.query(
      `UPDATE gateway_idempotency_keys SET status_code = $4, response = $5
       WHERE account_id = $1 AND route = $2 AND idempotency_key = $3`,
      [scope.accountId, scope.route, scope.key, statusCode, JSON.stringify(response)],
    );
  }

  /** Drops a claim whose request failed without a result to keep, so that a retry runs again. */
  async release(scope: IdempotencyScope): Promise<void> {
    await this.pool.query(
      'DELETE FROM gateway_idempotency_keys WHERE account_id = $1 AND route = $2 AND idempotency_key = $3 AND status_code IS NULL',
      [scope.accountId, scope.route, scope.key],
    );
  }
}
