// Books and matching: price-time priority, best execution at the resting price, partial fills,
// and the one liability number both sides of a match use.
import { beforeEach, describe, expect, it } from 'vitest';
import { isId } from '@playchacha/protocol';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, tick } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const C = 3;
const D = 4;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('matching (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
    for (const id of [A, B, C, D]) h.openFundedAccount(id, 1_000_000);
    h.createMarket();
  });

  it('fills orders at one price oldest first (price-time priority)', () => {
    // given two lays at 2.0, B's first
    const layB = h.lay(B, '2.0', 300).orderId;
    const layC = h.lay(C, '2.0', 300).orderId;
    // when A backs 400 at 2.0
    const backA = h.back(A, '2.0', 400).orderId;
    // then B's 300 fills first, then 100 of C's; liability = floor(q × (200 − 100) / 100) = q
    expect(h.fills()).toEqual([
      { priceTicks: tick('2.0'), stakeMinor: 300, liabilityMinor: 300, backOrderId: backA, layOrderId: layB },
      { priceTicks: tick('2.0'), stakeMinor: 100, liabilityMinor: 100, backOrderId: backA, layOrderId: layC },
    ]);
    expect(h.bookSide('lay')).toEqual([{ priceTicks: tick('2.0'), orderIds: [layC], totalMinor: 200 }]);
  });

  it('fills an incoming back against lays at or above its price, highest first, at the lay price', () => {
    // given lays at 2.0, 2.2 and 2.5
    const lay20 = h.lay(B, '2.0', 300).orderId;
    const lay22 = h.lay(C, '2.2', 300).orderId;
    const lay25 = h.lay(D, '2.5', 300).orderId;
    // when A backs 800 at 2.0
    const back = h.back(A, '2.0', 800).orderId;
    // then 2.5 first: floor(300 × 150 / 100) = 450; 2.2: floor(300 × 120 / 100) = 360; 2.0: 200 × 100 / 100 = 200
    expect(h.fills()).toEqual([
      { priceTicks: tick('2.5'), stakeMinor: 300, liabilityMinor: 450, backOrderId: back, layOrderId: lay25 },
      { priceTicks: tick('2.2'), stakeMinor: 300, liabilityMinor: 360, backOrderId: back, layOrderId: lay22 },
      { priceTicks: tick('2.0'), stakeMinor: 200, liabilityMinor: 200, backOrderId: back, layOrderId: lay20 },
    ]);
    expect(h.closed(back)).toMatchObject({ reason: 'matched', sizeMinor: 800, matchedMinor: 800, cancelledMinor: 0 });
    expect(h.bookSide('lay')).toEqual([{ priceTicks: tick('2.0'), orderIds: [lay20], totalMinor: 100 }]);
    expect(h.bookSide('back')).toEqual([]);
  });

  it('does not fill a back against lays priced below it; the rest rests at its own price', () => {
    // given lays at 2.0, 2.2 and 2.5
    h.lay(B, '2.0', 300);
    const lay22 = h.lay(C, '2.2', 300).orderId;
    const lay25 = h.lay(D, '2.5', 300).orderId;
    // when A backs 500 at 2.4
    const back = h.back(A, '2.4', 500).orderId;
    // then only the 2.5 lay fills (floor(300 × 150 / 100) = 450) and 200 rests at 2.4
    expect(h.fills()).toEqual([
      { priceTicks: tick('2.5'), stakeMinor: 300, liabilityMinor: 450, backOrderId: back, layOrderId: lay25 },
    ]);
    expect(h.bookSide('back')).toEqual([{ priceTicks: tick('2.4'), orderIds: [back], totalMinor: 200 }]);
    expect(h.queues('lay')[0]).toEqual([tick('2.2'), [lay22]]);
  });

  it('fills an incoming lay against backs at or below its price, lowest first, at the back price', () => {
    // given backs at 2.0, 2.5 and 3.5
    const back20 = h.back(B, '2.0', 300).orderId;
    const back25 = h.back(C, '2.5', 300).orderId;
    const back35 = h.back(D, '3.5', 300).orderId;
    // when A lays 800 at 3.0
    const lay = h.lay(A, '3.0', 800).orderId;
    // then 2.0 (liability 300 × 100 / 100 = 300) and 2.5 (300 × 150 / 100 = 450) fill; 3.5 > 3.0 does not
    expect(h.fills()).toEqual([
      { priceTicks: tick('2.0'), stakeMinor: 300, liabilityMinor: 300, backOrderId: back20, layOrderId: lay },
      { priceTicks: tick('2.5'), stakeMinor: 300, liabilityMinor: 450, backOrderId: back25, layOrderId: lay },
    ]);
    expect(h.events('OrderMatched').every((e) => e.takerSide === 'lay')).toBe(true);
    // and 800 − 600 = 200 rests at 3.0, below the lowest back at 3.5 (the book is not crossed)
    expect(h.bookSide('lay')).toEqual([{ priceTicks: tick('3.0'), orderIds: [lay], totalMinor: 200 }]);
    expect(h.bookSide('back')).toEqual([{ priceTicks: tick('3.5'), orderIds: [back35], totalMinor: 300 }]);
  });

  it('gives each partial fill its own fill id and names both orders and accounts', () => {
    // given
    h.lay(B, '2.0', 100);
    h.lay(C, '2.0', 100);
    h.lay(D, '2.0', 100);
    // when
    h.back(A, '2.0', 250);
    // then three matches: 100, 100, 50
    const matches = h.events('OrderMatched');
    expect(matches.map((m) => m.stakeMinor)).toEqual([100, 100, 50]);
    expect(matches.map((m) => m.layAccountId)).toEqual([B, C, D]);
    expect(matches.every((m) => m.backAccountId === A && m.runnerIndex === 0 && m.takerSide === 'back')).toBe(true);
    const fillIds = matches.map((m) => m.fillId);
    expect(fillIds.every((id) => isId(id))).toBe(true);
    expect(new Set(fillIds).size).toBe(3);
  });

  it('keeps the partly filled order open with the rest and fills it later', () => {
    // given B lays 1000 at 2.0 and A takes 400
    const lay = h.lay(B, '2.0', 1000).orderId;
    h.back(A, '2.0', 400);
    // then B's order stays open with 600 remaining
    expect(h.openOrder(lay)).toMatchObject({ sizeMinor: 1000, remainingMinor: 600, matchedMinor: 400, cancelledMinor: 0 });
    // when C takes 600
    h.back(C, '2.0', 600);
    // then B's order is closed matched
    expect(h.closed(lay)).toMatchObject({ reason: 'matched', sizeMinor: 1000, matchedMinor: 1000, cancelledMinor: 0 });
    expect(h.openOrder(lay)).toBeUndefined();
  });

  it('rests a remainder behind the orders already at its price and ahead of later ones', () => {
    // given a lay of 100 at 1.9 and a back of 300 at 1.9 that takes it and rests 200
    h.lay(B, '1.9', 100);
    const first = h.back(A, '1.9', 300).orderId;
    expect(h.fills()).toHaveLength(1);
    // and a later back at 1.9
    const second = h.back(C, '1.9', 100).orderId;
    expect(h.queues('back')).toEqual([[tick('1.9'), [first, second]]]);
    // when D lays 250 at 1.9
    const lay = h.lay(D, '1.9', 250).orderId;
    // then the remainder fills first (200) and the later order gives 50
    expect(h.fills()).toEqual([
      { priceTicks: tick('1.9'), stakeMinor: 200, liabilityMinor: 180, backOrderId: first, layOrderId: lay }, // floor(200 × 90 / 100) = 180
      { priceTicks: tick('1.9'), stakeMinor: 50, liabilityMinor: 45, backOrderId: second, layOrderId: lay }, // floor(50 × 90 / 100) = 45
    ]);
  });

  it('rounds the liability down: floor(999 × (133 − 100) / 100) = floor(329.67) = 329', () => {
    // given B lays 999 at 1.33
    const lay = h.lay(B, '1.33', 999).orderId;
    // the open lay holds liability(999, 133) = 329
    expect(h.exposure(B)).toBe(329);
    // when A backs 999 at 1.33
    h.back(A, '1.33', 999);
    // then the match carries 329 for both the backer's profit and the layer's liability
    expect(h.fills()).toEqual([
      { priceTicks: tick('1.33'), stakeMinor: 999, liabilityMinor: 329, backOrderId: expect.any(Number), layOrderId: lay },
    ]);
    // A: ifWin 329, ifLose −999 → exposure 999; B: ifWin −329, ifLose +999 → exposure 329
    expect(h.exposure(A)).toBe(999);
    expect(h.exposure(B)).toBe(329);
  });

  it('rounds each fill on its own: 333 at 2.02 → floor(339.66) = 339; 7 at 1.15 → floor(1.05) = 1', () => {
    // given
    h.back(B, '2.02', 333);
    h.back(C, '1.15', 7);
    // when A lays 340 at 2.02: lowest back first (1.15), then 2.02
    h.lay(A, '2.02', 340);
    // then
    expect(h.fills().map((f) => [f.priceTicks, f.stakeMinor, f.liabilityMinor])).toEqual([
      [tick('1.15'), 7, 1],
      [tick('2.02'), 333, 339],
    ]);
  });

  it('holds liability(stake, price) for an open lay: floor(333 × 102 / 100) = 339', () => {
    // when
    h.lay(A, '2.02', 333);
    // then
    expect(h.account(A)).toEqual({ accountId: A, balanceMinor: 1_000_000, exposureMinor: 339, availableMinor: 1_000_000 - 339 });
  });

  it('never matches across runners', () => {
    // given a lay on runner 1
    const lay = h.lay(B, '2.0', 300, { runnerIndex: 1 }).orderId;
    // when A backs runner 0
    const back = h.back(A, '2.0', 300).orderId;
    // then both rest on their own books
    expect(h.fills()).toEqual([]);
    expect(h.queues('back', 0)).toEqual([[tick('2.0'), [back]]]);
    expect(h.queues('lay', 1)).toEqual([[tick('2.0'), [lay]]]);
  });

  it('lists a side best first: lowest back, highest lay', () => {
    // given
    const back3 = h.back(A, '3.0', 100).orderId;
    const back25 = h.back(A, '2.5', 100).orderId;
    const lay15 = h.lay(B, '1.5', 100).orderId;
    const lay2 = h.lay(B, '2.0', 100).orderId;
    // then
    expect(h.queues('back')).toEqual([
      [tick('2.5'), [back25]],
      [tick('3.0'), [back3]],
    ]);
    expect(h.queues('lay')).toEqual([
      [tick('2.0'), [lay2]],
      [tick('1.5'), [lay15]],
    ]);
  });
});
