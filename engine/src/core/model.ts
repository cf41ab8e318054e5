// The read-only view every implementation of the exchange rules offers: the fast core and the
// naive reference core both implement ExchangeModel, so one suite of specs and one property test
// run against both.

import type { AccountId, CommandEnvelope, EngineEvent, MarketId, OrderId, RejectCode, RunnerIndex, Side } from '@playchacha/protocol';

export interface AccountView {
  readonly accountId: AccountId;
  readonly balanceMinor: number;
  readonly exposureMinor: number;
  readonly availableMinor: number;
}

export interface OrderView {
  readonly orderId: OrderId;
  readonly accountId: AccountId;
  readonly marketId: MarketId;
  readonly runnerIndex: RunnerIndex;
  readonly side: Side;
  readonly priceTicks: number;
  readonly sizeMinor: number;
  readonly remainingMinor: number;
  readonly matchedMinor: number;
  readonly cancelledMinor: number;
  /** Waiting out the bet delay, not yet in the book. */
  readonly delayed: boolean;
}

export interface LevelView {
  readonly priceTicks: number;
  /** Open orders at this price in queue order (oldest first). */
  readonly orderIds: readonly OrderId[];
  readonly totalMinor: number;
}

export type MarketStatus = 'open' | 'suspended' | 'closed' | 'settled' | 'voided';

/** Why an order cannot be placed on a market in this state; null when it is open. */
export function marketStatusRejectCode(status: MarketStatus): RejectCode | null {
  switch (status) {
    case 'open':
      return null;
    case 'suspended':
      return 'market_suspended';
    case 'closed':
      return 'market_closed';
    case 'settled':
      return 'market_settled';
    case 'voided':
      return 'market_voided';
  }
}

export interface MarketView {
  readonly marketId: MarketId;
  readonly status: MarketStatus;
  readonly inPlay: boolean;
  readonly betDelayMs: number;
  readonly runnerCount: number;
  readonly seq: number;
}

/** What a runner has traded since its market was created (a void or resettlement keeps it). */
export interface RunnerTradedView {
  readonly runnerIndex: RunnerIndex;
  /** The price of the runner's latest match; null before its first. */
  readonly lastPriceTicks: number | null;
  /** The summed backer's stake of the runner's matches. */
  readonly matchedMinor: number;
}

export interface MarketTradedView {
  /** Every runner, by index. */
  readonly runners: readonly RunnerTradedView[];
  /** The market's total: the sum over its runners. */
  readonly matchedMinor: number;
}

export interface ExchangeModel {
  /** Applies one journaled command; returns the events it caused, in order. */
  apply(envelope: CommandEnvelope): readonly EngineEvent[];
  /** Every account (the house, id 0, included), by ascending id. */
  accounts(): AccountView[];
  account(accountId: AccountId): AccountView | undefined;
  /** Every open order (resting or delayed), by ascending order id. */
  openOrders(): OrderView[];
  market(marketId: MarketId): MarketView | undefined;
  /**
   * A side of a runner's book, best price first (lowest back, highest lay), each level in queue
   * order. Delayed orders are not in the book.
   */
  bookSide(marketId: MarketId, runnerIndex: RunnerIndex, side: Side): LevelView[];
  /** Each runner's last traded price and matched volume, and the market's total; undefined for an unknown market. */
  traded(marketId: MarketId): MarketTradedView | undefined;
}

/** The commands that act on one market (each names it) and that the matching stage answers. */
export const MARKET_COMMAND_TYPES: ReadonlySet<string> = new Set([
  'CreateMarket', 'SuspendMarket', 'ResumeMarket', 'TurnInPlay', 'SetBetDelay', 'CloseMarket', 'SettleMarket', 'VoidMarket', 'ResettleMarket',
]);
