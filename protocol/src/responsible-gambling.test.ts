import { describe, expect, it } from 'vitest';
import { COOLING_OFF_MS, depositRefusal, engineLimits, isStricter, kycCaps, limitInForce, requestLimit, withdrawalRefusal } from './responsible-gambling.js';

const CAP = 500_00;

const NOW = 1_800_000_000_000;
const base = { amountMinor: 10_00, nowMs: NOW, kycStatus: 'verified' as const, kycCapMinor: CAP, selfExcludedUntilMs: null, depositLimit: null, depositedTotalMinor: 0, depositedInWindowMinor: 0 };

describe('responsible gambling', () => {
  it('caps deposits until the account is verified, and refuses them once rejected', () => {
    expect(kycCaps('unverified', null).depositTotalMinorMax).toBeNull();
    expect(depositRefusal({ ...base, kycStatus: 'unverified', kycCapMinor: null, depositedTotalMinor: 10 * CAP })).toBeNull();
    expect(kycCaps('unverified', CAP)).toEqual({ depositTotalMinorMax: CAP, depositsAllowed: true, withdrawalsAllowed: false });
    expect(depositRefusal({ ...base, kycStatus: 'unverified', depositedTotalMinor: CAP - 10_00 })).toBeNull();
    expect(depositRefusal({ ...base, kycStatus: 'pending', depositedTotalMinor: CAP - 9_99 })).toBe('kyc_deposit_cap');
    expect(depositRefusal({ ...base, kycStatus: 'rejected' })).toBe('kyc_rejected');
    expect(depositRefusal({ ...base, depositedTotalMinor: 10 * CAP })).toBeNull();
  });

  it('lets only verified accounts withdraw while the KYC caps are on, and never a rejected one', () => {
    expect(withdrawalRefusal('unverified', CAP)).toBe('kyc_not_verified');
    expect(withdrawalRefusal('pending', 0)).toBe('kyc_not_verified');
    expect(withdrawalRefusal('verified', CAP)).toBeNull();
    expect(withdrawalRefusal('rejected', CAP)).toBe('kyc_rejected');
    expect(kycCaps('unverified', null)).toEqual({ depositTotalMinorMax: null, depositsAllowed: true, withdrawalsAllowed: true });
    expect(withdrawalRefusal('pending', null)).toBeNull();
    expect(withdrawalRefusal('rejected', null)).toBe('kyc_rejected');
  });

  it('refuses deposits over the limit within its window, and all deposits while self-excluded', () => {
    const depositLimit = { amountMinor: 50_00, period: 'week' as const };
    expect(depositRefusal({ ...base, depositLimit, depositedInWindowMinor: 40_00 })).toBeNull();
    expect(depositRefusal({ ...base, depositLimit, depositedInWindowMinor: 40_01 })).toBe('deposit_limit_exceeded');
    expect(depositRefusal({ ...base, selfExcludedUntilMs: NOW + 1 })).toBe('self_excluded');
    expect(depositRefusal({ ...base, selfExcludedUntilMs: NOW })).toBeNull();
  });

  it('applies a stricter limit at once and a looser one after the cooling-off period', () => {
    const weekly = { amountMinor: 100_00, period: 'week' as const };
    expect(isStricter({ amountMinor: 10_00, period: 'day' }, weekly)).toBe(true);
    expect(isStricter({ amountMinor: 20_00, period: 'day' }, weekly)).toBe(false);
    expect(isStricter({ amountMinor: 20_00, period: 'month' }, weekly)).toBe(true);
    expect(isStricter({ amountMinor: 100_00, period: 'day' }, weekly)).toBe(false);
    expect(isStricter(null, weekly)).toBe(false);
    expect(isStricter(weekly, null)).toBe(true);
    expect(requestLimit(weekly, { amountMinor: 50_00, period: 'week' }, NOW)).toEqual({ limit: { amountMinor: 50_00, period: 'week' }, pending: null });
    const raised = requestLimit(weekly, { amountMinor: 500_00, period: 'week' }, NOW);
    expect(raised).toEqual({ limit: weekly, pending: { limit: { amountMinor: 500_00, period: 'week' }, effectiveAtMs: NOW + COOLING_OFF_MS } });
    expect(limitInForce(raised.limit, raised.pending, NOW + COOLING_OFF_MS - 1).limit).toEqual(weekly);
    expect(limitInForce(raised.limit, raised.pending, NOW + COOLING_OFF_MS)).toEqual({ limit: { amountMinor: 500_00, period: 'week' }, pending: null });
  });

  it('tells the engine the loss limit, or a loss limit of 0 while self-excluded', () => {
    expect(engineLimits(null, null, NOW)).toEqual({});
    expect(engineLimits({ amountMinor: 30_00, period: 'day' }, null, NOW)).toEqual({ lossLimitMinor: 30_00, lossLimitPeriodMs: 86_400_000 });
    expect(engineLimits({ amountMinor: 30_00, period: 'day' }, NOW + 1, NOW)).toEqual({ lossLimitMinor: 0 });
  });
});
