// The in-play bet delay: crossing orders wait, passive ones rest at once, time moves only with
// journaled commands, and a suspension lapses the waiting orders.
import { beforeEach, describe, expect, it } from 'vitest';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, MARKET_ID, START_MS, tick } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const C = 3;
const D = 4;
const DELAY_MS = 5000;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('bet delay (%s)', (_name, makeModel) => {
  let h: Harness;
  let lay: number;
  beforeEach(() => {
    h = new Harness(makeModel());
    for (const id of [A, B, C, D]) h.openFundedAccount(id, 100_000);
    h.createMarket();
    h.turnInPlay(MARKET_ID, DELAY_MS);
    h.advance(100);
  });

  it('rests an order that would not match at once', () => {
    // when B lays on an empty book in play
    lay = h.lay(B, '2.0', 1000).orderId;
    // then
    expect(h.events('OrderDelayed')).toEqual([]);
    expect(h.queues('lay')).toEqual([[tick('2.0'), [lay]]]);
    expect(h.openOrder(lay)?.delayed).toBe(false);
  });

  describe('an order that would match', () => {
    let back: number;
    const placedAtMs = START_MS + 200;
    const releaseAtMs = placedAtMs + DELAY_MS;
    beforeEach(() => {
      lay = h.lay(B, '2.0', 1000).orderId;
      h.at(placedAtMs);
      back = h.back(A, '2.0', 400).orderId;
    });

    it('is accepted and held until timestampMs + betDelayMs', () => {
      // then
      expect(h.events('OrderDelayed')).toEqual([
        expect.objectContaining({ marketId: MARKET_ID, orderId: back, accountId: A, releaseAtMs }),
      ]);
      expect(h.fills()).toEqual([]);
      expect(h.openOrder(back)).toMatchObject({ delayed: true, remainingMinor: 400 });
      expect(h.bookSide('back')).toEqual([]);
      expect(h.bookSide('lay')).toEqual([{ priceTicks: tick('2.0'), orderIds: [lay], totalMinor: 1000 }]);
      // its worst case is held while it waits
      expect(h.exposure(A)).toBe(400);
    });

    it('stays held by a command one millisecond before its release', () => {
      h.at(releaseAtMs - 1).clock();
      expect(h.last).toEqual([]);
      expect(h.openOrder(back)?.delayed).toBe(true);
    });

    it('is released by a Clock command at its release time and matches as if new', () => {
      // when
      h.at(releaseAtMs).clock();
      // then
      expect(h.fills()).toEqual([
        { priceTicks: tick('2.0'), stakeMinor: 400, liabilityMinor: 400, backOrderId: back, layOrderId: lay },
      ]);
      expect(h.closed(back)?.reason).toBe('matched');
      expect(h.openOrder(lay)).toMatchObject({ remainingMinor: 600 });
    });

    it('is released before the command that moves time past it is applied', () => {
      // when D backs 1000 after the release time
      h.at(releaseAtMs + 1000);
      const late = h.back(D, '2.0', 1000).orderId;
      // then A's order reaches the book first and takes 400; D's would cross the other 600, so it waits
      expect(h.fills()).toEqual([
        { priceTicks: tick('2.0'), stakeMinor: 400, liabilityMinor: 400, backOrderId: back, layOrderId: lay },
      ]);
      expect(h.events('OrderDelayed')).toEqual([expect.objectContaining({ orderId: late, releaseAtMs: releaseAtMs + 1000 + DELAY_MS })]);
    });

    it('rests on release when the liquidity it wanted is gone', () => {
      // given B cancels meanwhile
      h.advance(1000);
      h.cancel(B, lay);
      // when
      h.at(releaseAtMs).clock();
      // then
      expect(h.fills()).toEqual([]);
      expect(h.queues('back')).toEqual([[tick('2.0'), [back]]]);
      expect(h.openOrder(back)?.delayed).toBe(false);
    });

    it('is closed lapsed_suspended when the market is suspended; resting orders stay', () => {
      // when
      h.advance(1000);
      h.suspend();
      // then
      expect(h.events('OrderClosed')).toEqual([
        expect.objectContaining({ orderId: back, reason: 'lapsed_suspended', sizeMinor: 400, matchedMinor: 0, cancelledMinor: 400 }),
      ]);
      expect(h.openOrderIds()).toEqual([lay]);
      expect(h.exposure(A)).toBe(0);
      // and nothing is released later
      h.resume();
      h.at(releaseAtMs).clock();
      expect(h.fills()).toEqual([]);
    });

    it('applies its time in force on release: a FOK that can no longer fill is killed then', () => {
      // given a second, FOK order of C for 600 that would match the 600 left after A's 400
      const fok = h.back(C, '2.0', 600, { timeInForce: 'fok' }).orderId;
      expect(h.events('OrderDelayed')).toEqual([expect.objectContaining({ orderId: fok })]);
      // and B reduces its lay to 900 meanwhile
      h.cancel(B, lay, 100);
      // when both are released: A takes 400, 500 are left for C's 600
      h.at(releaseAtMs).clock();
      // then
      expect(h.fills().map((f) => [f.backOrderId, f.stakeMinor])).toEqual([[back, 400]]);
      expect(h.closed(fok)).toMatchObject({ reason: 'fill_or_kill', matchedMinor: 0, cancelledMinor: 600 });
    });

    it('is closed market_closed when the market closes', () => {
      h.advance(1000);
      h.closeMarket();
      expect(h.closed(back)?.reason).toBe('market_closed');
      expect(h.openOrderIds()).toEqual([]);
    });

    it('is closed market_voided when the market is voided', () => {
      h.advance(1000);
      h.voidMarket();
      expect(h.closed(back)?.reason).toBe('market_voided');
      expect(h.exposure(A)).toBe(0);
    });

    it('can be cancelled while it waits', () => {
      // plainest reading: CancelOrder cancels any open order, delayed ones included
      h.advance(1000);
      h.cancel(A, back);
      expect(h.closed(back)?.reason).toBe('cancelled');
      h.at(releaseAtMs).clock();
      expect(h.fills()).toEqual([]);
    });
  });

  it('releases in order of release time, then order id', () => {
    // given 300 to lay
    lay = h.lay(B, '2.0', 300).orderId;
    // C's back waits 5000 ms from t; then the delay drops to 1000 and A's back waits 1000 ms from t + 100
    const t = h.nowMs;
    const slow = h.back(C, '2.0', 300).orderId; // releases at t + 5000
    h.when({ type: 'SetBetDelay', marketId: MARKET_ID, betDelayMs: 1000 });
    h.at(t + 100);
    const fast = h.back(A, '2.0', 300).orderId; // releases at t + 1100
    expect(fast).toBeGreaterThan(slow);
    // when one command moves time past both
    h.at(t + 6000).clock();
    // then A's order is released first and takes the 300; C's rests
    expect(h.fills()).toEqual([
      { priceTicks: tick('2.0'), stakeMinor: 300, liabilityMinor: 300, backOrderId: fast, layOrderId: lay },
    ]);
    expect(h.queues('back')).toEqual([[tick('2.0'), [slow]]]);
  });

  it('releases orders with the same release time in ascending order id', () => {
    // given two backs placed at the same timestamp, 300 to lay
    lay = h.lay(B, '2.0', 300).orderId;
    const first = h.back(C, '2.0', 300).orderId;
    const second = h.back(A, '2.0', 300).orderId;
    // when
    h.advance(DELAY_MS).clock();
    // then the lower order id matches
    expect(h.fills().map((f) => f.backOrderId)).toEqual([first]);
    expect(h.queues('back')).toEqual([[tick('2.0'), [second]]]);
  });

  it('does not delay anything before the market is in play', () => {
    // given a market not in play
    h.createMarket(2);
    h.lay(B, '2.0', 300, { marketId: 2 });
    // when
    h.back(A, '2.0', 300, { marketId: 2 });
    // then
    expect(h.events('OrderDelayed')).toEqual([]);
    expect(h.fills()).toHaveLength(1);
  });

  it('does not delay anything in play with a delay of 0', () => {
    h.when({ type: 'SetBetDelay', marketId: MARKET_ID, betDelayMs: 0 });
    h.lay(B, '2.0', 300);
    h.back(A, '2.0', 300);
    expect(h.events('OrderDelayed')).toEqual([]);
    expect(h.fills()).toHaveLength(1);
  });

  it('a Clock command with nothing to release emits nothing', () => {
    h.advance(60_000).clock();
    expect(h.last).toEqual([]);
  });
});
