// Order types and order management: FOK, IOC, min fill, post-only, persistence, cancel, partial
// cancel, replace.
import { beforeEach, describe, expect, it } from 'vitest';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, MARKET_ID, tick } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const C = 3;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('order types (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
    for (const id of [A, B, C]) h.openFundedAccount(id, 100_000);
    h.createMarket();
  });

  it('accepts an order with the defaults lapse and gtc and the command timestamp', () => {
    // when
    h.at(1_700_000_123_456);
    h.back(A, '2.0', 500, { clientOrderId: 'first' });
    // then
    expect(h.events('OrderAccepted')).toEqual([
      expect.objectContaining({
        marketId: MARKET_ID,
        accountId: A,
        clientOrderId: 'first',
        runnerIndex: 0,
        side: 'back',
        priceTicks: tick('2.0'),
        stakeMinor: 500,
        persistence: 'lapse',
        timeInForce: 'gtc',
        timestampMs: 1_700_000_123_456,
      }),
    ]);
  });

  it('shows an open order with its sizes', () => {
    // given B lays 300 at 2.0; A backs 500 at 2.0 and reduces the rest by 50
    h.lay(B, '2.0', 300);
    const back = h.back(A, '2.0', 500).orderId;
    h.cancel(A, back, 50);
    // then size 500 = remaining 150 + matched 300 + cancelled 50
    expect(h.openOrder(back)).toEqual({
      orderId: back,
      accountId: A,
      marketId: MARKET_ID,
      runnerIndex: 0,
      side: 'back',
      priceTicks: tick('2.0'),
      sizeMinor: 500,
      remainingMinor: 150,
      matchedMinor: 300,
      cancelledMinor: 50,
      delayed: false,
    });
  });

  describe('fill or kill', () => {
    beforeEach(() => {
      h.lay(B, '2.0', 600);
      h.lay(C, '2.2', 600);
    });

    it('fills in full at once when enough is available', () => {
      // when A backs 1000 FOK at 2.0 (600 at 2.2 + 600 at 2.0 = 1200 available)
      const fok = h.back(A, '2.0', 1000, { timeInForce: 'fok' }).orderId;
      // then 600 at 2.2 and 400 at 2.0
      expect(h.fills().map((f) => [f.priceTicks, f.stakeMinor])).toEqual([
        [tick('2.2'), 600],
        [tick('2.0'), 400],
      ]);
      expect(h.closed(fok)).toMatchObject({ reason: 'matched', sizeMinor: 1000, matchedMinor: 1000, cancelledMinor: 0 });
    });

    it('is killed and matches nothing when it cannot fill in full', () => {
      const before = h.snapshot();
      // when A backs 1300 FOK at 2.0 (only 1200 available)
      const fok = h.back(A, '2.0', 1300, { timeInForce: 'fok' }).orderId;
      // then
      expect(h.fills()).toEqual([]);
      expect(h.closed(fok)).toMatchObject({ reason: 'fill_or_kill', sizeMinor: 1300, matchedMinor: 0, cancelledMinor: 1300 });
      // and the book and every account are as before (A's hold is released)
      expect(h.snapshot()).toEqual(before);
    });

    it('counts only liquidity at acceptable prices', () => {
      // when A backs 700 FOK at 2.2: only the 600 at 2.2 is ≥ 2.2
      const fok = h.back(A, '2.2', 700, { timeInForce: 'fok' }).orderId;
      // then
      expect(h.fills()).toEqual([]);
      expect(h.closed(fok)?.reason).toBe('fill_or_kill');
    });
  });

  describe('immediate or cancel', () => {
    let lay: number;
    beforeEach(() => {
      lay = h.lay(B, '2.0', 300).orderId;
    });

    it('fills what it can and closes the remainder immediate_or_cancel', () => {
      // when
      const ioc = h.back(A, '2.0', 1000, { timeInForce: 'ioc' }).orderId;
      // then 300 fills, 1000 − 300 = 700 is closed
      expect(h.fills()).toEqual([
        { priceTicks: tick('2.0'), stakeMinor: 300, liabilityMinor: 300, backOrderId: ioc, layOrderId: lay },
      ]);
      expect(h.closed(ioc)).toMatchObject({ reason: 'immediate_or_cancel', sizeMinor: 1000, matchedMinor: 300, cancelledMinor: 700 });
      expect(h.bookSide('back')).toEqual([]);
      // A's matched back: ifWin +300, ifLose −300 → exposure 300
      expect(h.exposure(A)).toBe(300);
    });

    it('closes matched when it fills in full', () => {
      // when
      const ioc = h.back(A, '2.0', 200, { timeInForce: 'ioc' }).orderId;
      // then
      expect(h.closed(ioc)).toMatchObject({ reason: 'matched', matchedMinor: 200, cancelledMinor: 0 });
    });

    it('closes without a fill when nothing is available', () => {
      // when A backs at 2.5: no lay is ≥ 2.5
      const ioc = h.back(A, '2.5', 100, { timeInForce: 'ioc' }).orderId;
      // then
      expect(h.fills()).toEqual([]);
      expect(h.closed(ioc)).toMatchObject({ reason: 'immediate_or_cancel', matchedMinor: 0, cancelledMinor: 100 });
    });

    it('fills when the minimum fill is available (300 ≥ 300)', () => {
      // when
      const ioc = h.back(A, '2.0', 1000, { timeInForce: 'ioc', minFillMinor: 300 }).orderId;
      // then
      expect(h.fills().map((f) => f.stakeMinor)).toEqual([300]);
      expect(h.closed(ioc)).toMatchObject({ reason: 'immediate_or_cancel', matchedMinor: 300, cancelledMinor: 700 });
    });

    it('fills nothing when less than the minimum fill is available (300 < 301)', () => {
      const before = h.snapshot();
      // when
      const ioc = h.back(A, '2.0', 1000, { timeInForce: 'ioc', minFillMinor: 301 }).orderId;
      // then
      expect(h.fills()).toEqual([]);
      expect(h.closed(ioc)).toMatchObject({ reason: 'min_fill_not_met', sizeMinor: 1000, matchedMinor: 0, cancelledMinor: 1000 });
      expect(h.snapshot()).toEqual(before);
    });

    it('rejects a minimum fill of 0 or above the stake with invalid_min_fill', () => {
      h.back(A, '2.0', 1000, { timeInForce: 'ioc', minFillMinor: 0 });
      expect(h.rejectCode()).toBe('invalid_min_fill');
      h.back(A, '2.0', 1000, { timeInForce: 'ioc', minFillMinor: 1001 });
      expect(h.rejectCode()).toBe('invalid_min_fill');
      // the whole stake is a valid minimum fill
      h.back(A, '2.0', 1000, { timeInForce: 'ioc', minFillMinor: 1000 });
      expect(h.rejectCode()).toBeUndefined();
    });

    it('rejects a minimum fill on a resting (gtc) order with invalid_min_fill', () => {
      h.back(A, '2.0', 1000, { minFillMinor: 100 });
      expect(h.rejectCode()).toBe('invalid_min_fill');
      expect(h.events('OrderAccepted')).toEqual([]);
    });
  });

  describe('post-only', () => {
    it('rests when it would not match', () => {
      // given a lay at 1.9
      h.lay(B, '1.9', 500);
      // when A backs 500 post-only at 2.0 (no lay ≥ 2.0)
      const post = h.back(A, '2.0', 500, { postOnly: true }).orderId;
      // then it rests
      expect(h.events('OrderClosed')).toEqual([]);
      expect(h.queues('back')).toEqual([[tick('2.0'), [post]]]);
    });

    it('is closed post_only_would_match when it would match on arrival', () => {
      // given
      const lay = h.lay(B, '1.9', 500).orderId;
      // when A backs post-only at 1.9
      const post = h.back(A, '1.9', 500, { postOnly: true }).orderId;
      // then nothing matches and the lay is untouched
      expect(h.fills()).toEqual([]);
      expect(h.closed(post)).toMatchObject({ reason: 'post_only_would_match', matchedMinor: 0, cancelledMinor: 500 });
      expect(h.bookSide('lay')).toEqual([{ priceTicks: tick('1.9'), orderIds: [lay], totalMinor: 500 }]);
      expect(h.exposure(A)).toBe(0);
    });
  });

  describe('persistence at the turn in play', () => {
    it('closes lapse orders lapsed_in_play and keeps persist orders', () => {
      // given
      const lapse = h.back(A, '2.0', 100).orderId;
      const persist = h.back(A, '3.0', 100, { persistence: 'persist' }).orderId;
      const layPersist = h.lay(B, '1.5', 100, { persistence: 'persist' }).orderId;
      const layLapse = h.lay(B, '1.6', 100, { persistence: 'lapse' }).orderId;
      // two open backs on runner 0: exposure 100 + 100 = 200
      expect(h.exposure(A)).toBe(200);
      // when
      h.turnInPlay();
      // then the lapse orders close in ascending order id
      expect(h.events('OrderClosed')).toEqual([
        expect.objectContaining({ orderId: lapse, reason: 'lapsed_in_play', matchedMinor: 0, cancelledMinor: 100 }),
        expect.objectContaining({ orderId: layLapse, reason: 'lapsed_in_play', matchedMinor: 0, cancelledMinor: 100 }),
      ]);
      expect(h.openOrderIds()).toEqual([persist, layPersist]);
      expect(h.exposure(A)).toBe(100);
    });

    it('rejects persist with persistence_not_allowed when the market does not allow it', () => {
      // given
      h.createMarket(2, { persistenceAllowed: false });
      // when
      h.back(A, '2.0', 100, { marketId: 2, persistence: 'persist' });
      // then
      expect(h.rejectCode()).toBe('persistence_not_allowed');
      // and a lapse order is fine
      h.back(A, '2.0', 100, { marketId: 2, persistence: 'lapse' });
      expect(h.rejectCode()).toBeUndefined();
    });
  });

  describe('cancel', () => {
    it('cancels a resting order and releases what it held', () => {
      // given
      const back = h.back(A, '2.0', 500).orderId;
      expect(h.exposure(A)).toBe(500);
      // when
      h.cancel(A, back);
      // then
      expect(h.closed(back)).toMatchObject({ reason: 'cancelled', sizeMinor: 500, matchedMinor: 0, cancelledMinor: 500 });
      expect(h.bookSide('back')).toEqual([]);
      expect(h.account(A)).toMatchObject({ balanceMinor: 100_000, exposureMinor: 0, availableMinor: 100_000 });
    });

    it('cancels the unmatched rest of a partly matched order', () => {
      // given A's back of 500 is matched 200
      const back = h.back(A, '2.0', 500).orderId;
      h.lay(B, '2.0', 200);
      // when
      h.cancel(A, back);
      // then size 500 = matched 200 + cancelled 300
      expect(h.closed(back)).toMatchObject({ reason: 'cancelled', sizeMinor: 500, matchedMinor: 200, cancelledMinor: 300 });
      // the matched 200 at 2.0 stays: ifWin +200, ifLose −200 → exposure 200
      expect(h.exposure(A)).toBe(200);
    });

    it('rejects a cancel of an unknown, closed or other account\'s order with unknown_order', () => {
      // given
      const back = h.back(A, '2.0', 500).orderId;
      // when B cancels A's order
      h.cancel(B, back);
      // then
      expect(h.rejectCode()).toBe('unknown_order');
      expect(h.openOrder(back)).toBeDefined();
      // an order id never issued
      h.cancel(A, back + 1_000_000);
      expect(h.rejectCode()).toBe('unknown_order');
      // an order already closed
      h.cancel(A, back);
      h.cancel(A, back);
      expect(h.rejectCode()).toBe('unknown_order');
    });

    it('reduces an order and keeps its queue place', () => {
      // given A then B back at 2.0
      const first = h.back(A, '2.0', 500).orderId;
      const second = h.back(B, '2.0', 300).orderId;
      // when A reduces by 200
      h.cancel(A, first, 200);
      // then 500 − 200 = 300 remains, first in the queue
      expect(h.events('OrderReduced')).toEqual([
        expect.objectContaining({ orderId: first, accountId: A, reducedByMinor: 200, remainingMinor: 300, priceTicks: tick('2.0'), side: 'back' }),
      ]);
      expect(h.events('OrderClosed')).toEqual([]);
      expect(h.bookSide('back')).toEqual([{ priceTicks: tick('2.0'), orderIds: [first, second], totalMinor: 600 }]);
      expect(h.exposure(A)).toBe(300);
      // and a later lay of 400 takes A's 300 first, then 100 of B's
      const lay = h.lay(C, '2.0', 400).orderId;
      expect(h.fills()).toEqual([
        { priceTicks: tick('2.0'), stakeMinor: 300, liabilityMinor: 300, backOrderId: first, layOrderId: lay },
        { priceTicks: tick('2.0'), stakeMinor: 100, liabilityMinor: 100, backOrderId: second, layOrderId: lay },
      ]);
      // A's order: size 500 = matched 300 + cancelled 200
      expect(h.closed(first)).toMatchObject({ reason: 'matched', sizeMinor: 500, matchedMinor: 300, cancelledMinor: 200 });
    });

    it('cancels the order when the reduction equals the remainder', () => {
      const back = h.back(A, '2.0', 500).orderId;
      h.cancel(A, back, 500);
      expect(h.closed(back)).toMatchObject({ reason: 'cancelled', sizeMinor: 500, matchedMinor: 0, cancelledMinor: 500 });
      expect(h.events('OrderReduced')).toEqual([]);
    });

    it('cancels the order when the reduction exceeds the remainder, cancelling only the remainder', () => {
      const back = h.back(A, '2.0', 500).orderId;
      h.lay(B, '2.0', 100);
      // remainder 500 − 100 = 400; reduce by 700
      h.cancel(A, back, 700);
      expect(h.closed(back)).toMatchObject({ reason: 'cancelled', sizeMinor: 500, matchedMinor: 100, cancelledMinor: 400 });
    });
  });

  describe('replace', () => {
    it('closes the old order replaced and places its remainder at the new price, at the back of the queue', () => {
      // given B backs 100 at 2.5; A backs 500 at 2.0 and 200 of it is matched
      const other = h.back(B, '2.5', 100).orderId;
      const old = h.back(A, '2.0', 500).orderId;
      h.lay(C, '2.0', 200);
      // when A replaces it at 2.5
      const replacement = h.replace(A, old, '2.5', 'moved').orderId;
      // then
      expect(replacement).not.toBe(old);
      expect(h.closed(old)).toMatchObject({ reason: 'replaced', sizeMinor: 500, matchedMinor: 200, cancelledMinor: 300 });
      expect(h.events('OrderAccepted')).toEqual([
        expect.objectContaining({ orderId: replacement, clientOrderId: 'moved', priceTicks: tick('2.5'), stakeMinor: 300, side: 'back' }),
      ]);
      expect(h.queues('back')).toEqual([[tick('2.5'), [other, replacement]]]);
    });

    it('keeps the side, runner and persistence of the old order', () => {
      // given a persist lay on runner 1
      const old = h.lay(A, '1.5', 400, { runnerIndex: 1, persistence: 'persist' }).orderId;
      // when
      const replacement = h.replace(A, old, '1.8').orderId;
      // then
      expect(h.events('OrderAccepted')).toEqual([
        expect.objectContaining({ orderId: replacement, runnerIndex: 1, side: 'lay', persistence: 'persist', priceTicks: tick('1.8'), stakeMinor: 400 }),
      ]);
      // and it survives the turn in play
      h.turnInPlay();
      expect(h.openOrderIds()).toEqual([replacement]);
    });

    it('uses the funds the old order held', () => {
      // given A has 1000 and backs 1000 at 2.0 (available 0)
      h.openFundedAccount(9, 1000);
      const old = h.back(9, '2.0', 1000).orderId;
      expect(h.available(9)).toBe(0);
      // when
      h.replace(9, old, '3.0');
      // then the new back of 1000 holds 1000 again
      expect(h.rejectCode()).toBeUndefined();
      expect(h.account(9)).toMatchObject({ exposureMinor: 1000, availableMinor: 0 });
    });

    it('leaves the old order untouched when the new order is rejected', () => {
      // given account 9 has 1000 and lays 1000 at 2.0 (liability 1000)
      h.openFundedAccount(9, 1000);
      const old = h.lay(9, '2.0', 1000).orderId;
      h.lay(B, '2.0', 50);
      const before = h.snapshot();
      // when it moves to 3.0: liability floor(1000 × 200 / 100) = 2000 > balance 1000
      h.replace(9, old, '3.0');
      // then
      expect(h.rejectCode()).toBe('insufficient_funds');
      expect(h.events('OrderClosed')).toEqual([]);
      expect(h.snapshot()).toEqual(before);
      expect(h.queues('lay')).toEqual([[tick('2.0'), [old, expect.any(Number)]]]);
    });

    it('leaves the old order untouched when the new price is off the ladder', () => {
      const old = h.back(A, '2.0', 500).orderId;
      const before = h.snapshot();
      h.when({ type: 'ReplaceOrder', accountId: A, marketId: MARKET_ID, orderId: old, clientOrderId: 'bad', priceTicks: 350 });
      expect(h.rejectCode()).toBe('invalid_price');
      expect(h.snapshot()).toEqual(before);
    });

    it('rejects a replace of an unknown order with unknown_order', () => {
      h.replace(A, 123_456, '2.0');
      expect(h.rejectCode()).toBe('unknown_order');
    });
  });
});
