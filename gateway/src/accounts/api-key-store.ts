// Market makers' API keys: returned once when created, stored as a SHA-256 hash (a key is 256
// random bits, so a fast hash cannot be brute-forced) with a short prefix to recognise it by.

import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AccountId } from '@playchacha/protocol';
import { isRole, type Role } from './roles.js';
import { randomSecret, sha256 } from './secrets.js';

export const API_KEY_PREFIX = 'pcc_';
const SHOWN_PREFIX_CHARS = 12;

export interface CreatedApiKey {
  readonly apiKeyId: string;
  readonly apiKey: string;
  readonly keyPrefix: string;
  readonly label: string;
  readonly createdAt: string;
}

export interface ApiKeyOwner {
  readonly accountId: AccountId;
  readonly role: Role;
}

export class ApiKeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(accountId: AccountId, label: string): Promise<CreatedApiKey> {
    const apiKey = randomSecret(API_KEY_PREFIX);
    const apiKeyId = randomUUID();
    const keyPrefix = apiKey.slice(0, SHOWN_PREFIX_CHARS);
    const result = await this.pool.query<{ created_at: Date }>(
      `INSERT INTO gateway_api_keys (api_key_id, key_hash, key_prefix, account_id, label)
       VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
      [apiKeyId, sha256(apiKey), keyPrefix, accountId, label],
    );
    const createdAt = (result.rows[0] as { created_at: Date }).created_at.toISOString();
    return { apiKeyId, apiKey, keyPrefix, label, createdAt };
  }

  /** The owner of a live key, or null. */
  async owner(apiKey: string): Promise<ApiKeyOwner | null> {
    if (!apiKey.startsWith(API_KEY_PREFIX) || apiKey.length > 128) return null;
    const result = await this.pool.query<{ account_id: string; role: string }>(
      `SELECT k.account_id, u.role FROM gateway_api_keys k JOIN gateway_users u USING (account_id)
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [sha256(apiKey)],
    );
    const row = result.rows[0];
    if (row === undefined || !isRole(row.role)) return null;
    return { accountId: Number(row.account_id), role: row.role };
  }

  /** Revokes one of the account's keys; false when it has no such live key. */
  async revoke(accountId: AccountId, apiKeyId: string): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE gateway_api_keys SET revoked_at = now() WHERE api_key_id = $1 AND account_id = $2 AND revoked_at IS NULL',
      [apiKeyId, accountId],
    );
    return result.rowCount === 1;
  }
}
