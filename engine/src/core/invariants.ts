// The invariants of the core, checked from scratch. Property tests call this after every command;
// a violation is a bug and throws.

import { assert, HOUSE_ACCOUNT_ID, liabilityMinor } from '@playchacha/protocol';
import type { MatchingStage } from './matching-stage.js';
import { FLAG_DELAYED, NONE, SIDE_BACK, SIDE_LAY, type SideLadder } from './order-book.js';
import type { RiskStage } from './risk-stage.js';

export function checkInvariants(risk: RiskStage, matching: MatchingStage): void {
  checkBooks(matching);
  checkRisk(risk, matching);
}

function checkBooks(matching: MatchingStage): void {
  const pool = matching.pool;
  // Resting orders per side ladder, counted from the order index, so that each ladder is scanned
  // only from its best price until all of its orders are found (markets may have 99,900 ticks).
  const restingPerLadder = new Map<string, number>();
  matching.slotOfOrder.forEach((_orderId, slot) => {
    if (((pool.flags[slot] as number) & FLAG_DELAYED) !== 0) return;
    const key = `${pool.marketSlot[slot]}/${pool.runnerIndex[slot]}/${pool.side[slot]}`;
    restingPerLadder.set(key, (restingPerLadder.get(key) ?? 0) + 1);
  });
  let resting = 0;
  let delayed = 0;
  for (const market of matching.marketBySlot) {
    for (let runner = 0; runner < market.runnerCount; runner++) {
      const back = market.sideLadder(runner, SIDE_BACK);
      const lay = market.sideLadder(runner, SIDE_LAY);
      resting += checkLadder(matching, back, market.slot, runner, restingPerLadder.get(`${market.slot}/${runner}/${SIDE_BACK}`) ?? 0);
      resting += checkLadder(matching, lay, market.slot, runner, restingPerLadder.get(`${market.slot}/${runner}/${SIDE_LAY}`) ?? 0);
      assert(back.best === NONE || lay.best === NONE || back.best > lay.best, `market ${market.marketId} runner ${runner} is crossed`);
    }
    let matchedMinor = 0;
    for (let runner = 0; runner < market.runnerCount; runner++) {
      const runnerMatchedMinor = market.runnerMatchedMinor[runner] as number;
      assert((market.lastPriceTicks[runner] === null) === (runnerMatchedMinor === 0), `market ${market.marketId} runner ${runner} has a last traded price exactly when it matched`);
      matchedMinor += runnerMatchedMinor;
    }
    assert(market.matchedMinor === matchedMinor, `market ${market.marketId} matched volume is the sum over its runners`);
    let releaseAtMs = Number.NEGATIVE_INFINITY;
    for (const slot of market.delayed) {
      assert(((pool.flags[slot] as number) & FLAG_DELAYED) !== 0, 'a delayed order carries the delayed flag');
      assert(pool.marketSlot[slot] === market.slot, 'a delayed order is in its own market');
      assert((pool.releaseAtMs[slot] as number) >= releaseAtMs, 'delayed orders are in release order');
      releaseAtMs = pool.releaseAtMs[slot] as number;
      checkOrderSizes(matching, slot);
      delayed++;
    }
  }
  assert(resting + delayed === matching.slotOfOrder.size, 'every open order is in a book or a delay list');
  assert(pool.liveCount === matching.slotOfOrder.size, 'the pool holds exactly the open orders');
  matching.slotOfOrder.forEach((orderId, slot) => {
    assert(pool.orderId[slot] === orderId, 'the order index points at its order');
  });
}

