// Account and market limits: market exposure, self-imposed loss limit, open-order cap, stakes.
import { beforeEach, describe, expect, it } from 'vitest';
import { STAKE_MINOR_MAX, type AccountLimits } from '@playchacha/protocol';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, START_MS } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const HOUR_MS = 3_600_000;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('limits (%s)', (_name, makeModel) => {
  let h: Harness;
  function given(limits: AccountLimits): void {
    h.openFundedAccount(A, 100_000, limits);
    h.openFundedAccount(B, 100_000);
    h.createMarket(1);
    h.createMarket(2);
    h.createMarket(3);
  }
  beforeEach(() => {
    h = new Harness(makeModel());
  });

  describe('market exposure limit', () => {
    beforeEach(() => given({ marketExposureMinorMax: 1500 }));

    it('rejects an order that takes the market exposure over the limit', () => {
      h.back(A, '2.0', 1000);
      const before = h.snapshot();
      // when 1000 + 600 = 1600 > 1500
      h.back(A, '2.0', 600);
      // then
      expect(h.rejectCode()).toBe('market_exposure_limit');
      expect(h.snapshot()).toEqual(before);
      // and 1000 + 500 = 1500 is at the limit, not over it
      h.back(A, '2.0', 500);
      expect(h.rejectCode()).toBeUndefined();
      expect(h.exposure(A)).toBe(1500);
    });

    it('accepts an order that does not raise the exposure at the limit', () => {
      h.back(A, '2.0', 1500);
      // a lay of 1000 at 1.5 (liability 500): if 0 wins −500, if 0 loses −1500 → still 1500
      h.lay(A, '1.5', 1000);
      expect(h.rejectCode()).toBeUndefined();
      expect(h.exposure(A)).toBe(1500);
    });

    it('accepts an order that does not raise the exposure when a lowered limit is already passed', () => {
      // given exposure 1200, then the limit is lowered to 500
      h.back(A, '2.0', 1200);
      h.given({ type: 'SetAccountLimits', accountId: A, limits: { marketExposureMinorMax: 500 } });
      // when a lay of 1000 at 1.5 (liability 500): if 0 wins −500, if 0 loses −1200 → still 1200
      h.lay(A, '1.5', 1000);
      // then
      expect(h.rejectCode()).toBeUndefined();
      // and one more unit of back raises it: rejected
      h.back(A, '2.0', 1);
      expect(h.rejectCode()).toBe('market_exposure_limit');
    });

    it('applies per market', () => {
      h.back(A, '2.0', 1500);
      h.back(A, '2.0', 1500, { marketId: 2 });
      expect(h.rejectCode()).toBeUndefined();
      expect(h.exposure(A)).toBe(3000);
    });
  });

  describe('loss limit', () => {
    beforeEach(() => given({ lossLimitMinor: 1000, lossLimitPeriodMs: HOUR_MS }));

    it('rejects an order that puts more than the limit at risk across markets', () => {
      h.back(A, '2.0', 1000);
      // when 1000 + 1 = 1001 > 1000
      h.back(A, '2.0', 1, { marketId: 2 });
      // then
      expect(h.rejectCode()).toBe('loss_limit_exceeded');
      expect(h.exposure(A)).toBe(1000);
    });

    describe('with a realised loss of 600 in the period', () => {
      beforeEach(() => {
        // A backs 600 at 2.0 on runner 0 and runner 1 wins
        h.advance(60_000);
        h.lay(B, '2.0', 600);
        h.back(A, '2.0', 600);
        h.closeAndSettle([1]);
        expect(h.account(A)).toMatchObject({ balanceMinor: 100_000 - 600, exposureMinor: 0 });
      });

      it('counts the loss: 600 + 500 = 1100 > 1000 is rejected, 600 + 400 = 1000 is not', () => {
        h.back(A, '2.0', 500, { marketId: 2 });
        expect(h.rejectCode()).toBe('loss_limit_exceeded');
        h.back(A, '2.0', 400, { marketId: 2 });
        expect(h.rejectCode()).toBeUndefined();
      });

      it('forgets the loss in the next period', () => {
        // when the first period (an hour from the time the limit was set) is over
        h.at(START_MS + HOUR_MS + 1000);
        h.back(A, '2.0', 500, { marketId: 2 });
        // then 0 + 500 ≤ 1000
        expect(h.rejectCode()).toBeUndefined();
        // and 500 + 501 > 1000 still counts the exposure
        h.back(A, '2.0', 501, { marketId: 3 });
        expect(h.rejectCode()).toBe('loss_limit_exceeded');
      });
    });
  });

  describe('changing limits never forgets the realised loss of the period', () => {
    beforeEach(() => {
      given({ lossLimitMinor: 1000, lossLimitPeriodMs: HOUR_MS });
      // a realised loss of 600 ten minutes into the first period
      h.advance(10 * 60_000);
      h.lay(B, '2.0', 600);
      h.back(A, '2.0', 600);
      h.closeAndSettle([1]);
      h.advance(60_000);
    });

    it('setting the same loss limit again keeps the loss: 600 + 401 > 1000', () => {
      h.given({ type: 'SetAccountLimits', accountId: A, limits: { lossLimitMinor: 1000, lossLimitPeriodMs: HOUR_MS } });
      h.back(A, '2.0', 401, { marketId: 2 });
      expect(h.rejectCode()).toBe('loss_limit_exceeded');
      h.back(A, '2.0', 400, { marketId: 2 });
      expect(h.rejectCode()).toBeUndefined();
    });

    it('a lower limit binds at once, counting the loss: 600 + 101 > 700', () => {
      h.given({ type: 'SetAccountLimits', accountId: A, limits: { lossLimitMinor: 700, lossLimitPeriodMs: HOUR_MS, stakeMinorMax: 50_000 } });
      h.back(A, '2.0', 101, { marketId: 2 });
      expect(h.rejectCode()).toBe('loss_limit_exceeded');
      h.back(A, '2.0', 100, { marketId: 2 });
      expect(h.rejectCode()).toBeUndefined();
    });

    it('a new amount keeps the period: the loss is forgotten when the first period ends', () => {
      h.given({ type: 'SetAccountLimits', accountId: A, limits: { lossLimitMinor: 2000, lossLimitPeriodMs: HOUR_MS } });
      h.back(A, '2.0', 1401, { marketId: 2 });
      expect(h.rejectCode()).toBe('loss_limit_exceeded');
      h.at(START_MS + HOUR_MS + 1000);
      h.back(A, '2.0', 1401, { marketId: 2 });
      expect(h.rejectCode()).toBeUndefined();
    });

    it('a new period length starts a period at the change that carries the loss', () => {
      const changedAtMs = h.nowMs;
      h.given({ type: 'SetAccountLimits', accountId: A, limits: { lossLimitMinor: 1000, lossLimitPeriodMs: 2 * HOUR_MS } });
      h.back(A, '2.0', 401, { marketId: 2 });
      expect(h.rejectCode()).toBe('loss_limit_exceeded');
      // past the end of the old period, still inside the new one
      h.at(START_MS + HOUR_MS + 1000);
      h.back(A, '2.0', 401, { marketId: 2 });
      expect(h.rejectCode()).toBe('loss_limit_exceeded');
      // the new period ends two hours after the change
      h.at(changedAtMs + 2 * HOUR_MS);
      h.back(A, '2.0', 1000, { marketId: 2 });
      expect(h.rejectCode()).toBeUndefined();
    });

    it('changing only other limits keeps the loss', () => {
      h.given({ type: 'SetAccountLimits', accountId: A, limits: { lossLimitMinor: 1000, lossLimitPeriodMs: HOUR_MS, openOrdersMax: 5 } });
      h.back(A, '2.0', 401, { marketId: 2 });
      expect(h.rejectCode()).toBe('loss_limit_exceeded');
    });
  });

  describe('loss-limit periods from the time the limit was set', () => {
    // given the limit is set 30 minutes after the account opened
    const setAtMs = START_MS + 30 * 60_000;
    beforeEach(() => {
      given({});
      // a loss of 200 before the limit exists: A backs 200 at 2.0 on market 3, runner 1 wins
      h.lay(B, '2.0', 200, { marketId: 3 });
      h.back(A, '2.0', 200, { marketId: 3 });
      h.closeAndSettle([1], 3);
      h.at(setAtMs);
      h.given({ type: 'SetAccountLimits', accountId: A, limits: { lossLimitMinor: 1000, lossLimitPeriodMs: HOUR_MS } });
      // a loss of 600 ten minutes into the first period
      h.at(setAtMs + 10 * 60_000);
      h.lay(B, '2.0', 600);
      h.back(A, '2.0', 600);
      h.closeAndSettle([1]);
    });

    it('does not count a loss made before the limit was set: 600 + 400 = 1000 is allowed', () => {
      h.at(setAtMs + 20 * 60_000);
      h.back(A, '2.0', 400, { marketId: 2 });
      expect(h.rejectCode()).toBeUndefined();
    });

    it('still counts the loss one hour after the account opened, inside the first period', () => {
      // START_MS + 1 h + 1 s is 31 minutes into the period that started at setAtMs
      h.at(START_MS + HOUR_MS + 1000);
      h.back(A, '2.0', 500, { marketId: 2 });
      expect(h.rejectCode()).toBe('loss_limit_exceeded');
    });

    it('resets when the period that started at the setting ends', () => {
      h.at(setAtMs + HOUR_MS + 1000);
      h.back(A, '2.0', 500, { marketId: 2 });
      expect(h.rejectCode()).toBeUndefined();
    });
  });

  describe('open-order cap', () => {
    beforeEach(() => given({ openOrdersMax: 2 }));

    it('rejects an order at the cap with too_many_open_orders', () => {
      const first = h.back(A, '2.0', 100).orderId;
      h.back(A, '2.2', 100);
      // when
      h.back(A, '2.4', 100);
      // then
      expect(h.rejectCode()).toBe('too_many_open_orders');
      // and after a cancel there is room again
      h.cancel(A, first);
      h.back(A, '2.4', 100);
      expect(h.rejectCode()).toBeUndefined();
    });

    it('frees a place when an order is matched', () => {
      h.back(A, '2.0', 100);
      h.back(A, '2.2', 100);
      h.lay(B, '2.0', 100); // fills the back at 2.0
      h.back(A, '2.4', 100);
      expect(h.rejectCode()).toBeUndefined();
    });

    it('counts an order waiting out the bet delay as open', () => {
      // given an in-play market with a delay, B's lay and A's back that would match it
      h.turnInPlay(2, 5000);
      h.lay(B, '2.0', 100, { marketId: 2 });
      h.back(A, '2.0', 100, { marketId: 2 });
      expect(h.events('OrderDelayed')).toHaveLength(1);
      h.back(A, '2.2', 100);
      expect(h.rejectCode()).toBeUndefined();
      // when a third order
      h.back(A, '2.4', 100);
      // then
      expect(h.rejectCode()).toBe('too_many_open_orders');
    });

    it('caps each account on its own', () => {
      h.back(A, '2.0', 100);
      h.back(A, '2.2', 100);
      h.back(B, '2.4', 100);
      expect(h.rejectCode()).toBeUndefined();
    });
  });

  describe('stakes', () => {
    beforeEach(() => {
      given({ stakeMinorMax: 5000 });
      h.createMarket(4, { minStakeMinor: 200 });
    });

    it('rejects a stake below the market minimum with stake_below_minimum', () => {
      h.back(A, '2.0', 199, { marketId: 4 });
      expect(h.rejectCode()).toBe('stake_below_minimum');
      h.lay(A, '2.0', 199, { marketId: 4 });
      expect(h.rejectCode()).toBe('stake_below_minimum');
      h.back(A, '2.0', 200, { marketId: 4 });
      expect(h.rejectCode()).toBeUndefined();
    });

    it('rejects a stake above the account maximum with stake_above_maximum', () => {
      h.back(A, '2.0', 5001);
      expect(h.rejectCode()).toBe('stake_above_maximum');
      h.lay(A, '2.0', 5001);
      expect(h.rejectCode()).toBe('stake_above_maximum');
      h.back(A, '2.0', 5000);
      expect(h.rejectCode()).toBeUndefined();
    });

    it('rejects a stake over STAKE_MINOR_MAX with invalid_stake, whatever the account limit', () => {
      h.back(B, '2.0', STAKE_MINOR_MAX + 1);
      expect(h.rejectCode()).toBe('invalid_stake');
    });
  });

  describe('setting limits', () => {
    beforeEach(() => given({}));

    it('applies limits set later and reports them', () => {
      // when
      h.when({ type: 'SetAccountLimits', accountId: A, limits: { stakeMinorMax: 300 } });
      // then
      expect(h.events('AccountLimitsSet')).toEqual([expect.objectContaining({ accountId: A, limits: { stakeMinorMax: 300 } })]);
      h.back(A, '2.0', 301);
      expect(h.rejectCode()).toBe('stake_above_maximum');
    });

    it.each<[string, AccountLimits]>([
      ['a maximum stake of 0', { stakeMinorMax: 0 }],
      ['a negative market exposure limit', { marketExposureMinorMax: -1 }],
      ['an open-order cap of 0', { openOrdersMax: 0 }],
      ['a fractional open-order cap', { openOrdersMax: 1.5 }],
      ['a negative loss limit', { lossLimitMinor: -5 }],
      ['a loss-limit period of 0', { lossLimitMinor: 100, lossLimitPeriodMs: 0 }],
    ])('rejects %s with invalid_limits', (_what, limits) => {
      h.when({ type: 'SetAccountLimits', accountId: A, limits });
      expect(h.rejectCode()).toBe('invalid_limits');
      h.when({ type: 'OpenAccount', accountId: 50, limits });
      expect(h.rejectCode()).toBe('invalid_limits');
      expect(h.model.account(50)).toBeUndefined();
    });

    it('rejects limits for an unknown account with unknown_account', () => {
      h.when({ type: 'SetAccountLimits', accountId: 77, limits: {} });
      expect(h.rejectCode()).toBe('unknown_account');
    });
  });
});
