// The payment policy of every path that moves money in or out — the payments service's Stripe and
// test deposits and its withdrawals, and the gateway's test deposit — checked before any money
// moves: KYC caps, the account's own deposit limit and self-exclusion. The rules are the pure
// functions of protocol/src/responsible-gambling.ts; the account's facts come through the
// gateway's read contract (its migration 1764800000000: gateway_payment_profile, which also takes
// the account's payment lock, and gateway_deposited_minor), so this package reads profiles
// without depending on the gateway's code.

import {
  depositRefusal,
  limitInForce,
  PERIOD_MS,
  UNPAID_INTENT_COUNTS_MS,
  type AccountId,
  type DepositRefusal,
  type KycStatus,
  type Limit,
  type LimitPeriod,
  type PendingLimit,
} from '@playchacha/protocol';
import { query, toMinor, type Db, type DbClient } from '../db/database.js';

/** What the policy decides on, at one instant. */
export interface PaymentProfile {
  readonly kycStatus: KycStatus;
  readonly selfExcludedUntilMs: number | null;
  /** The deposit limit in force (a pending change applied once due). */
  readonly depositLimit: Limit | null;
  /** Deposits counted toward the limits: all time, and within the deposit limit's window. */
  readonly depositedTotalMinor: number;
  readonly depositedInWindowMinor: number;
}

/** Deposits counted toward the limits: all time, and within `windowMs` before `nowMs` (0 when null). */
export async function depositedMinor(db: Db | DbClient, accountId: AccountId, windowMs: number | null, nowMs: number): Promise<{ totalMinor: number; inWindowMinor: number }> {
  const [row] = await query(db, 'SELECT total_minor, since_minor FROM gateway_deposited_minor($1, $2, $3)', [
    accountId,
    new Date(windowMs === null ? nowMs : nowMs - windowMs),
    new Date(nowMs - UNPAID_INTENT_COUNTS_MS),
  ]);
  return { totalMinor: toMinor(row?.['total_minor']), inWindowMinor: windowMs === null ? 0 : toMinor(row?.['since_minor']) };
}

/**
 * Takes the account's payment lock, held until the caller's transaction ends, and reads its
 * profile and deposits: two deposits or withdrawals of one account are decided one at a time.
 */
export async function lockPaymentProfile(client: DbClient, accountId: AccountId, nowMs: number): Promise<PaymentProfile> {
  const [row] = await query(client, 'SELECT * FROM gateway_payment_profile($1)', [accountId]);
  if (row === undefined) throw new Error('gateway_payment_profile returned no row');
  const amount = row['deposit_limit_minor'];
  const period = row['deposit_limit_period'] as LimitPeriod | null;
  const current = amount === null || period === null ? null : { amountMinor: toMinor(amount), period };
  const limit = limitInForce(current, row['deposit_limit_pending'] as PendingLimit | null, nowMs).limit;
  const deposited = await depositedMinor(client, accountId, limit === null ? null : PERIOD_MS[limit.period], nowMs);
  return {
    kycStatus: row['kyc_status'] as KycStatus,
    selfExcludedUntilMs: (row['self_excluded_until'] as Date | null)?.getTime() ?? null,
    depositLimit: limit,
    depositedTotalMinor: deposited.totalMinor,
    depositedInWindowMinor: deposited.inWindowMinor,
  };
}

/** Locks the account's payments and says why a deposit of `amountMinor` is refused, or null. */
export async function lockForDeposit(client: DbClient, accountId: AccountId, amountMinor: number, nowMs: number, kycCapMinor: number | null): Promise<DepositRefusal | null> {
  const profile = await lockPaymentProfile(client, accountId, nowMs);
  return depositRefusal({ ...profile, amountMinor, nowMs, kycCapMinor });
}
