// The admin's forms and readings: users and their trading limits, the platform configuration and
// what changed between two of its versions, and the winners of a settlement or resettlement.
// Amounts are integers of minor units and commission integer basis points; text is parsed
// digit by digit, never through floating point.

import { BALANCE_MINOR_MAX, COMMISSION_BPS_MAX, DEAD_HEAT_DENOMINATOR_MAX, STAKE_MINOR_MAX } from '@playchacha/protocol';
import { formatMinor, parseAmountMinor } from './money';
import type { KycStatus, Limit, Profile } from './profile';
import type { AccountMoney } from './types';

export type UserStatus = 'active' | 'suspended' | 'frozen';
export type UserRole = 'bettor' | 'market_maker' | 'admin';

export const USER_STATUSES: readonly UserStatus[] = ['active', 'suspended', 'frozen'];
export const USER_ROLES: readonly UserRole[] = ['bettor', 'market_maker', 'admin'];
export const KYC_STATUSES: readonly KycStatus[] = ['unverified', 'pending', 'verified', 'rejected'];
/** The largest open-order cap the gateway accepts. */
export const OPEN_ORDERS_MAX = 100_000;

export interface TradingLimits {
  readonly stakeMinorMax: number | null;
  readonly marketExposureMinorMax: number | null;
  readonly openOrdersMax: number | null;
}

export interface UserSummary {
  readonly accountId: number;
  readonly email: string;
  readonly displayName: string | null;
  readonly role: UserRole;
  readonly status: UserStatus;
  readonly statusChangedAt: string | null;
  readonly kycStatus: KycStatus;
  readonly tradingLimits: TradingLimits;
  readonly lossLimit: Limit | null;
  readonly selfExcludedUntil: string | null;
  readonly createdAt: string;
}

export interface AuditEntry {
  readonly auditId: number;
  readonly actorAccountId: number;
  readonly action: string;
  readonly target: string;
  readonly reason: string;
  readonly details: Record<string, unknown>;
  readonly outcome: string;
  readonly createdAt: string;
}

export interface UserDetail {
  readonly user: UserSummary;
  readonly profile: Profile;
  readonly account: AccountMoney | null;
  readonly audit: { readonly entries: readonly AuditEntry[] };
}

export interface FeatureFlags {
  readonly registrationOpen: boolean;
}

export interface PlatformConfigValues {
  readonly defaultCommissionBps: number;
  readonly defaultAccountLimits: TradingLimits;
  readonly featureFlags: FeatureFlags;
}

export interface PlatformConfigVersion extends PlatformConfigValues {
  readonly version: number;
  readonly actorAccountId: number | null;
  readonly reason: string;
  readonly createdAt: string;
}

export const FEATURE_FLAG_LABELS: Record<keyof FeatureFlags, string> = {
  registrationOpen: 'Registration open (new users may sign up)',
};

export const USER_STATUS_LABELS: Record<UserStatus, string> = {
  active: 'Active',
  suspended: 'Suspended',
  frozen: 'Frozen',
};

export type StatusAction = 'suspend' | 'freeze' | 'reactivate';

/** What an admin may do to an account in each status. */
export function statusActionsFor(status: UserStatus): StatusAction[] {
  switch (status) {
    case 'active':
      return ['suspend', 'freeze'];
    case 'suspended':
      return ['freeze', 'reactivate'];
    case 'frozen':
      return ['reactivate'];
  }
}

export interface UserFilters {
  readonly text: string;
  readonly status: UserStatus | '';
  readonly kyc: KycStatus | '';
  readonly role: UserRole | '';
}

/** The query of GET /v1/admin/users for the filters and the page after `afterAccountId`. */
export function userSearchQuery(filters: UserFilters, pageSize: number, afterAccountId?: string): string {
  const query = new URLSearchParams({ limit: String(pageSize) });
  const text = filters.text.trim();
  if (text !== '') query.set('q', text.slice(0, 128));
  if (filters.status !== '') query.set('status', filters.status);
  if (filters.kyc !== '') query.set('kyc', filters.kyc);
  if (filters.role !== '') query.set('role', filters.role);
  if (afterAccountId !== undefined) query.set('after', afterAccountId);
  return query.toString();
}