/** Walks the levels from the best price outward until `expected` orders are found; returns the count. */
function checkLadder(matching: MatchingStage, ladder: SideLadder, marketSlot: number, runner: number, expected: number): number {
  const pool = matching.pool;
  if (expected === 0) {
    assert(ladder.best === NONE && ladder.isEmpty(), 'a side with no orders has no best price');
    return 0;
  }
  assert(ladder.best !== NONE && ladder.head[ladder.best] !== NONE, 'the best price level holds orders');
  const step = ladder.side === SIDE_BACK ? 1 : -1;
  let count = 0;
  for (let tick = ladder.best; count < expected; tick += step) {
    assert(tick >= 0 && tick < ladder.ladderSize, `orders of a ${ladder.side === SIDE_BACK ? 'back' : 'lay'} ladder lie beyond its best price`);
    let total = 0;
    let previous = NONE;
    for (let slot = ladder.head[tick] as number; slot !== NONE; slot = pool.next[slot] as number) {
      assert(pool.prev[slot] === previous, 'level links are consistent');
      assert(pool.marketSlot[slot] === marketSlot && pool.runnerIndex[slot] === runner, 'an order rests in its own book');
      assert(pool.side[slot] === ladder.side && pool.priceTicks[slot] === tick, 'an order rests at its own price');
      assert(((pool.flags[slot] as number) & FLAG_DELAYED) === 0, 'a delayed order is not in the book');
      assert((pool.remainingMinor[slot] as number) > 0, 'a resting order has something left');
      checkOrderSizes(matching, slot);
      total += pool.remainingMinor[slot] as number;
      previous = slot;
      count++;
    }
    assert(ladder.tail[tick] === previous, 'the level tail is its last order');
    assert(ladder.totalMinor[tick] === total, `level total at tick ${tick} is the sum of its orders`);
  }
  return count;
}

function checkOrderSizes(matching: MatchingStage, slot: number): void {
  const pool = matching.pool;
  const size = pool.sizeMinor[slot] as number;
  const parts = (pool.remainingMinor[slot] as number) + (pool.matchedMinor[slot] as number) + (pool.cancelledMinor[slot] as number);
  assert(size === parts, `order ${pool.orderId[slot]}: size ${size} = remaining + matched + cancelled (${parts})`);
}

function checkRisk(risk: RiskStage, matching: MatchingStage): void {
  const pool = matching.pool;
  assert(risk.orders.size === matching.slotOfOrder.size, 'the risk stage follows exactly the open orders');
  const openOrders = new Map<number, number>();
  const expectedOpen = new Map<string, number>();
  for (const order of risk.orders.values()) {
    const slot = matching.slotOfOrder.get(order.orderId);
    assert(slot >= 0, `order ${order.orderId} held by the risk stage is open`);
    assert(pool.accountId[slot] === order.accountId, 'held orders belong to their accounts');
    assert(pool.remainingMinor[slot] === order.remainingMinor, `order ${order.orderId} holds its remaining size`);
    openOrders.set(order.accountId, (openOrders.get(order.accountId) ?? 0) + 1);
    const key = `${order.accountId}/${order.marketId}/${order.runnerIndex}/${order.isBack ? 'b' : 'l'}`;
    const held = order.isBack ? order.remainingMinor : liabilityMinor(order.remainingMinor, order.priceX100);
    expectedOpen.set(key, (expectedOpen.get(key) ?? 0) + held);
  }
  let balances = 0;
  for (const account of risk.accounts.values()) {
    balances += account.balanceMinor;
    assert(account.openOrders === (openOrders.get(account.accountId) ?? 0), `account ${account.accountId} counts its open orders`);
    let exposure = 0;
    for (const position of account.positions.values()) {
      const worst = position.worstCaseMinor();
      const expected = position.finished || worst >= 0 ? 0 : -worst;
      assert(position.exposureMinor === expected, `account ${account.accountId} market ${position.marketId} exposure is current`);
      exposure += position.exposureMinor;
      for (let i = 0; i < position.runnerCount; i++) {
        const key = `${account.accountId}/${position.marketId}/${i}`;
        assert(position.openBackMinor[i] === (expectedOpen.get(`${key}/b`) ?? 0), `${key}: open back stake is held`);
        assert(position.openLayMinor[i] === (expectedOpen.get(`${key}/l`) ?? 0), `${key}: open lay liability is held`);
      }
    }
    assert(account.exposureMinor === exposure, `account ${account.accountId} exposure is the sum over its markets`);
    // A user's available goes below zero only when a resettlement claws money back (the risk
    // stage's endCommand checks that no other command takes it below zero, or lower once it is).
    assert(
      account.availableMinor >= 0 || account.accountId !== HOUSE_ACCOUNT_ID,
      `account ${account.accountId} available ${account.availableMinor} is not negative`,
    );
  }
  assert(balances === risk.netTransfersMinor, `balances sum to deposits minus withdrawals (${balances} vs ${risk.netTransfersMinor})`);
}
