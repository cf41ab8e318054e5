// Profiles, KYC and responsible gambling in PostgreSQL (migration 1764400000000), with the limits
// the engine must enforce sent to it (SetAccountLimits): the account's trading limits (the user's
// trading_limits) with the loss limit, or a loss limit of 0 while the account is self-excluded,
// so that no order can add risk. The rules are in protocol/src/responsible-gambling.ts; deposits
// pass the payment policy every money path shares (settlement/src/payments/payment-policy.ts).
// Every change is audited, by the account itself or by the admin.

import type pg from 'pg';
import {
  engineLimits,
  kycCaps,
  limitInForce,
  PERIOD_MS,
  requestLimit,
  type AccountId,
  type AccountLimits,
  type KycCaps,
  type KycStatus,
  type Limit,
  type LimitPeriod,
  type PendingLimit,
} from '@playchacha/protocol';
import type { EngineLink } from '../engine-link.js';
import { ApiError } from '../rest/errors.js';
import type { AuditLog } from './audit-log.js';
import { inTransaction } from '../../../settlement/src/db/database.js';
import { depositedMinor, lockForDeposit } from '../../../settlement/src/payments/payment-policy.js';

export type OddsFormat = 'decimal' | 'fractional' | 'american';
export type KycDocumentKind = 'passport' | 'driving_licence' | 'national_id' | 'proof_of_address';

export interface KycDocument {
  readonly documentId: number;
  readonly kind: KycDocumentKind;
  readonly fileName: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly submittedAtMs: number;
}

export interface Profile {
  readonly accountId: AccountId;
  readonly email: string;
  readonly displayName: string | null;
  readonly country: string | null;
  readonly dateOfBirth: string | null;
  readonly oddsFormat: OddsFormat;
  readonly marketingOptIn: boolean;
  readonly kycStatus: KycStatus;
  readonly kycNote: string | null;
  /** As an admin last set it: suspended accounts may not place orders, frozen ones neither place nor withdraw. */
  readonly tradingStatus: 'active' | 'suspended' | 'frozen';
  readonly kycCaps: KycCaps;
  readonly documents: readonly KycDocument[];
  readonly depositLimit: Limit | null;
  readonly depositLimitPending: PendingLimit | null;
  readonly lossLimit: Limit | null;
  readonly lossLimitPending: PendingLimit | null;
  readonly selfExcludedUntilMs: number | null;
  /** Deposits so far (all time) and within the deposit limit's window, by every deposit path. */
  readonly depositedTotalMinor: number;
  readonly depositedInWindowMinor: number;
}

export interface ProfilePatch {
  readonly displayName?: string | null;
  readonly country?: string | null;
  readonly dateOfBirth?: string | null;
  readonly oddsFormat?: OddsFormat;
  readonly marketingOptIn?: boolean;
}

interface ProfileRow {
  account_id: string;
  email: string;
  display_name: string | null;
  country: string | null;
  date_of_birth: string | null;
  odds_format: OddsFormat;
  marketing_opt_in: boolean;
  kyc_status: KycStatus;
  kyc_note: string | null;
  deposit_limit_minor: string | null;
  deposit_limit_period: LimitPeriod | null;
  deposit_limit_pending: PendingLimit | null;
  loss_limit_minor: string | null;
  loss_limit_period: LimitPeriod | null;
  loss_limit_pending: PendingLimit | null;
  engine_limits: AccountLimits;
  trading_limits: AccountLimits;
  status: 'active' | 'suspended' | 'frozen';
  self_excluded_until: Date | null;
}

type Queryable = pg.Pool | pg.PoolClient;

function limitOf(amount: string | null, period: LimitPeriod | null): Limit | null {
  return amount === null || period === null ? null : { amountMinor: Number(amount), period };
}

const LIMIT_KEYS = ['stakeMinorMax', 'marketExposureMinorMax', 'openOrdersMax', 'lossLimitMinor', 'lossLimitPeriodMs'] as const;

function sameLimits(a: AccountLimits, b: AccountLimits): boolean {
  return LIMIT_KEYS.every((key) => a[key] === b[key]) && Object.keys(a).length === Object.keys(b).length;
}

