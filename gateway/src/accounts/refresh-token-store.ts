// Refresh tokens: random, stored as SHA-256 hashes, in families. A login starts a family; every
// refresh rotates the token (the old one is marked rotated, a new one of the same family is
// issued). Presenting a token that was already rotated means it was copied: the whole family is
// revoked, so neither the thief nor the owner can refresh again without logging in.

import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AccountId } from '@playchacha/protocol';
import { randomSecret, sha256 } from './secrets.js';
import { inTransaction } from '../../../settlement/src/db/database.js';

export type RotateResult =
  | { readonly ok: true; readonly accountId: AccountId; readonly refreshToken: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' | 'revoked' | 'reused' };

interface TokenRow {
  family_id: string;
  account_id: string;
  expired: boolean;
  rotated_at: Date | null;
  revoked_at: Date | null;
}

export class RefreshTokenStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlSeconds: number,
  ) {}

  /** Starts a new family (a login). */
  async issue(accountId: AccountId): Promise<string> {
    return this.insert(this.pool, accountId, randomUUID());
  }

  async rotate(refreshToken: string): Promise<RotateResult> {
    return inTransaction(this.pool, async (client) => {
      const found = await client.query<TokenRow>(
        `SELECT family_id, account_id, expires_at <= now() AS expired, rotated_at, revoked_at
         FROM gateway_refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
        [sha256(refreshToken)],
      );
      const row = found.rows[0];
      let result: RotateResult;
      if (row === undefined) result = { ok: false, reason: 'unknown' };
      else if (row.revoked_at !== null) result = { ok: false, reason: 'revoked' };
      else if (row.rotated_at !== null) {
        await this.revokeFamilyWith(client, row.family_id);
        result = { ok: false, reason: 'reused' };
      } else if (row.expired) result = { ok: false, reason: 'expired' };
      else {
        await client.query('UPDATE gateway_refresh_tokens SET rotated_at = now() WHERE token_hash = $1', [sha256(refreshToken)]);
        const accountId = Number(row.account_id);
        result = { ok: true, accountId, refreshToken: await this.insert(client, accountId, row.family_id) };
      }
      return result;
    });
  }

  /** Revokes the family of the token (a logout); returns false when the token is unknown. */
  async revokeFamily(refreshToken: string): Promise<boolean> {
    const found = await this.pool.query<{ family_id: string }>('SELECT family_id FROM gateway_refresh_tokens WHERE token_hash = $1', [sha256(refreshToken)]);
    const row = found.rows[0];
    if (row === undefined) return false;
    await this.revokeFamilyWith(this.pool, row.family_id);
    return true;
  }

  private async revokeFamilyWith(db: pg.Pool | pg.PoolClient, familyId: string): Promise<void> {
    await db.query('UPDATE gateway_refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [familyId]);
  }

  private async insert(db: pg.Pool | pg.PoolClient, accountId: AccountId, familyId: string): Promise<string> {
    const token = randomSecret();
    await db.query(
      `INSERT INTO gateway_refresh_tokens (token_hash, family_id, account_id, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [sha256(token), familyId, accountId, this.ttlSeconds],
    );
    return token;
  }
}
