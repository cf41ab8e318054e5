// Read-only views of the stages' state: markets, books, traded figures and open orders from a
// matching stage, accounts from a risk stage. ExchangeCore answers its views with them; a gateway
// following a partitioned engine reads each matching and risk partition's stage with them.

import { assert, type AccountId, type MarketId, type RunnerIndex, type Side } from '@playchacha/protocol';
import type { MatchingStage } from './matching-stage.js';
import type { AccountView, LevelView, MarketTradedView, MarketView, OrderView } from './model.js';
import { FLAG_DELAYED, NONE, SIDE_BACK, SIDE_LAY } from './order-book.js';
import type { RiskAccount, RiskStage } from './risk-stage.js';

export function accountViews(risk: RiskStage): AccountView[] {
  const views: AccountView[] = [];
  for (const account of risk.accounts.values()) views.push(accountView(account));
  return views.sort((a, b) => a.accountId - b.accountId);
}

export function accountViewOf(risk: RiskStage, accountId: AccountId): AccountView | undefined {
  const account = risk.accounts.get(accountId);
  return account === undefined ? undefined : accountView(account);
}

function accountView(account: RiskAccount): AccountView {
  return {
    accountId: account.accountId,
    balanceMinor: account.balanceMinor,
    exposureMinor: account.exposureMinor,
    availableMinor: account.availableMinor,
  };
}

/** Every order on the stage's books (or waiting out a bet delay), by ascending order id. */
export function openOrderViews(matching: MatchingStage): OrderView[] {
  const views: OrderView[] = [];
  matching.slotOfOrder.forEach((_orderId, slot) => views.push(orderView(matching, slot)));
  return views.sort((a, b) => a.orderId - b.orderId);
}

function orderView(matching: MatchingStage, slot: number): OrderView {
  const pool = matching.pool;
  const market = matching.marketBySlot[pool.marketSlot[slot] as number];
  assert(market !== undefined, 'an open order has a market');
  return {
    orderId: pool.orderId[slot] as number,
    accountId: pool.accountId[slot] as number,
    marketId: market.marketId,
    runnerIndex: pool.runnerIndex[slot] as number,
    side: pool.side[slot] === SIDE_BACK ? 'back' : 'lay',
    priceTicks: pool.priceTicks[slot] as number,
    sizeMinor: pool.sizeMinor[slot] as number,
    remainingMinor: pool.remainingMinor[slot] as number,
    matchedMinor: pool.matchedMinor[slot] as number,
    cancelledMinor: pool.cancelledMinor[slot] as number,
    delayed: ((pool.flags[slot] as number) & FLAG_DELAYED) !== 0,
  };
}

export function marketView(matching: MatchingStage, marketId: MarketId): MarketView | undefined {
  const market = matching.markets.get(marketId);
  if (market === undefined) return undefined;
  return {
    marketId,
    status: market.status,
    inPlay: market.inPlay,
    betDelayMs: market.betDelayMs,
    runnerCount: market.runnerCount,
    seq: market.seq,
  };
}

/** Best price first (lowest back, highest lay); each level's order ids in queue order. */
export function bookSideView(matching: MatchingStage, marketId: MarketId, runnerIndex: RunnerIndex, side: Side): LevelView[] {
  const market = matching.markets.get(marketId);
  if (market === undefined || runnerIndex < 0 || runnerIndex >= market.runnerCount) return [];
  const ladder = market.sideLadder(runnerIndex, side === 'back' ? SIDE_BACK : SIDE_LAY);
  const pool = matching.pool;
  const levels: LevelView[] = [];
  const size = ladder.ladderSize;
  for (let i = 0; i < size; i++) {
    const tick = side === 'back' ? i : size - 1 - i;
    if (ladder.head[tick] === NONE) continue;
    const orderIds: number[] = [];
    for (let slot = ladder.head[tick] as number; slot !== NONE; slot = pool.next[slot] as number) {
      orderIds.push(pool.orderId[slot] as number);
    }
    levels.push({ priceTicks: tick, orderIds, totalMinor: ladder.totalMinor[tick] as number });
  }
  return levels;
}

export function tradedView(matching: MatchingStage, marketId: MarketId): MarketTradedView | undefined {
  const market = matching.markets.get(marketId);
  if (market === undefined) return undefined;
  return {
    runners: market.lastPriceTicks.map((lastPriceTicks, runnerIndex) => ({
      runnerIndex,
      lastPriceTicks,
      matchedMinor: market.runnerMatchedMinor[runnerIndex] as number,
    })),
    matchedMinor: market.matchedMinor,
  };
}
