// The REST answers the web app reads from the gateway, as documented in the OpenAPI document at
// /docs/json. The WebSocket messages are the protocol package's types (@playchacha/protocol).

import type { MarketHeader } from '@playchacha/protocol';

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