/** 500 → "5%", 250 → "2.5%", 1 → "0.01%". Integer arithmetic only. */
export function formatBpsAsPercent(bps: number): string {
  if (!Number.isSafeInteger(bps) || bps < 0) throw new RangeError(`not basis points: ${bps}`);
  const hundredths = bps % 100;
  const whole = (bps - hundredths) / 100;
  if (hundredths === 0) return `${whole}%`;
  return `${whole}.${String(hundredths).padStart(2, '0').replace(/0$/, '')}%`;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Whole basis points, 0 to COMMISSION_BPS_MAX (100%). */
export function parseBps(text: string): Parsed<number> {
  const cleaned = text.trim();
  if (!/^\d{1,5}$/.test(cleaned)) return { ok: false, error: 'The commission is whole basis points, e.g. 500 for 5%.' };
  const bps = Number(cleaned);
  if (bps > COMMISSION_BPS_MAX) return { ok: false, error: `The commission may be at most ${COMMISSION_BPS_MAX} basis points (100%).` };
  return { ok: true, value: bps };
}

/** An amount that may be left empty for "no limit"; zero only where `allowZero`. */
export function parseOptionalAmountMinor(text: string, maxMinor: number, allowZero: boolean): Parsed<number | null> {
  const cleaned = text.trim().replace(/,/g, '');
  if (cleaned === '') return { ok: true, value: null };
  if (allowZero && /^0*(?:\.0{0,2})?$/.test(cleaned)) return { ok: true, value: 0 };
  const parsed = parseAmountMinor(cleaned, maxMinor);
  return parsed.ok ? { ok: true, value: parsed.amountMinor } : { ok: false, error: parsed.error };
}

/** A count that may be left empty for "no limit" (or the default), 1 to `max`. */
export function parseOptionalCount(text: string, max: number): Parsed<number | null> {
  const cleaned = text.trim().replace(/,/g, '');
  if (cleaned === '') return { ok: true, value: null };
  if (!/^\d{1,9}$/.test(cleaned) || Number(cleaned) < 1 || Number(cleaned) > max) return { ok: false, error: `Enter a whole number from 1 to ${max.toLocaleString('en')}, or leave it empty.` };
  return { ok: true, value: Number(cleaned) };
}

export interface LimitsText {
  stake: string;
  exposure: string;
  openOrders: string;
}

/** The limits as the form shows them (empty: no limit). */
export function limitsText(limits: TradingLimits): LimitsText {
  return {
    stake: limits.stakeMinorMax === null ? '' : formatMinor(limits.stakeMinorMax),
    exposure: limits.marketExposureMinorMax === null ? '' : formatMinor(limits.marketExposureMinorMax),
    openOrders: limits.openOrdersMax === null ? '' : String(limits.openOrdersMax),
  };
}

/** The limits typed into the form, or the first field's error. */
export function parseLimitsText(text: LimitsText): Parsed<TradingLimits> {
  const stake = parseOptionalAmountMinor(text.stake, STAKE_MINOR_MAX, false);
  if (!stake.ok) return { ok: false, error: `Largest stake: ${stake.error}` };
  const exposure = parseOptionalAmountMinor(text.exposure, BALANCE_MINOR_MAX, true);
  if (!exposure.ok) return { ok: false, error: `Largest exposure per market: ${exposure.error}` };
  const openOrders = parseOptionalCount(text.openOrders, OPEN_ORDERS_MAX);
  if (!openOrders.ok) return { ok: false, error: `Open orders: ${openOrders.error}` };
  return { ok: true, value: { stakeMinorMax: stake.value, marketExposureMinorMax: exposure.value, openOrdersMax: openOrders.value } };
}

/** A limit as read: an amount, or what an empty limit means. */
export function formatLimitMinor(amountMinor: number | null, whenNone = 'no limit'): string {
  return amountMinor === null ? whenNone : formatMinor(amountMinor);
}

/** Sentences for what differs between two configuration values; empty when nothing does. */
export function configChanges(before: PlatformConfigValues, after: PlatformConfigValues): string[] {
  const changes: string[] = [];
  if (before.defaultCommissionBps !== after.defaultCommissionBps) {
    changes.push(`Default commission ${formatBpsAsPercent(before.defaultCommissionBps)} → ${formatBpsAsPercent(after.defaultCommissionBps)}`);
  }
  const was = before.defaultAccountLimits;
  const now = after.defaultAccountLimits;
  if (was.stakeMinorMax !== now.stakeMinorMax) changes.push(`Largest stake ${formatLimitMinor(was.stakeMinorMax)} → ${formatLimitMinor(now.stakeMinorMax)}`);
  if (was.marketExposureMinorMax !== now.marketExposureMinorMax) {
    changes.push(`Largest exposure per market ${formatLimitMinor(was.marketExposureMinorMax)} → ${formatLimitMinor(now.marketExposureMinorMax)}`);
  }
  if (was.openOrdersMax !== now.openOrdersMax) changes.push(`Open orders ${was.openOrdersMax ?? 'default'} → ${now.openOrdersMax ?? 'default'}`);
  for (const flag of Object.keys(FEATURE_FLAG_LABELS) as Array<keyof FeatureFlags>) {
    if (before.featureFlags[flag] !== after.featureFlags[flag]) changes.push(`${flag} ${after.featureFlags[flag] ? 'off → on' : 'on → off'}`);
  }
  return changes;
}

export interface WinnerChoice {
  on: boolean;
  /** A dead-heat factor as typed: "1/1", "1/2". */
  factor: string;
}

export interface Winner {
  readonly runnerIndex: number;
  readonly factorNumerator: number;
  readonly factorDenominator: number;
}

/** One unticked choice per runner, each at a full (1/1) factor when ticked. */
export function winnerChoices(runnerCount: number): WinnerChoice[] {
  return Array.from({ length: runnerCount }, () => ({ on: false, factor: '1/1' }));
}

/** The ticked runners with their dead-heat factors, or an error to show. */
export function parseWinners(choices: readonly WinnerChoice[]): Parsed<Winner[]> {
  const winners: Winner[] = [];
  for (const [runnerIndex, choice] of choices.entries()) {
    if (!choice.on) continue;
    const match = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(choice.factor);
    const numerator = Number(match?.[1] ?? 0);
    const denominator = Number(match?.[2] ?? 0);
    if (match === null || numerator < 1 || denominator < 1 || numerator > denominator || denominator > DEAD_HEAT_DENOMINATOR_MAX) {
      return { ok: false, error: `Runner ${runnerIndex + 1}: a dead-heat factor is n/d with 1 ≤ n ≤ d ≤ ${DEAD_HEAT_DENOMINATOR_MAX}, e.g. 1/2.` };
    }
    winners.push({ runnerIndex, factorNumerator: numerator, factorDenominator: denominator });
  }
  if (winners.length === 0) return { ok: false, error: 'Choose the winner.' };
  return { ok: true, value: winners };
}

/** "Runner 1", or "Runner 1 (1/2), Runner 2 (1/2)" for a dead heat; "void" for none. */
export function formatWinners(winners: readonly Winner[] | null, names: readonly string[]): string {
  if (winners === null) return 'void';
  return winners
    .map((winner) => {
      const name = names[winner.runnerIndex] ?? `Runner ${winner.runnerIndex + 1}`;
      return winner.factorNumerator === winner.factorDenominator ? name : `${name} (${winner.factorNumerator}/${winner.factorDenominator})`;
    })
    .join(', ');
}
