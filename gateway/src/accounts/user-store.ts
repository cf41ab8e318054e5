// Users in PostgreSQL. Each user owns exactly one exchange account, and its account id is the
// user's id: allocated from a sequence (never reused), and opened in the engine inside the
// transaction that creates the user, so a user row exists only for an account the engine opened.

import type pg from 'pg';
import type { AccountId, AccountLimits } from '@playchacha/protocol';
import { isRole, type Role } from './roles.js';
import { inTransaction } from '../../../settlement/src/db/database.js';

export interface User {
  readonly accountId: AccountId;
  readonly email: string;
  readonly passwordHash: string;
  readonly role: Role;
}

export class EmailTakenError extends Error {
  constructor() {
    super('the email is already registered');
  }
}

interface UserRow {
  account_id: string;
  email: string;
  password_hash: string;
  role: string;
}

function toUser(row: UserRow): User {
  if (!isRole(row.role)) throw new Error(`unknown role in gateway_users: ${row.role}`);
  return { accountId: Number(row.account_id), email: row.email, passwordHash: row.password_hash, role: row.role };
}

export class UserStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Creates the user with its trading limits and calls `openAccount` with its new account id
   * before committing; if that throws, nothing is kept (the account id is skipped).
   */
  async create(
    email: string,
    passwordHash: string,
    role: Role,
    tradingLimits: AccountLimits,
    openAccount: (accountId: AccountId) => Promise<void>,
  ): Promise<User> {
    return inTransaction(this.pool, async (client) => {
      const inserted = await client.query<UserRow>(
        `INSERT INTO gateway_users (account_id, email, password_hash, role, trading_limits)
         VALUES (nextval('gateway_account_ids'), $1, $2, $3, $4)
         ON CONFLICT ((lower(email))) DO NOTHING
         RETURNING account_id, email, password_hash, role`,
        [email, passwordHash, role, JSON.stringify(tradingLimits)],
      );
      const row = inserted.rows[0];
      if (row === undefined) throw new EmailTakenError();
      const user = toUser(row);
      await openAccount(user.accountId);
      return user;
    });
  }

  async byEmail(email: string): Promise<User | null> {
    const result = await this.pool.query<UserRow>('SELECT account_id, email, password_hash, role FROM gateway_users WHERE lower(email) = lower($1)', [email]);
    const row = result.rows[0];
    return row === undefined ? null : toUser(row);
  }

  async byAccountId(accountId: AccountId): Promise<User | null> {
    const result = await this.pool.query<UserRow>('SELECT account_id, email, password_hash, role FROM gateway_users WHERE account_id = $1', [accountId]);
    const row = result.rows[0];
    return row === undefined ? null : toUser(row);
  }

  /** Returns false when there is no such user. */
  async setRole(accountId: AccountId, role: Role): Promise<boolean> {
    const result = await this.pool.query('UPDATE gateway_users SET role = $2 WHERE account_id = $1', [accountId, role]);
    return result.rowCount === 1;
  }
}
