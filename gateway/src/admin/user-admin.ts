// Admin user management: search users, read one user with everything an operator needs, set its
// trading status in the engine (SetAccountStatus: suspended refuses new orders, frozen also
// cancels its open orders and refuses withdrawals) and its trading limits (sent with the
// responsible-gambling limits in one SetAccountLimits). The engine enforces; PostgreSQL keeps the
// status and limits for display and search. Every change is audited with who, what, why and how
// it ended (including refusals).

import type pg from 'pg';
import type { AccountId, AccountLimits, AccountStatus, KycStatus } from '@playchacha/protocol';
import type { EngineLink } from '../engine-link.js';
import type { AuditEntry, AuditLog } from '../accounts/audit-log.js';
import type { ProfileService } from '../accounts/profiles.js';
import { isRole, type Role } from '../accounts/roles.js';
import { ApiError } from '../rest/errors.js';

export interface TradingLimits {
  readonly stakeMinorMax: number | null;
  readonly marketExposureMinorMax: number | null;
  readonly openOrdersMax: number | null;
}

export interface UserSummary {
  readonly accountId: AccountId;
  readonly email: string;
  readonly displayName: string | null;
  readonly role: Role;
  readonly status: AccountStatus;
  readonly statusChangedAtMs: number | null;
  readonly kycStatus: KycStatus;
  readonly tradingLimits: TradingLimits;
  readonly lossLimit: { readonly amountMinor: number; readonly period: string } | null;
  readonly selfExcludedUntilMs: number | null;
  readonly createdAtMs: number;
}

export interface UserSearch {
  /** An email or display-name substring (case-insensitive), or an account id (digits). */
  readonly query?: string;
  readonly status?: AccountStatus;
  readonly kycStatus?: KycStatus;
  readonly role?: Role;
  readonly limit: number;
  /** Pages on: only users with a larger account id. */
  readonly afterAccountId?: AccountId;
}

interface UserRow {
  account_id: string;
  email: string;
  display_name: string | null;
  role: string;
  status: AccountStatus;
  status_changed_at: Date | null;
  kyc_status: KycStatus | null;
  trading_limits: AccountLimits;
  loss_limit_minor: string | null;
  loss_limit_period: string | null;
  self_excluded_until: Date | null;
  created_at: Date;
}

const SELECT_USERS = `
  SELECT u.account_id, u.email, u.role, u.status, u.status_changed_at, u.trading_limits, u.created_at,
         p.display_name, p.kyc_status, p.loss_limit_minor, p.loss_limit_period, p.self_excluded_until
    FROM gateway_users u LEFT JOIN gateway_profiles p USING (account_id)`;

export function tradingLimitsOf(limits: AccountLimits): TradingLimits {
  return {
    stakeMinorMax: limits.stakeMinorMax ?? null,
    marketExposureMinorMax: limits.marketExposureMinorMax ?? null,
    openOrdersMax: limits.openOrdersMax ?? null,
  };
}

/** The engine limits of trading limits (absent: no limit). */
export function engineTradingLimits(limits: TradingLimits): AccountLimits {
  return {
    ...(limits.stakeMinorMax === null ? {} : { stakeMinorMax: limits.stakeMinorMax }),
    ...(limits.marketExposureMinorMax === null ? {} : { marketExposureMinorMax: limits.marketExposureMinorMax }),
    ...(limits.openOrdersMax === null ? {} : { openOrdersMax: limits.openOrdersMax }),
  };
}

function toSummary(row: UserRow, nowMs: number): UserSummary {
  if (!isRole(row.role)) throw new Error(`unknown role in gateway_users: ${row.role}`);
  const excludedUntilMs = row.self_excluded_until?.getTime() ?? null;
  return {
    accountId: Number(row.account_id),
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    status: row.status,
    statusChangedAtMs: row.status_changed_at?.getTime() ?? null,
    kycStatus: row.kyc_status ?? 'unverified',
    tradingLimits: tradingLimitsOf(row.trading_limits),
    lossLimit: row.loss_limit_minor === null || row.loss_limit_period === null ? null : { amountMinor: Number(row.loss_limit_minor), period: row.loss_limit_period },
    selfExcludedUntilMs: excludedUntilMs !== null && excludedUntilMs > nowMs ? excludedUntilMs : null,
    createdAtMs: row.created_at.getTime(),
  };
}

