// The wire shapes the web app reads from the gateway (REST answers and WebSocket messages), as
// documented in gateway/docs/websocket-api.md and the OpenAPI document at /docs/json.

import type { Level, LevelChange, RunnerLevels } from './book';

export type MarketStatus = 'open' | 'suspended' | 'closed' | 'settled' | 'voided';
export type Side = 'back' | 'lay';

export interface MarketHeader {
  readonly marketId: number;
  readonly status: MarketStatus;
  readonly inPlay: boolean;
  readonly betDelayMs: number;
  readonly runnerCount: number;
}

/** What has traded on a runner: its last matched price (null before any) and matched backer's stake. */
export interface RunnerTraded {
  readonly runnerIndex: number;
  readonly lastPriceTicks: number | null;
  readonly matchedMinor: number;
}

export interface RestLevel {
  readonly priceTicks: number;
  readonly priceX100: number;
  readonly totalMinor: number;
}

export interface MarketSummary extends MarketHeader {
  readonly ladderId: string;
  readonly seq: number;
  readonly runners: ReadonlyArray<{
    readonly runnerIndex: number;
    readonly back: readonly RestLevel[];
    readonly lay: readonly RestLevel[];
    readonly lastPriceTicks: number | null;
    readonly matchedMinor: number;
  }>;
  /** Matched on the market (backer's stake). */
  readonly matchedMinor: number;
}

/** GET /v1/account/settlements: one settled or void market of the account, from the ledger. */
export interface SettledMarket {
  readonly marketId: number;
  readonly outcome: 'settled' | 'voided';
  readonly winners: ReadonlyArray<{ readonly runnerIndex: number; readonly factorNumerator: number; readonly factorDenominator: number }> | null;
  readonly commissionBps: number | null;
  readonly settledAt: string;
  /** The end of the window in which this result may be disputed. */
  readonly disputeOpenUntil: string;
  /** Resettled (or un-voided) since; the figures are as they stand now. */
  readonly resettled: boolean;
  readonly grossMinor: number;
  readonly commissionMinor: number;
  readonly netMinor: number;
}

export interface AccountMoney {
  readonly accountId?: number;
  readonly balanceMinor: number;
  readonly exposureMinor: number;
  readonly availableMinor: number;
}

export interface OrderState {
  readonly orderId: number;
  readonly clientOrderId: string | null;
  readonly marketId: number;
  readonly runnerIndex: number;
  readonly side: Side;
  readonly priceTicks: number;
  readonly sizeMinor: number;
  readonly remainingMinor: number;
  readonly matchedMinor: number;
  readonly cancelledMinor: number;
  readonly averagePriceX100: number | null;
  readonly volumeAheadMinor: number | null;
  readonly delayed: boolean;
  readonly persistence: 'lapse' | 'persist' | null;
  readonly timeInForce: 'gtc' | 'fok' | 'ioc' | null;
  readonly closeReason: string | null;
}

export type OrderUpdate =
  | { readonly kind: 'accepted'; readonly order: OrderState }
  | { readonly kind: 'delayed'; readonly orderId: number; readonly marketId: number; readonly releaseAtMs: number }
  | {
      readonly kind: 'matched';
      readonly orderId: number;
      readonly marketId: number;
      readonly fillId: number;
      readonly priceTicks: number;
      readonly stakeMinor: number;
      readonly liabilityMinor: number;
      readonly role: 'maker' | 'taker';
      readonly matchedMinor: number;
      readonly remainingMinor: number;
      readonly averagePriceX100: number;
    }
  | { readonly kind: 'reduced'; readonly orderId: number; readonly marketId: number; readonly reducedByMinor: number; readonly remainingMinor: number }
  | { readonly kind: 'closed'; readonly orderId: number; readonly marketId: number; readonly reason: string; readonly sizeMinor: number; readonly matchedMinor: number; readonly cancelledMinor: number }
  | { readonly kind: 'queue'; readonly orderId: number; readonly marketId: number; readonly volumeAheadMinor: number }
  | { readonly kind: 'account'; readonly balanceMinor: number; readonly exposureMinor: number; readonly availableMinor: number };

export type ServerMessage =
  | { readonly type: 'hello'; readonly accountId: number | null; readonly heartbeatMs: number; readonly serverTimeMs: number }
  | ({
      readonly type: 'market_snapshot';
      readonly id: number;
      readonly seq: number;
      readonly runners: readonly RunnerLevels[];
      readonly traded: readonly RunnerTraded[];
      readonly matchedMinor: number;
      readonly checksum: number;
      readonly lagging?: true;
    } & MarketHeader)
  | { readonly type: 'market_resumed'; readonly id: number; readonly marketId: number; readonly seq: number; readonly lagging?: true }
  | {
      readonly type: 'market_delta';
      readonly marketId: number;
      readonly prevSeq: number;
      readonly seq: number;
      readonly levels: readonly LevelChange[];
      readonly market?: MarketHeader;
      readonly traded?: readonly RunnerTraded[];
      readonly matchedMinor?: number;
      readonly checksum: number;
      readonly lagging?: true;
    }
  | { readonly type: 'orders_snapshot'; readonly id: number; readonly open: readonly OrderState[]; readonly recentlyClosed: readonly OrderState[]; readonly lagging?: true }
  | { readonly type: 'order_updates'; readonly updates: readonly OrderUpdate[]; readonly lagging?: true }
  | { readonly type: 'heartbeat'; readonly serverTimeMs: number; readonly lagging?: true }
  | { readonly type: 'error'; readonly id: number | string | null; readonly code: string; readonly message: string }
  | { readonly type: 'subscribed' | 'unsubscribed' | 'pong' | 'mass_cancel_result' | 'cancel_on_disconnect_set' | 'cancel_on_disconnect_report'; readonly id?: number | string };

export type { Level, LevelChange, RunnerLevels };
