// Self-trade prevention, and how it bounds the liquidity FOK and min-fill orders may count.
import { beforeEach, describe, expect, it } from 'vitest';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, tick } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const C = 3;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('self-trade prevention (%s)', (_name, makeModel) => {
  let h: Harness;
  let layB: number; // 300 at 2.5, best
  let layA: number; // A's own 500 at 2.2
  let layC: number; // 1000 at 2.0
  beforeEach(() => {
    h = new Harness(makeModel());
    for (const id of [A, B, C]) h.openFundedAccount(id, 100_000);
    h.createMarket();
    layB = h.lay(B, '2.5', 300).orderId;
    layA = h.lay(A, '2.2', 500).orderId;
    layC = h.lay(C, '2.0', 1000).orderId;
  });

  it('leaves an own order alone when the incoming order does not reach it', () => {
    // when A backs 300 at 2.5: B's 300 fills it before A's own lay is reached
    const back = h.back(A, '2.5', 300).orderId;
    // then
    expect(h.fills().map((f) => f.layOrderId)).toEqual([layB]);
    expect(h.closed(back)?.reason).toBe('matched');
    expect(h.openOrder(layA)).toMatchObject({ remainingMinor: 500 });
  });

  it('cancel_newest (default): closes the incoming remainder self_trade and stops matching', () => {
    // when A backs 1000 at 2.0
    const back = h.back(A, '2.0', 1000).orderId;
    // then B's 300 at 2.5 fills (floor(300 × 150 / 100) = 450), then A meets its own lay
    expect(h.fills()).toEqual([
      { priceTicks: tick('2.5'), stakeMinor: 300, liabilityMinor: 450, backOrderId: back, layOrderId: layB },
    ]);
    expect(h.closed(back)).toMatchObject({ reason: 'self_trade', sizeMinor: 1000, matchedMinor: 300, cancelledMinor: 700 });
    expect(h.closed(layB)?.reason).toBe('matched');
    expect(h.closed(layA)).toBeUndefined();
    // A's resting lay and C's lay are untouched
    expect(h.queues('lay')).toEqual([
      [tick('2.2'), [layA]],
      [tick('2.0'), [layC]],
    ]);
  });

  it('cancel_oldest: closes the resting own order self_trade and matching goes on', () => {
    // when
    const back = h.back(A, '2.0', 1000, { selfTrade: 'cancel_oldest' }).orderId;
    // then B's 300 at 2.5, A's own lay is closed, C gives 1000 − 300 = 700 at 2.0
    expect(h.fills()).toEqual([
      { priceTicks: tick('2.5'), stakeMinor: 300, liabilityMinor: 450, backOrderId: back, layOrderId: layB },
      { priceTicks: tick('2.0'), stakeMinor: 700, liabilityMinor: 700, backOrderId: back, layOrderId: layC },
    ]);
    expect(h.closed(layA)).toMatchObject({ reason: 'self_trade', sizeMinor: 500, matchedMinor: 0, cancelledMinor: 500 });
    expect(h.closed(back)).toMatchObject({ reason: 'matched', matchedMinor: 1000 });
    expect(h.queues('lay')).toEqual([[tick('2.0'), [layC]]]);
  });

  it('cancel_both: closes both orders self_trade and stops matching', () => {
    // when
    const back = h.back(A, '2.0', 1000, { selfTrade: 'cancel_both' }).orderId;
    // then
    expect(h.fills().map((f) => [f.layOrderId, f.stakeMinor])).toEqual([[layB, 300]]);
    expect(h.closed(layA)).toMatchObject({ reason: 'self_trade', matchedMinor: 0, cancelledMinor: 500 });
    expect(h.closed(back)).toMatchObject({ reason: 'self_trade', sizeMinor: 1000, matchedMinor: 300, cancelledMinor: 700 });
    expect(h.queues('lay')).toEqual([[tick('2.0'), [layC]]]);
  });

  describe('liquidity counted by FOK and min fill', () => {
    it('cancel_newest: own orders end the count, so a FOK of 1000 with 300 before them is killed', () => {
      const before = h.snapshot();
      // when
      const fok = h.back(A, '2.0', 1000, { timeInForce: 'fok' }).orderId;
      // then nothing matches and nothing else is cancelled
      expect(h.fills()).toEqual([]);
      expect(h.events('OrderClosed')).toEqual([expect.objectContaining({ orderId: fok, reason: 'fill_or_kill' })]);
      expect(h.snapshot()).toEqual(before);
    });

    it('cancel_both: own orders end the count as well', () => {
      const fok = h.back(A, '2.0', 1000, { timeInForce: 'fok', selfTrade: 'cancel_both' }).orderId;
      expect(h.fills()).toEqual([]);
      expect(h.events('OrderClosed')).toEqual([expect.objectContaining({ orderId: fok, reason: 'fill_or_kill' })]);
    });

    it('cancel_oldest: own orders are skipped, 300 + 1000 = 1300 ≥ 1000 fills the FOK', () => {
      // when
      const fok = h.back(A, '2.0', 1000, { timeInForce: 'fok', selfTrade: 'cancel_oldest' }).orderId;
      // then
      expect(h.fills().map((f) => [f.layOrderId, f.stakeMinor])).toEqual([
        [layB, 300],
        [layC, 700],
      ]);
      expect(h.closed(layA)?.reason).toBe('self_trade');
      expect(h.closed(fok)?.reason).toBe('matched');
    });

    it('cancel_oldest: a failed FOK (1300 < 1500) matches nothing and cancels nothing', () => {
      const before = h.snapshot();
      // when
      const fok = h.back(A, '2.0', 1500, { timeInForce: 'fok', selfTrade: 'cancel_oldest' }).orderId;
      // then A's own lay is still resting
      expect(h.fills()).toEqual([]);
      expect(h.events('OrderClosed')).toEqual([expect.objectContaining({ orderId: fok, reason: 'fill_or_kill' })]);
      expect(h.snapshot()).toEqual(before);
    });

    it('cancel_newest: a min fill of 400 with 300 before the own order is not met', () => {
      const before = h.snapshot();
      // when
      const ioc = h.back(A, '2.0', 1000, { timeInForce: 'ioc', minFillMinor: 400 }).orderId;
      // then
      expect(h.fills()).toEqual([]);
      expect(h.events('OrderClosed')).toEqual([expect.objectContaining({ orderId: ioc, reason: 'min_fill_not_met' })]);
      expect(h.snapshot()).toEqual(before);
    });

    it('cancel_oldest: a min fill of 1200 is met by 300 + 1000 = 1300', () => {
      // when
      const ioc = h.back(A, '2.0', 1500, { timeInForce: 'ioc', minFillMinor: 1200, selfTrade: 'cancel_oldest' }).orderId;
      // then 300 + 1000 fill, A's lay is closed, 1500 − 1300 = 200 is closed immediate_or_cancel
      expect(h.fills().map((f) => [f.layOrderId, f.stakeMinor])).toEqual([
        [layB, 300],
        [layC, 1000],
      ]);
      expect(h.closed(layA)?.reason).toBe('self_trade');
      expect(h.closed(ioc)).toMatchObject({ reason: 'immediate_or_cancel', matchedMinor: 1300, cancelledMinor: 200 });
    });
  });
});
