// The rules of KYC caps and responsible-gambling limits, for every path that moves money in or out
// (the gateway's test deposit, the payments service's deposits and withdrawals). Pure.
//
// - KYC: a deployment turns the KYC caps on by setting a cap (KYC_DEPOSIT_CAP_MINOR; null: off, for
//   development, tests and benchmarks). With the caps on, until an account is verified its
//   deposits are capped in total at the cap and it may not withdraw. A rejected account may not
//   deposit or withdraw, caps on or off.
// - Deposit and loss limits are set by the account itself, per rolling day, week or month
//   (24 h, 7 days, 30 days). Lowering one (or setting one where there was none) applies at once;
//   raising or removing one applies only after COOLING_OFF_MS, so a limit cannot be lifted in the
//   heat of the moment.
// - Self-exclusion for a period: deposits are refused and the engine refuses any order that would
//   add risk (loss limit 0); it can be extended but not shortened.

export type KycStatus = 'unverified' | 'pending' | 'verified' | 'rejected';
export type LimitPeriod = 'day' | 'week' | 'month';

/** A sensible cap on an unverified account's total deposits (set it with KYC_DEPOSIT_CAP_MINOR). */
export const KYC_DEPOSIT_CAP_MINOR_DEFAULT = 500_00;
/** How long a payment intent not yet paid counts toward the limits (gateway_deposited_minor). */
export const UNPAID_INTENT_COUNTS_MS = 24 * 3_600_000;
export const COOLING_OFF_MS = 24 * 3_600_000;
export const SELF_EXCLUSION_DAYS_MAX = 5 * 365;

export const PERIOD_MS: Readonly<Record<LimitPeriod, number>> = { day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 };

export interface Limit {
  readonly amountMinor: number;
  readonly period: LimitPeriod;
}

/** A change waiting out the cooling-off period; `limit` null removes the limit. */
export interface PendingLimit {
  readonly limit: Limit | null;
  readonly effectiveAtMs: number;
}

export interface KycCaps {
  /** Total deposits allowed until verified; null: no KYC cap. */
  readonly depositTotalMinorMax: number | null;
  readonly depositsAllowed: boolean;
  readonly withdrawalsAllowed: boolean;
}

/** What the KYC state allows, under the deployment's cap (null: the KYC caps are off). */
export function kycCaps(status: KycStatus, capMinor: number | null): KycCaps {
  switch (status) {
    case 'verified':
      return { depositTotalMinorMax: null, depositsAllowed: true, withdrawalsAllowed: true };
    case 'rejected':
      return { depositTotalMinorMax: 0, depositsAllowed: false, withdrawalsAllowed: false };
    case 'unverified':
    case 'pending':
      return { depositTotalMinorMax: capMinor, depositsAllowed: true, withdrawalsAllowed: capMinor === null };
  }
}

/** Is `next` at least as strict as `current`? (No limit is the loosest; a shorter period with the same amount is stricter.) */
export function isStricter(next: Limit | null, current: Limit | null): boolean {
  if (current === null) return true;
  if (next === null) return false;
  // Compare the amount allowed per millisecond, exactly: a/p ≤ b/q ⇔ a·q ≤ b·p.
  return next.amountMinor * PERIOD_MS[current.period] <= current.amountMinor * PERIOD_MS[next.period] && next.amountMinor <= current.amountMinor;
}

/**
 * The outcome of asking for `next`: applied now, or pending until the cooling-off period is
 * over. A new request replaces any pending one.
 */
export function requestLimit(current: Limit | null, next: Limit | null, nowMs: number): { limit: Limit | null; pending: PendingLimit | null } {
  if (isStricter(next, current)) return { limit: next, pending: null };
  return { limit: current, pending: { limit: next, effectiveAtMs: nowMs + COOLING_OFF_MS } };
}

/** The limit in force at `nowMs`, with a pending change applied once due. */
export function limitInForce(current: Limit | null, pending: PendingLimit | null, nowMs: number): { limit: Limit | null; pending: PendingLimit | null } {
  if (pending !== null && pending.effectiveAtMs <= nowMs) return { limit: pending.limit, pending: null };
  return { limit: current, pending };
}

export type DepositRefusal = 'self_excluded' | 'kyc_rejected' | 'kyc_deposit_cap' | 'deposit_limit_exceeded';

/** Why a deposit of `amountMinor` is refused, or null. */
export function depositRefusal(input: {
  readonly amountMinor: number;
  readonly nowMs: number;
  readonly kycStatus: KycStatus;
  /** The deployment's cap on deposits until verified, or null for none. */
  readonly kycCapMinor: number | null;
  readonly selfExcludedUntilMs: number | null;
  readonly depositLimit: Limit | null;
  /** Deposits so far, all time. */
  readonly depositedTotalMinor: number;
  /** Deposits within the deposit limit's window ending now. */
  readonly depositedInWindowMinor: number;
}): DepositRefusal | null {
  if (input.selfExcludedUntilMs !== null && input.selfExcludedUntilMs > input.nowMs) return 'self_excluded';
  const caps = kycCaps(input.kycStatus, input.kycCapMinor);
  if (!caps.depositsAllowed) return 'kyc_rejected';
  if (caps.depositTotalMinorMax !== null && input.depositedTotalMinor + input.amountMinor > caps.depositTotalMinorMax) return 'kyc_deposit_cap';
  if (input.depositLimit !== null && input.depositedInWindowMinor + input.amountMinor > input.depositLimit.amountMinor) return 'deposit_limit_exceeded';
  return null;
}

export type WithdrawalRefusal = 'kyc_rejected' | 'kyc_not_verified';

/** Why a withdrawal is refused, or null. Self-exclusion and the deposit limit never stop one. */
export function withdrawalRefusal(kycStatus: KycStatus, kycCapMinor: number | null): WithdrawalRefusal | null {
  if (kycCaps(kycStatus, kycCapMinor).withdrawalsAllowed) return null;
  return kycStatus === 'rejected' ? 'kyc_rejected' : 'kyc_not_verified';
}

/** The limits the engine should hold: the loss limit, or 0 while self-excluded (no order may add risk). */
export function engineLimits(lossLimit: Limit | null, selfExcludedUntilMs: number | null, nowMs: number): { lossLimitMinor?: number; lossLimitPeriodMs?: number } {
  if (selfExcludedUntilMs !== null && selfExcludedUntilMs > nowMs) return { lossLimitMinor: 0 };
  if (lossLimit === null) return {};
  return { lossLimitMinor: lossLimit.amountMinor, lossLimitPeriodMs: PERIOD_MS[lossLimit.period] };
}