/** LIKE pattern of a substring, with the pattern characters escaped. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class UserAdmin {
  constructor(
    private readonly pool: pg.Pool,
    private readonly link: EngineLink,
    private readonly audit: AuditLog,
    private readonly profiles: ProfileService,
    private readonly now: () => number = Date.now,
  ) {}

  /** Users in account id order, filtered; at most `limit`. */
  async search(search: UserSearch): Promise<UserSummary[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const query = search.query?.trim() ?? '';
    if (query !== '') {
      const pattern = `$${values.push(containing(query))}`;
      const byId = /^[1-9][0-9]{0,15}$/.test(query) ? ` OR u.account_id = $${values.push(Number(query))}` : '';
      where.push(`(u.email ILIKE ${pattern} OR p.display_name ILIKE ${pattern}${byId})`);
    }
    if (search.status !== undefined) where.push(`u.status = $${values.push(search.status)}`);
    if (search.role !== undefined) where.push(`u.role = $${values.push(search.role)}`);
    if (search.kycStatus !== undefined) where.push(`COALESCE(p.kyc_status, 'unverified') = $${values.push(search.kycStatus)}`);
    if (search.afterAccountId !== undefined) where.push(`u.account_id > $${values.push(search.afterAccountId)}`);
    const limit = values.push(search.limit);
    const { rows } = await this.pool.query<UserRow>(
      `${SELECT_USERS} ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY u.account_id LIMIT $${limit}`,
      values,
    );
    const nowMs = this.now();
    return rows.map((row) => toSummary(row, nowMs));
  }

  async user(accountId: AccountId): Promise<UserSummary> {
    const { rows } = await this.pool.query<UserRow>(`${SELECT_USERS} WHERE u.account_id = $1`, [accountId]);
    const row = rows[0];
    if (row === undefined) throw new ApiError('user_not_found');
    return toSummary(row, this.now());
  }

  /** The user an admin action names; an unknown one is audited (user_not_found) and refused. */
  private async existing(
    accountId: AccountId,
    action: { actorAccountId: AccountId; action: string; reason: string; details: Record<string, unknown> },
  ): Promise<UserSummary> {
    try {
      return await this.user(accountId);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'user_not_found') {
        await this.audit.record({ ...action, target: `account:${accountId}`, outcome: 'user_not_found' });
      }
      throw error;
    }
  }

  /** The newest audit entries about the user (its own actions and the admins' on it). */
  recentAudit(accountId: AccountId, limit: number): Promise<AuditEntry[]> {
    return this.audit.list({ limit, target: `account:${accountId}` });
  }

  /**
   * Sets the account's trading status in the engine, then records it. Refusals are audited too.
   * Freezing cancels the account's open orders in the engine (OrderClosed account_frozen).
   */
  async setStatus(accountId: AccountId, status: AccountStatus, actorAccountId: AccountId, reason: string): Promise<UserSummary> {
    const before = await this.existing(accountId, { actorAccountId, action: 'SetAccountStatus', reason, details: { to: status } });
    const audit = (outcome: string) =>
      this.audit.record({ actorAccountId, action: 'SetAccountStatus', target: `account:${accountId}`, reason, details: { from: before.status, to: status }, outcome });
    let events;
    try {
      events = await this.link.submit({ type: 'SetAccountStatus', accountId, status });
    } catch {
      await audit('engine_unavailable');
      throw new ApiError('engine_unavailable');
    }
    const rejected = events.find((event) => event.type === 'CommandRejected');
    if (rejected?.type === 'CommandRejected') {
      await audit(rejected.code);
      throw new ApiError(rejected.code);
    }
    await this.pool.query(`UPDATE gateway_users SET status = $2, status_changed_at = now() WHERE account_id = $1`, [accountId, status]);
    await audit('ok');
    return this.user(accountId);
  }

  /** Replaces the account's trading limits; the engine gets them with its responsible-gambling limits. */
  async setTradingLimits(accountId: AccountId, limits: TradingLimits, actorAccountId: AccountId, reason: string): Promise<UserSummary> {
    const before = await this.existing(accountId, { actorAccountId, action: 'SetTradingLimits', reason, details: { to: limits } });
    const audit = (outcome: string) =>
      this.audit.record({ actorAccountId, action: 'SetTradingLimits', target: `account:${accountId}`, reason, details: { from: before.tradingLimits, to: limits }, outcome });
    await this.pool.query(`UPDATE gateway_users SET trading_limits = $2 WHERE account_id = $1`, [accountId, JSON.stringify(engineTradingLimits(limits))]);
    try {
      await this.profiles.syncEngine(accountId);
    } catch (error) {
      await audit(error instanceof ApiError ? error.code : 'internal_error');
      throw error;
    }
    await audit('ok');
    return this.user(accountId);
  }
}
