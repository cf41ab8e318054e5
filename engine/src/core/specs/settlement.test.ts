// Settlement: results from matched positions, commission on net winnings per market, dead heats
// with one floor over the whole sum, several winners, invalid results, void.
import { beforeEach, describe, expect, it } from 'vitest';
import { HOUSE_ACCOUNT_ID, type DeadHeat } from '@playchacha/protocol';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const C = 3;
const START_MINOR = 100_000;
const HOUSE = HOUSE_ACCOUNT_ID;

function winner(runnerIndex: number, factorNumerator = 1, factorDenominator = 1): DeadHeat {
  return { runnerIndex, factorNumerator, factorDenominator };
}

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('settlement (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
    for (const id of [A, B, C]) h.openFundedAccount(id, START_MINOR);
  });

  function totalBalances(): number {
    return h.model.accounts().reduce((sum, a) => sum + a.balanceMinor, 0);
  }

  function settled(accountId: number): { pnlMinor: number; commissionMinor: number; balanceMinor: number } | undefined {
    const e = h.events('AccountSettled').find((x) => x.accountId === accountId);
    return e === undefined ? undefined : { pnlMinor: e.pnlMinor, commissionMinor: e.commissionMinor, balanceMinor: e.balanceMinor };
  }

  describe('a back of 1000 at 2.0 by A against B', () => {
    beforeEach(() => {
      h.createMarket();
      h.lay(B, '2.0', 1000);
      h.back(A, '2.0', 1000);
      h.closeMarket();
    });

    it('pays the winning backer less 5% commission and charges the layer', () => {
      // when runner 0 wins
      h.settle([winner(0)]);
      // then A: +1000, commission floor(1000 × 500 / 10000) = 50; B: −1000, no commission
      expect(h.events('MarketSettled')).toEqual([expect.objectContaining({ winners: [winner(0)], commissionBps: 500 })]);
      // pnlMinor is the result before commission (plainest reading of "the account's result")
      expect(settled(A)).toEqual({ pnlMinor: 1000, commissionMinor: 50, balanceMinor: START_MINOR + 1000 - 50 });
      expect(settled(B)).toEqual({ pnlMinor: -1000, commissionMinor: 0, balanceMinor: START_MINOR - 1000 });
      expect(h.balance(A)).toBe(100_950);
      expect(h.balance(B)).toBe(99_000);
      // the house receives the commission
      expect(h.balance(HOUSE)).toBe(50);
      expect(totalBalances()).toBe(3 * START_MINOR);
      expect(h.exposure(A)).toBe(0);
      expect(h.exposure(B)).toBe(0);
      expect(h.market().status).toBe('settled');
    });

    it('pays the winning layer less commission when the runner loses', () => {
      // when runner 1 wins
      h.settle([winner(1)]);
      // then A: −1000; B: +1000 − 50
      expect(h.balance(A)).toBe(99_000);
      expect(h.balance(B)).toBe(100_950);
      expect(h.balance(HOUSE)).toBe(50);
      expect(totalBalances()).toBe(3 * START_MINOR);
    });
  });

  it('charges the market\'s own commission rate: floor(1000 × 250 / 10000) = 25', () => {
    h.createMarket(1, { commissionBps: 250 });
    h.lay(B, '2.0', 1000);
    h.back(A, '2.0', 1000);
    h.closeAndSettle([0]);
    expect(settled(A)).toMatchObject({ pnlMinor: 1000, commissionMinor: 25 });
    expect(h.events('MarketSettled')).toEqual([expect.objectContaining({ commissionBps: 250 })]);
    expect(h.balance(HOUSE)).toBe(25);
  });

  it('rounds commission down: floor(1001 × 500 / 10000) = floor(50.05) = 50', () => {
    h.createMarket();
    h.lay(B, '2.0', 1001);
    h.back(A, '2.0', 1001);
    h.closeAndSettle([0]);
    expect(settled(A)).toMatchObject({ pnlMinor: 1001, commissionMinor: 50 });
    expect(h.balance(A)).toBe(START_MINOR + 1001 - 50);
  });

  it('charges commission on the net result of the market, not on each winning bet', () => {
    // given A backs runner 0: 1001 at 2.0 against B, and runner 1: 600 at 3.0 against C
    h.createMarket();
    h.lay(B, '2.0', 1001);
    h.back(A, '2.0', 1001);
    h.lay(C, '3.0', 600, { runnerIndex: 1 });
    h.back(A, '3.0', 600, { runnerIndex: 1 });
    // when runner 0 wins
    h.closeAndSettle([0]);
    // then A: +1001 − 600 = 401, commission floor(401 × 0.05) = floor(20.05) = 20
    expect(settled(A)).toEqual({ pnlMinor: 401, commissionMinor: 20, balanceMinor: 100_381 });
    // B: −1001; C: +600, commission 30
    expect(settled(B)).toEqual({ pnlMinor: -1001, commissionMinor: 0, balanceMinor: 98_999 });
    expect(settled(C)).toEqual({ pnlMinor: 600, commissionMinor: 30, balanceMinor: 100_570 });
    // house 20 + 30 = 50; 100381 + 98999 + 100570 + 50 = 300000
    expect(h.balance(HOUSE)).toBe(50);
    expect(totalBalances()).toBe(3 * START_MINOR);
  });

  it('charges no commission on a net loss made of a win and a bigger loss', () => {
    // given A backs runner 0: 500 at 2.0 (B lays) and runner 1: 1000 at 3.0 (C lays)
    h.createMarket();
    h.lay(B, '2.0', 500);
    h.back(A, '2.0', 500);
    h.lay(C, '3.0', 1000, { runnerIndex: 1 });
    h.back(A, '3.0', 1000, { runnerIndex: 1 });
    // when runner 0 wins: A +500 − 1000 = −500
    h.closeAndSettle([0]);
    expect(settled(A)).toEqual({ pnlMinor: -500, commissionMinor: 0, balanceMinor: 99_500 });
  });

  it('settles a dead heat with one floor over the whole sum; the house gets the rounding', () => {
    // given A backs runner 0 at 3.0: 1001 against B (liability floor(1001 × 200 / 100) = 2002)
    // and 1 against C (liability 2)
    h.createMarket();
    h.lay(B, '3.0', 1001);
    h.lay(C, '3.0', 1);
    h.back(A, '3.0', 1002);
    expect(h.fills().map((f) => [f.stakeMinor, f.liabilityMinor])).toEqual([
      [1001, 2002],
      [1, 2],
    ]);
    // when runners 0 and 1 dead-heat at 1/2 each
    h.given({ type: 'CloseMarket', marketId: 1 });
    h.settle([winner(0, 1, 2), winner(1, 1, 2)]);
    // then A: floor(−1002 + (2004 + 1002) / 2) = floor(501) = 501 (per fill it would be 500 + 0);
    // commission floor(501 × 0.05) = floor(25.05) = 25
    expect(settled(A)).toEqual({ pnlMinor: 501, commissionMinor: 25, balanceMinor: START_MINOR + 501 - 25 });
    // B: floor(1001 − 3003 / 2) = floor(−500.5) = −501; C: floor(1 − 3 / 2) = floor(−0.5) = −1
    expect(settled(B)).toEqual({ pnlMinor: -501, commissionMinor: 0, balanceMinor: START_MINOR - 501 });
    expect(settled(C)).toEqual({ pnlMinor: -1, commissionMinor: 0, balanceMinor: START_MINOR - 1 });
    // results sum to 501 − 501 − 1 = −1: the house gets 25 + 1 = 26
    expect(h.balance(HOUSE)).toBe(26);
    expect(totalBalances()).toBe(3 * START_MINOR);
  });

  it('settles a market with two winners', () => {
    // given a 3-runner market with 2 winners; A backs runner 0 (1000 at 2.0, B lays)
    // and runner 1 (1000 at 3.0, C lays)
    h.createMarket(1, { runnerCount: 3, numberOfWinners: 2 });
    h.lay(B, '2.0', 1000);
    h.back(A, '2.0', 1000);
    h.lay(C, '3.0', 1000, { runnerIndex: 1 });
    h.back(A, '3.0', 1000, { runnerIndex: 1 });
    // when runners 0 and 1 both win
    h.closeAndSettle([0, 1]);
    // then A: +1000 + 2000 = 3000, commission 150; B: −1000; C: −2000
    expect(settled(A)).toEqual({ pnlMinor: 3000, commissionMinor: 150, balanceMinor: START_MINOR + 3000 - 150 });
    expect(settled(B)).toMatchObject({ pnlMinor: -1000, balanceMinor: START_MINOR - 1000 });
    expect(settled(C)).toMatchObject({ pnlMinor: -2000, balanceMinor: START_MINOR - 2000 });
    expect(h.balance(HOUSE)).toBe(150);
    expect(totalBalances()).toBe(3 * START_MINOR);
  });

  it('settles a dead heat for second place on a two-winner market', () => {
    // given A backs runner 2 for 1001 at 2.0 against B
    h.createMarket(1, { runnerCount: 3, numberOfWinners: 2 });
    h.lay(B, '2.0', 1001, { runnerIndex: 2 });
    h.back(A, '2.0', 1001, { runnerIndex: 2 });
    // when runner 0 wins outright and runners 1 and 2 share second place (1/2 each; sum 2 ≤ 2)
    h.given({ type: 'CloseMarket', marketId: 1 });
    h.settle([winner(0), winner(1, 1, 2), winner(2, 1, 2)]);
    // then A: floor(−1001 + (1001 + 1001) / 2) = 0; B: floor(1001 − 2002 / 2) = 0
    expect(settled(A)).toMatchObject({ pnlMinor: 0, commissionMinor: 0, balanceMinor: START_MINOR });
    expect(settled(B)).toMatchObject({ pnlMinor: 0, commissionMinor: 0, balanceMinor: START_MINOR });
  });

  describe('invalid results', () => {
    it.each<[string, number, DeadHeat[]]>([
      ['a half winner on a single-winner market (1/2 ≠ 1)', 1, [winner(0, 1, 2)]],
      ['two outright winners on a single-winner market (2 ≠ 1)', 1, [winner(0), winner(1)]],
      ['no winner on a single-winner market (0 ≠ 1)', 1, []],
      ['a winner that is not a runner', 1, [winner(5)]],
      ['a factor over 1 on a two-winner market', 2, [winner(0, 3, 2), winner(1, 1, 2)]],
      ['three outright winners on a two-winner market (3 > 2)', 2, [winner(0), winner(1), winner(2)]],
    ])('rejects %s with invalid_settlement', (_what, numberOfWinners, winners) => {
      h.createMarket(1, { runnerCount: 3, numberOfWinners });
      h.lay(B, '2.0', 1000);
      h.back(A, '2.0', 1000);
      h.given({ type: 'CloseMarket', marketId: 1 });
      const before = h.snapshot();
      // when
      h.settle(winners);
      // then
      expect(h.rejectCode()).toBe('invalid_settlement');
      expect(h.market().status).toBe('closed');
      expect(h.snapshot()).toEqual(before);
    });

    it('accepts a three-way dead heat of 1/3 each on a single-winner market', () => {
      h.createMarket(1, { runnerCount: 3 });
      h.closeMarket();
      h.settle([winner(0, 1, 3), winner(1, 1, 3), winner(2, 1, 3)]);
      expect(h.rejectCodes()).toEqual([]);
      expect(h.market().status).toBe('settled');
    });
  });

  it('returns every stake when the market is void', () => {
    // given A's back of 1000 at 2.0 is matched against B, and A has a lay resting
    h.createMarket();
    h.lay(B, '2.0', 1000);
    h.back(A, '2.0', 1000);
    const resting = h.lay(A, '1.5', 300).orderId;
    // when
    h.voidMarket(1, 'abandoned');
    // then
    expect(h.events('OrderClosed')).toEqual([expect.objectContaining({ orderId: resting, reason: 'market_voided' })]);
    for (const id of [A, B]) {
      expect(h.account(id)).toEqual({ accountId: id, balanceMinor: START_MINOR, exposureMinor: 0, availableMinor: START_MINOR });
    }
    expect(h.balance(HOUSE)).toBe(0);
    expect(h.events('AccountSettled').filter((e) => e.commissionMinor !== 0)).toEqual([]);
  });
});
