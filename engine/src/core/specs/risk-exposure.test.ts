// Exposure: unmatched orders count only where they hurt, bets on a market net, fills and
// cancels never raise exposure, and funds are checked against available = balance − exposure.
import { beforeEach, describe, expect, it } from 'vitest';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const C = 3;
const POOR = 9;
const TWO_RUNNERS = 1;
const THREE_RUNNERS = 3;
const TWO_WINNERS = 4;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('exposure and funds (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
    for (const id of [A, B, C]) h.openFundedAccount(id, 100_000);
    h.openFundedAccount(POOR, 1000);
    h.createMarket(TWO_RUNNERS, { runnerCount: 2 });
    h.createMarket(THREE_RUNNERS, { runnerCount: 3 });
    h.createMarket(TWO_WINNERS, { runnerCount: 3, numberOfWinners: 2 });
  });

  it('holds the stake of an open back', () => {
    h.back(A, '2.0', 1000);
    expect(h.account(A)).toEqual({ accountId: A, balanceMinor: 100_000, exposureMinor: 1000, availableMinor: 99_000 });
  });

  it('holds the liability of an open lay: floor(1000 × 150 / 100) = 1500', () => {
    h.lay(A, '2.5', 1000);
    expect(h.exposure(A)).toBe(1500);
  });

  it('offsets a back and a lay on one runner: the larger side, not the sum', () => {
    // given back 1000 at 3.0 (−1000 if runner 0 loses) and lay 600 at 2.0 (−600 if runner 0 wins)
    h.back(A, '3.0', 1000);
    h.lay(A, '2.0', 600);
    // then max(1000, 600) = 1000, not 1600
    expect(h.exposure(A)).toBe(1000);
  });

  it('nets open backs on every runner: 3 × 1000 holds 2000 (two of them lose)', () => {
    for (const runnerIndex of [0, 1, 2]) h.back(A, '2.0', 1000, { marketId: THREE_RUNNERS, runnerIndex });
    expect(h.exposure(A)).toBe(2000);
  });

  it('nets matched backs on every runner at 3.0 to nothing (a dutch)', () => {
    // given B lays 1000 at 3.0 on each runner: each holds 2000 if its runner wins, only one can
    for (const runnerIndex of [0, 1, 2]) h.lay(B, '3.0', 1000, { marketId: THREE_RUNNERS, runnerIndex });
    expect(h.exposure(B)).toBe(2000);
    // when A backs each one
    for (const runnerIndex of [0, 1, 2]) h.back(A, '3.0', 1000, { marketId: THREE_RUNNERS, runnerIndex });
    // then A: any runner wins → +2000 − 1000 − 1000 = 0; B: −2000 + 1000 + 1000 = 0
    expect(h.exposure(A)).toBe(0);
    expect(h.exposure(B)).toBe(0);
  });

  it('nets open lays on both runners of a two-runner market: only one can win', () => {
    h.lay(A, '2.0', 1000, { runnerIndex: 0 });
    h.lay(A, '2.0', 1000, { runnerIndex: 1 });
    expect(h.exposure(A)).toBe(1000);
  });

  it('does not net across runners of a market with several winners', () => {
    // single winner, 3 runners: lays of 1000 at 2.0 on runners 0 and 1 → at most one wins → 1000
    h.lay(A, '2.0', 1000, { marketId: THREE_RUNNERS, runnerIndex: 0 });
    h.lay(A, '2.0', 1000, { marketId: THREE_RUNNERS, runnerIndex: 1 });
    expect(h.exposure(A)).toBe(1000);
    // two winners: Σ min(ifWin − openLay, ifLose − openBack) = −1000 − 1000 + 0 → 2000 more
    h.lay(A, '2.0', 1000, { marketId: TWO_WINNERS, runnerIndex: 0 });
    h.lay(A, '2.0', 1000, { marketId: TWO_WINNERS, runnerIndex: 1 });
    expect(h.exposure(A)).toBe(3000);
  });

  it('holds the larger side of a two-sided quote', () => {
    // back 800 at 2.2 (−800 if runner 0 loses), lay 1000 at 2.0 (−1000 if runner 0 wins)
    h.back(A, '2.2', 800);
    h.lay(A, '2.0', 1000);
    expect(h.exposure(A)).toBe(1000);
  });

  it('nets a matched back and a matched lay on one runner (trading out)', () => {
    // given A backs 1000 at 3.0 (matched against B): if 0 wins +2000, if 0 loses −1000
    h.lay(B, '3.0', 1000);
    h.back(A, '3.0', 1000);
    expect(h.exposure(A)).toBe(1000);
    // when A lays 1000 at 2.0 (matched against C): if 0 wins −1000, if 0 loses +1000
    h.back(C, '2.0', 1000);
    h.lay(A, '2.0', 1000);
    // then if 0 wins +1000, if 0 loses 0 → nothing at risk
    expect(h.exposure(A)).toBe(0);
  });

  it('sums exposure over markets', () => {
    // 1000 on one market, floor(500 × 100 / 100) = 500 on another
    h.back(A, '2.0', 1000);
    h.lay(A, '2.0', 500, { marketId: THREE_RUNNERS });
    expect(h.account(A)).toMatchObject({ exposureMinor: 1500, availableMinor: 100_000 - 1500 });
  });

  describe('with exactly enough funds', () => {
    it('accepts an order that uses all of the available balance and rejects one unit more', () => {
      // when
      h.back(POOR, '2.0', 1001);
      // then
      expect(h.rejectCode()).toBe('insufficient_funds');
      expect(h.account(POOR)).toMatchObject({ exposureMinor: 0, availableMinor: 1000 });
      // and
      h.back(POOR, '2.0', 1000);
      expect(h.rejectCode()).toBeUndefined();
      expect(h.account(POOR)).toMatchObject({ exposureMinor: 1000, availableMinor: 0 });
    });

    it('checks a lay by its rounded liability', () => {
      // given a balance of 500
      h.withdraw(POOR, 500);
      // when 492 at 2.02: floor(492 × 102 / 100) = floor(501.84) = 501 > 500
      h.lay(POOR, '2.02', 492);
      expect(h.rejectCode()).toBe('insufficient_funds');
      // when 491 at 2.02: floor(491 × 102 / 100) = floor(500.82) = 500
      h.lay(POOR, '2.02', 491);
      expect(h.rejectCode()).toBeUndefined();
      expect(h.account(POOR)).toMatchObject({ exposureMinor: 500, availableMinor: 0 });
    });

    it('accepts the other side of a quote with nothing available, since it does not raise exposure', () => {
      // given a back of 1000 at 3.0: available 0
      h.back(POOR, '3.0', 1000);
      // when a lay of 1000 at 2.0 (liability 1000)
      h.lay(POOR, '2.0', 1000);
      // then if 0 wins −1000 (lay), if 0 loses −1000 (back): still 1000
      expect(h.rejectCode()).toBeUndefined();
      expect(h.account(POOR)).toMatchObject({ exposureMinor: 1000, availableMinor: 0 });
      // and one more unit on the back side raises it: rejected
      h.back(POOR, '3.0', 1);
      expect(h.rejectCode()).toBe('insufficient_funds');
    });

    it('still covers a quote where one side fills and the other lapses at the off', () => {
      // given POOR quotes: back 1000 at 3.0, lay 1000 at 2.0 (holding 1000)
      h.back(POOR, '3.0', 1000);
      const lay = h.lay(POOR, '2.0', 1000).orderId;
      // when C takes the lay in full
      h.back(C, '2.0', 1000);
      expect(h.closed(lay)?.reason).toBe('matched');
      // then if 0 wins −1000 (matched lay); if 0 loses +1000 − 1000 (open back) = 0 → 1000
      expect(h.account(POOR)).toMatchObject({ exposureMinor: 1000, availableMinor: 0 });
      // when the back lapses at the off
      h.turnInPlay();
      // then if 0 wins −1000; if 0 loses +1000 → still 1000, still covered
      expect(h.account(POOR)).toMatchObject({ balanceMinor: 1000, exposureMinor: 1000, availableMinor: 0 });
      // and if runner 0 wins POOR pays exactly what it had: 1000 − 1000 = 0
      h.closeAndSettle([0]);
      expect(h.account(POOR)).toEqual({ accountId: POOR, balanceMinor: 0, exposureMinor: 0, availableMinor: 0 });
    });
  });

  describe('fills and cancels never raise exposure', () => {
    it('a lay filled at a better price holds only the matched liability', () => {
      // given B backs 1000 at 2.0
      h.back(B, '2.0', 1000);
      // and POOR has 2000
      h.deposit(POOR, 1000);
      // when POOR lays 1000 at 3.0: it needs floor(1000 × 200 / 100) = 2000 ...
      h.lay(POOR, '3.0', 1000);
      // then ... but fills at 2.0: liability 1000
      expect(h.rejectCode()).toBeUndefined();
      expect(h.fills().map((f) => f.liabilityMinor)).toEqual([1000]);
      expect(h.account(POOR)).toMatchObject({ exposureMinor: 1000, availableMinor: 1000 });
    });

    it('a back filled in full keeps the same exposure', () => {
      h.back(A, '2.0', 1000);
      h.lay(B, '2.0', 1000);
      // matched back: if 0 loses −1000
      expect(h.exposure(A)).toBe(1000);
    });

    it('a cancel next to a matched bet keeps or lowers exposure', () => {
      // given A's back of 1000 at 2.0 on runner 0 is matched, and A backs 1000 at 2.0 on runner 1
      h.lay(B, '2.0', 1000);
      h.back(A, '2.0', 1000);
      const open = h.back(A, '2.0', 1000, { runnerIndex: 1 }).orderId;
      // if 0 wins +1000 − 1000 = 0; if 1 wins −1000 + 0 → 1000
      expect(h.exposure(A)).toBe(1000);
      // when
      h.cancel(A, open);
      // then if 0 wins +1000; if 1 wins −1000 → 1000: not raised
      expect(h.exposure(A)).toBe(1000);
    });

    it('every exposure in a run of fills, cancels and lapses is at most the one before', () => {
      // given
      const back = h.back(A, '3.0', 1000).orderId;
      const lay = h.lay(A, '2.0', 600).orderId;
      const exposures = [h.exposure(A)];
      // when
      h.back(B, '2.0', 200); // fills 200 of A's lay
      exposures.push(h.exposure(A));
      h.lay(C, '3.0', 300); // fills 300 of A's back
      exposures.push(h.exposure(A));
      h.cancel(A, lay, 100);
      exposures.push(h.exposure(A));
      h.cancel(A, back);
      exposures.push(h.exposure(A));
      h.turnInPlay(); // lapses the rest of the lay
      exposures.push(h.exposure(A));
      // then
      for (let i = 1; i < exposures.length; i += 1) expect(exposures[i]).toBeLessThanOrEqual(exposures[i - 1] as number);
      // the end: lay 200 at 2.0 matched (ifWin −200, ifLose +200), back 300 at 3.0 matched
      // (ifWin +600, ifLose −300): if 0 wins +400, if 0 loses −100 → 100
      expect(exposures.at(-1)).toBe(100);
    });
  });

  it('drops exposure to zero when the market is settled', () => {
    h.back(A, '2.0', 1000);
    h.lay(B, '2.0', 1000);
    h.closeAndSettle([1]);
    expect(h.exposure(A)).toBe(0);
    expect(h.exposure(B)).toBe(0);
  });

  it('drops exposure to zero when the market is void', () => {
    h.back(A, '2.0', 1000);
    h.lay(B, '2.0', 1000);
    h.voidMarket();
    expect(h.account(A)).toMatchObject({ balanceMinor: 100_000, exposureMinor: 0 });
    expect(h.account(B)).toMatchObject({ balanceMinor: 100_000, exposureMinor: 0 });
  });

  it('limits withdrawals to available', () => {
    // given POOR backs 600: available 1000 − 600 = 400
    h.back(POOR, '2.0', 600);
    // when
    h.withdraw(POOR, 401);
    // then
    expect(h.rejectCode()).toBe('insufficient_funds');
    h.withdraw(POOR, 400);
    expect(h.rejectCode()).toBeUndefined();
    expect(h.account(POOR)).toEqual({ accountId: POOR, balanceMinor: 600, exposureMinor: 600, availableMinor: 0 });
  });
});