export class ProfileService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly link: EngineLink,
    private readonly audit: AuditLog,
    /** The cap on an unverified (or pending) account's total deposits; null for none. */
    private readonly kycCapMinor: number | null = null,
    private readonly now: () => number = Date.now,
  ) {}

  private async row(db: Queryable, accountId: AccountId, lock = false): Promise<ProfileRow> {
    await db.query(`INSERT INTO gateway_profiles (account_id) SELECT account_id FROM gateway_users WHERE account_id = $1 ON CONFLICT DO NOTHING`, [accountId]);
    const { rows } = await db.query<ProfileRow>(
      `SELECT p.*, to_char(p.date_of_birth, 'YYYY-MM-DD') AS date_of_birth, u.email, u.trading_limits, u.status
         FROM gateway_profiles p JOIN gateway_users u USING (account_id) WHERE p.account_id = $1${lock ? ' FOR UPDATE OF p' : ''}`,
      [accountId],
    );
    const row = rows[0];
    if (row === undefined) throw new ApiError('user_not_found');
    return row;
  }

  private async toProfile(db: Queryable, row: ProfileRow, nowMs: number): Promise<Profile> {
    const deposit = limitInForce(limitOf(row.deposit_limit_minor, row.deposit_limit_period), row.deposit_limit_pending, nowMs);
    const loss = limitInForce(limitOf(row.loss_limit_minor, row.loss_limit_period), row.loss_limit_pending, nowMs);
    const accountId = Number(row.account_id);
    const money = await depositedMinor(db, accountId, deposit.limit === null ? null : PERIOD_MS[deposit.limit.period], nowMs);
    const documents = await db.query<{ document_id: string; kind: KycDocumentKind; file_name: string; content_type: string; size_bytes: string; sha256: string; submitted_at: Date }>(
      `SELECT * FROM gateway_kyc_documents WHERE account_id = $1 ORDER BY document_id`,
      [accountId],
    );
    const excludedUntil = row.self_excluded_until?.getTime() ?? null;
    return {
      accountId,
      email: row.email,
      displayName: row.display_name,
      country: row.country,
      dateOfBirth: row.date_of_birth,
      oddsFormat: row.odds_format,
      marketingOptIn: row.marketing_opt_in,
      kycStatus: row.kyc_status,
      kycNote: row.kyc_note,
      tradingStatus: row.status,
      kycCaps: kycCaps(row.kyc_status, this.kycCapMinor),
      documents: documents.rows.map((doc) => ({
        documentId: Number(doc.document_id),
        kind: doc.kind,
        fileName: doc.file_name,
        contentType: doc.content_type,
        sizeBytes: Number(doc.size_bytes),
        sha256: doc.sha256,
        submittedAtMs: doc.submitted_at.getTime(),
      })),
      depositLimit: deposit.limit,
      depositLimitPending: deposit.pending,
      lossLimit: loss.limit,
      lossLimitPending: loss.pending,
      selfExcludedUntilMs: excludedUntil !== null && excludedUntil > nowMs ? excludedUntil : null,
      depositedTotalMinor: money.totalMinor,
      depositedInWindowMinor: money.inWindowMinor,
    };
  }

  async get(accountId: AccountId): Promise<Profile> {
    const nowMs = this.now();
    return this.toProfile(this.pool, await this.row(this.pool, accountId), nowMs);
  }

  async update(accountId: AccountId, patch: ProfilePatch): Promise<Profile> {
    await this.row(this.pool, accountId);
    const columns: Array<[string, unknown]> = [];
    if (patch.displayName !== undefined) columns.push(['display_name', patch.displayName]);
    if (patch.country !== undefined) columns.push(['country', patch.country]);
    if (patch.dateOfBirth !== undefined) columns.push(['date_of_birth', patch.dateOfBirth]);
    if (patch.oddsFormat !== undefined) columns.push(['odds_format', patch.oddsFormat]);
    if (patch.marketingOptIn !== undefined) columns.push(['marketing_opt_in', patch.marketingOptIn]);
    if (columns.length > 0) {
      await this.pool.query(
        `UPDATE gateway_profiles SET ${columns.map(([column], index) => `${column} = $${index + 2}`).join(', ')}, updated_at = now() WHERE account_id = $1`,
        [accountId, ...columns.map(([, value]) => value)],
      );
    }
    return this.get(accountId);
  }

  // ----- KYC --------------------------------------------------------------------------------------

  /** Records a document's metadata; an unverified or rejected account becomes pending review. */
  async submitDocument(accountId: AccountId, document: Omit<KycDocument, 'documentId' | 'submittedAtMs'>): Promise<Profile> {
    await inTransaction(this.pool, async (client) => {
      const row = await this.row(client, accountId, true);
      if (row.kyc_status === 'verified') throw new ApiError('kyc_already_verified');
      await client.query(
        `INSERT INTO gateway_kyc_documents (account_id, kind, file_name, content_type, size_bytes, sha256) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (account_id, sha256) DO NOTHING`,
        [accountId, document.kind, document.fileName, document.contentType, document.sizeBytes, document.sha256],
      );
      await client.query(`UPDATE gateway_profiles SET kyc_status = 'pending', kyc_note = NULL, updated_at = now() WHERE account_id = $1`, [accountId]);
    });
    await this.audit.record({ actorAccountId: accountId, action: 'SubmitKycDocument', target: `account:${accountId}`, reason: '', details: { kind: document.kind, sha256: document.sha256 }, outcome: 'ok' });
    return this.get(accountId);
  }

  /** An admin's decision on a pending account. */
  async review(accountId: AccountId, decision: 'verified' | 'rejected', actorAccountId: AccountId, reason: string): Promise<Profile> {
    const row = await this.row(this.pool, accountId);
    const outcome = row.kyc_status === 'pending' ? 'ok' : 'kyc_not_pending';
    if (outcome === 'ok') {
      await this.pool.query(
        `UPDATE gateway_profiles SET kyc_status = $2, kyc_note = $3, kyc_reviewed_by = $4, kyc_reviewed_at = now(), updated_at = now() WHERE account_id = $1 AND kyc_status = 'pending'`,
        [accountId, decision, reason, actorAccountId],
      );
    }
    await this.audit.record({ actorAccountId, action: 'KycDecision', target: `account:${accountId}`, reason, details: { decision }, outcome });
    if (outcome !== 'ok') throw new ApiError('kyc_not_pending');
    return this.get(accountId);
  }

  /** Accounts awaiting review, oldest first. */
  async pendingReviews(limit: number): Promise<Profile[]> {
    const { rows } = await this.pool.query<{ account_id: string }>(`SELECT account_id FROM gateway_profiles WHERE kyc_status = 'pending' ORDER BY updated_at, account_id LIMIT $1`, [limit]);
    const profiles: Profile[] = [];
    for (const row of rows) profiles.push(await this.get(Number(row.account_id)));
    return profiles;
  }

  // ----- Responsible gambling -----------------------------------------------------------------------

  async setDepositLimit(accountId: AccountId, next: Limit | null): Promise<Profile> {
    return this.setLimit(accountId, 'deposit', next);
  }

  async setLossLimit(accountId: AccountId, next: Limit | null): Promise<Profile> {
    return this.setLimit(accountId, 'loss', next);
  }

  private async setLimit(accountId: AccountId, which: 'deposit' | 'loss', next: Limit | null): Promise<Profile> {
    const nowMs = this.now();
    const row = await this.row(this.pool, accountId);
    const current = limitInForce(
      which === 'deposit' ? limitOf(row.deposit_limit_minor, row.deposit_limit_period) : limitOf(row.loss_limit_minor, row.loss_limit_period),
      which === 'deposit' ? row.deposit_limit_pending : row.loss_limit_pending,
      nowMs,
    );
    const outcome = requestLimit(current.limit, next, nowMs);
    await this.pool.query(
      `UPDATE gateway_profiles SET ${which}_limit_minor = $2, ${which}_limit_period = $3, ${which}_limit_pending = $4, updated_at = now() WHERE account_id = $1`,
      [accountId, outcome.limit?.amountMinor ?? null, outcome.limit?.period ?? null, outcome.pending === null ? null : JSON.stringify(outcome.pending)],
    );
    await this.audit.record({
      actorAccountId: accountId,
      action: which === 'deposit' ? 'SetDepositLimit' : 'SetLossLimit',
      target: `account:${accountId}`,
      reason: '',
      details: { requested: next, inForce: outcome.limit, pending: outcome.pending },
      outcome: 'ok',
    });
    if (which === 'loss') await this.syncEngine(accountId, nowMs);
    return this.get(accountId);
  }

  /** Excludes the account for `days` (never shortening an exclusion); its open orders are cancelled. */
  async selfExclude(accountId: AccountId, days: number): Promise<Profile> {
    const nowMs = this.now();
    const untilMs = nowMs + days * 86_400_000;
    await this.row(this.pool, accountId);
    await this.pool.query(
      `UPDATE gateway_profiles SET self_excluded_until = GREATEST(COALESCE(self_excluded_until, $2), $2), updated_at = now() WHERE account_id = $1`,
      [accountId, new Date(untilMs)],
    );
    await this.audit.record({ actorAccountId: accountId, action: 'SelfExclude', target: `account:${accountId}`, reason: '', details: { days }, outcome: 'ok' });
    await this.syncEngine(accountId, nowMs);
    try {
      await this.link.submit({ type: 'MassCancel', accountId });
    } catch {
      throw new ApiError('engine_unavailable');
    }
    return this.get(accountId);
  }

  /** Sends the engine the limits the profile calls for, if they differ from those last sent. */
  async syncEngine(accountId: AccountId, nowMs: number = this.now()): Promise<void> {
    const row = await this.row(this.pool, accountId);
    const loss = limitInForce(limitOf(row.loss_limit_minor, row.loss_limit_period), row.loss_limit_pending, nowMs);
    const wanted: AccountLimits = { ...row.trading_limits, ...engineLimits(loss.limit, row.self_excluded_until?.getTime() ?? null, nowMs) };
    if (sameLimits(wanted, row.engine_limits)) return;
    let events;
    try {
      events = await this.link.submit({ type: 'SetAccountLimits', accountId, limits: wanted });
    } catch {
      throw new ApiError('engine_unavailable');
    }
    const rejected = events.find((event) => event.type === 'CommandRejected');
    if (rejected?.type === 'CommandRejected') throw new ApiError(rejected.code);
    await this.pool.query(`UPDATE gateway_profiles SET engine_limits = $2 WHERE account_id = $1`, [accountId, JSON.stringify(wanted)]);
  }

  /** Applies limit changes whose cooling-off is over and ends expired exclusions (a timer calls this). */
  async applyDue(nowMs: number = this.now()): Promise<number> {
    const { rows } = await this.pool.query<{ account_id: string }>(
      `SELECT account_id FROM gateway_profiles
        WHERE (deposit_limit_pending->>'effectiveAtMs')::bigint <= $1
           OR (loss_limit_pending->>'effectiveAtMs')::bigint <= $1
           OR self_excluded_until <= $2`,
      [nowMs, new Date(nowMs)],
    );
    for (const { account_id } of rows) {
      const accountId = Number(account_id);
      const row = await this.row(this.pool, accountId);
      const deposit = limitInForce(limitOf(row.deposit_limit_minor, row.deposit_limit_period), row.deposit_limit_pending, nowMs);
      const loss = limitInForce(limitOf(row.loss_limit_minor, row.loss_limit_period), row.loss_limit_pending, nowMs);
      const excludedUntil = row.self_excluded_until !== null && row.self_excluded_until.getTime() > nowMs ? row.self_excluded_until : null;
      await this.pool.query(
        `UPDATE gateway_profiles SET deposit_limit_minor = $2, deposit_limit_period = $3, deposit_limit_pending = $4,
                loss_limit_minor = $5, loss_limit_period = $6, loss_limit_pending = $7, self_excluded_until = $8, updated_at = now()
          WHERE account_id = $1`,
        [
          accountId,
          deposit.limit?.amountMinor ?? null, deposit.limit?.period ?? null, deposit.pending === null ? null : JSON.stringify(deposit.pending),
          loss.limit?.amountMinor ?? null, loss.limit?.period ?? null, loss.pending === null ? null : JSON.stringify(loss.pending),
          excludedUntil,
        ],
      );
      await this.syncEngine(accountId, nowMs);
    }
    return rows.length;
  }

  /**
   * Checks a deposit against the payment policy (KYC caps, the deposit limit counting every
   * deposit path, self-exclusion), then runs `credit` (the engine deposit) and records it, in one
   * transaction holding the account's payment lock, so concurrent deposits by any path cannot
   * pass a limit together.
   */
  async deposit(accountId: AccountId, transferId: string, amountMinor: number, credit: () => Promise<void>): Promise<void> {
    const nowMs = this.now();
    await inTransaction(this.pool, async (client) => {
      const refusal = await lockForDeposit(client, accountId, amountMinor, nowMs, this.kycCapMinor);
      if (refusal !== null) throw new ApiError(refusal);
      await credit();
      await client.query(
        `INSERT INTO gateway_deposits (transfer_id, account_id, amount_minor, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (transfer_id) DO NOTHING`,
        [transferId, accountId, amountMinor, new Date(nowMs)],
      );
    });
  }
}
