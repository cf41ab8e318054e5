// What has traded on a market: each runner's last traded price (null before its first match) and
// matched volume (the summed backer's stake), and the market's total. Part of the engine state:
// kept in snapshots and covered by the state hash.
import { beforeEach, describe, expect, it } from 'vitest';
import { ExchangeCore, type CoreSnapshot } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, MARKET_ID, START_MS, tick } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const C = 3;
const OTHER_MARKET = 2;

const untraded = (runnerIndex: number) => ({ runnerIndex, lastPriceTicks: null, matchedMinor: 0 });

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('traded figures (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
    for (const id of [A, B, C]) h.openFundedAccount(id, 1_000_000);
    h.createMarket(MARKET_ID, { runnerCount: 3 });
    h.createMarket(OTHER_MARKET);
  });

  it('shows nothing traded on a new market, and nothing for an unknown one', () => {
    expect(h.traded()).toEqual({ runners: [untraded(0), untraded(1), untraded(2)], matchedMinor: 0 });
    expect(h.model.traded(99)).toBeUndefined();
  });

  it('keeps the price of each runner\'s latest match and its summed backer\'s stake, and the market total', () => {
    // given lays at 2.0 and 2.5 on runner 1
    h.lay(B, '2.0', 300, { runnerIndex: 1 });
    h.lay(C, '2.5', 200, { runnerIndex: 1 });
    // when A backs 400 at 2.0: 200 at 2.5 first, then 200 at 2.0
    h.back(A, '2.0', 400, { runnerIndex: 1 });
    // then the last traded price is the latest match's (2.0), the volume both matches' stake
    expect(h.traded()).toEqual({
      runners: [untraded(0), { runnerIndex: 1, lastPriceTicks: tick('2.0'), matchedMinor: 400 }, untraded(2)],
      matchedMinor: 400,
    });
    // when a lay takes a resting back on runner 0 at the back's price
    h.back(B, '3.0', 150);
    h.lay(C, '3.5', 100);
    // then runner 0 trades at 3.0, runner 1 is unchanged, the total adds the backer's stake
    expect(h.traded()).toEqual({
      runners: [
        { runnerIndex: 0, lastPriceTicks: tick('3.0'), matchedMinor: 100 },
        { runnerIndex: 1, lastPriceTicks: tick('2.0'), matchedMinor: 400 },
        untraded(2),
      ],
      matchedMinor: 500,
    });
    // and the other market traded nothing
    expect(h.traded(OTHER_MARKET)).toEqual({ runners: [untraded(0), untraded(1)], matchedMinor: 0 });
  });

  it('is changed by matches only: not by cancels, suspension, settlement or a void', () => {
    h.lay(B, '2.0', 300);
    h.back(A, '2.0', 100);
    const after = h.traded();
    const resting = h.lay(B, '4.0', 100, { runnerIndex: 2 }).orderId;
    h.cancel(B, resting);
    h.suspend();
    h.resume();
    h.closeAndSettle([0]);
    expect(h.traded()).toEqual(after);
    h.resettle(null);
    expect(h.traded()).toEqual({ runners: [{ runnerIndex: 0, lastPriceTicks: tick('2.0'), matchedMinor: 100 }, untraded(1), untraded(2)], matchedMinor: 100 });
  });

  it('counts a delayed order\'s matches when it is released, not when it is placed', () => {
    h.turnInPlay(MARKET_ID, 1000);
    h.lay(B, '2.0', 300);
    h.back(A, '2.0', 200);
    expect(h.traded().matchedMinor).toBe(0);
    h.advance(1000).clock();
    expect(h.traded().runners[0]).toEqual({ runnerIndex: 0, lastPriceTicks: tick('2.0'), matchedMinor: 200 });
    expect(h.traded().matchedMinor).toBe(200);
  });

  it('is left unchanged by a rejected order', () => {
    h.lay(B, '2.0', 300);
    h.back(A, '2.0', 100);
    const before = h.snapshot();
    h.back(A, '2.0', 100, { runnerIndex: 7 });
    expect(h.rejectCode()).toBe('invalid_runner');
    expect(h.snapshot()).toEqual(before);
  });
});

describe('traded figures in snapshots and the state hash', () => {
  function traded(): { h: Harness; core: ExchangeCore } {
    const core = new ExchangeCore();
    const h = new Harness(core);
    for (const id of [A, B]) h.openFundedAccount(id, 1_000_000);
    h.createMarket(MARKET_ID, { runnerCount: 3 });
    h.lay(B, '2.0', 300, { runnerIndex: 2 });
    h.back(A, '2.0', 120, { runnerIndex: 2 });
    return { h, core };
  }

  it('a core restored from a snapshot keeps them, and its hash', () => {
    const { core } = traded();
    const saved = JSON.parse(JSON.stringify(core.snapshot())) as CoreSnapshot;
    const restored = ExchangeCore.fromSnapshot(saved);
    expect(restored.traded(MARKET_ID)).toEqual(core.traded(MARKET_ID));
    expect(restored.traded(MARKET_ID)?.runners[2]).toEqual({ runnerIndex: 2, lastPriceTicks: tick('2.0'), matchedMinor: 120 });
    expect(restored.stateHash()).toBe(core.stateHash());
  });

  it('an older snapshot without them restores as nothing traded, and the hash tells the states apart', () => {
    const { core } = traded();
    const saved = JSON.parse(JSON.stringify(core.snapshot())) as CoreSnapshot;
    const older: CoreSnapshot = {
      ...saved,
      matching: { ...saved.matching, markets: saved.matching.markets.map(({ traded: _traded, ...market }) => market) },
    };
    const restored = ExchangeCore.fromSnapshot(older);
    expect(restored.traded(MARKET_ID)).toEqual({ runners: [untraded(0), untraded(1), untraded(2)], matchedMinor: 0 });
    expect(restored.stateHash()).not.toBe(core.stateHash());
  });

  it('the matches after a restore add to the restored figures', () => {
    const { core } = traded();
    const restored = ExchangeCore.fromSnapshot(core.snapshot());
    const place = (seq: number, accountId: number, side: 'back' | 'lay', stakeMinor: number) =>
      restored.apply({
        seq: core.lastAppliedSeq + seq,
        timestampMs: START_MS + seq,
        command: { type: 'PlaceOrder', accountId, clientOrderId: `r${seq}`, marketId: MARKET_ID, runnerIndex: 2, side, priceTicks: tick('2.5'), stakeMinor },
      });
    place(1, B, 'lay', 100);
    place(2, A, 'back', 50);
    expect(restored.traded(MARKET_ID)?.runners[2]).toEqual({ runnerIndex: 2, lastPriceTicks: tick('2.5'), matchedMinor: 170 });
    expect(restored.traded(MARKET_ID)?.matchedMinor).toBe(170);
  });
});
