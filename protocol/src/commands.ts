// Commands: the engine's input and the journal format. A command is applied to the engine in
// journal order inside an envelope that carries its sequence number and timestamp; the engine
// reads no clock of its own, so replaying the same envelopes gives the same state.

import type { AccountId, MarketId, OrderId, RunnerIndex } from './ids.js';

export type Side = 'back' | 'lay';
/** What happens to an unmatched order when its market turns in play. */
export type Persistence = 'lapse' | 'persist';
/** gtc rests until matched or cancelled; fok fills in full at once or not at all; ioc fills what it can at once. */
export type TimeInForce = 'gtc' | 'fok' | 'ioc';
/** What happens when an order would match another order of the same account. */
export type SelfTradePrevention = 'cancel_newest' | 'cancel_oldest' | 'cancel_both';

export interface AccountLimits {
  /** Largest stake of one order. */
  readonly stakeMinorMax?: number;
  /** Largest exposure on any one market. */
  readonly marketExposureMinorMax?: number;
  /** Most open (resting or delayed) orders at once. */
  readonly openOrdersMax?: number;
  /**
   * Self-imposed loss limit: realised net losses in the current period plus the worst case of
   * everything open may not exceed this.
   */
  readonly lossLimitMinor?: number;
  /** Length of the loss-limit period; a new period starts with the first command after it ends. */
  readonly lossLimitPeriodMs?: number;
}

/**
 * active trades normally; suspended may not place or replace orders (cancels work, open orders
 * stay); frozen has every open order cancelled and may neither place orders nor withdraw
 * (deposits still credit).
 */
export type AccountStatus = 'active' | 'suspended' | 'frozen';

export interface PlaceInstruction {
  readonly kind: 'place';
  /** The account's permanent idempotency key for this order (1–32 characters). */
  readonly clientOrderId: string;
  readonly marketId: MarketId;
  readonly runnerIndex: RunnerIndex;
  readonly side: Side;
  readonly priceTicks: number;
  /** The backer's stake, for both back and lay orders (a lay risks stake × (odds − 1)). */
  readonly stakeMinor: number;
  /** Default 'lapse'. */
  readonly persistence?: Persistence;
  /** Default 'gtc'. */
  readonly timeInForce?: TimeInForce;
  /** fok/ioc only: fill nothing unless at least this much can be filled at once. */
  readonly minFillMinor?: number;
  /** Rest only: an order that would match on arrival is closed with post_only_would_match. */
  readonly postOnly?: boolean;
  /** Default 'cancel_newest'. */
  readonly selfTrade?: SelfTradePrevention;
}

export interface CancelInstruction {
  readonly kind: 'cancel';
  readonly marketId: MarketId;
  readonly orderId: OrderId;
  /** Reduce the unmatched size by this much, keeping the queue place; omitted = cancel it all. */
  readonly reduceByMinor?: number;
}

/** Atomically cancels an order and places its unmatched remainder at a new price. */
export interface ReplaceInstruction {
  readonly kind: 'replace';
  readonly marketId: MarketId;
  readonly orderId: OrderId;
  /** The new order's client order id. */
  readonly clientOrderId: string;
  readonly priceTicks: number;
}

export type Instruction = PlaceInstruction | CancelInstruction | ReplaceInstruction;

export interface DeadHeat {
  readonly runnerIndex: RunnerIndex;
  /** The fraction of a winning back stake settled as a winner; 1/1 for an outright winner. */
  readonly factorNumerator: number;
  readonly factorDenominator: number;
}

export type Command =
  | { readonly type: 'OpenAccount'; readonly accountId: AccountId; readonly limits?: AccountLimits }
  | {
      readonly type: 'Deposit';
      readonly accountId: AccountId;
      readonly transferId: string;
      readonly amountMinor: number;
    }
  | {
      readonly type: 'Withdraw';
      readonly accountId: AccountId;
      readonly transferId: string;
      readonly amountMinor: number;
    }
  | { readonly type: 'SetAccountLimits'; readonly accountId: AccountId; readonly limits: AccountLimits }
  | { readonly type: 'SetAccountStatus'; readonly accountId: AccountId; readonly status: AccountStatus }
  | {
      readonly type: 'CreateMarket';
      readonly marketId: MarketId;
      readonly runnerCount: number;
      /** Default 'standard'. */
      readonly ladderId?: string;
      /** Default 1. */
      readonly minStakeMinor?: number;
      /** Default 500 (5%). */
      readonly commissionBps?: number;
      /** Default 1. */
      readonly numberOfWinners?: number;
      /** Default true. */
      readonly persistenceAllowed?: boolean;
    }
  | { readonly type: 'SuspendMarket'; readonly marketId: MarketId }
  | { readonly type: 'ResumeMarket'; readonly marketId: MarketId }
  | { readonly type: 'TurnInPlay'; readonly marketId: MarketId; readonly betDelayMs: number }
  | { readonly type: 'SetBetDelay'; readonly marketId: MarketId; readonly betDelayMs: number }
  | { readonly type: 'CloseMarket'; readonly marketId: MarketId }
  | {
      readonly type: 'SettleMarket';
      readonly marketId: MarketId;
      /** Runners not listed lose. */
      readonly winners: readonly DeadHeat[];
    }
  | { readonly type: 'VoidMarket'; readonly marketId: MarketId; readonly reason: string }
  | {
      /**
       * Replaces the result of a settled or void market: new winners (a resettlement, or an
       * un-void of a void market) or null (a void of a settled market). Each account's previous
       * result and commission are reversed and the new ones applied.
       */
      readonly type: 'ResettleMarket';
      readonly marketId: MarketId;
      readonly winners: readonly DeadHeat[] | null;
      readonly reason: string;
    }
  | ({ readonly type: 'PlaceOrder'; readonly accountId: AccountId } & Omit<PlaceInstruction, 'kind'>)
  | ({ readonly type: 'CancelOrder'; readonly accountId: AccountId } & Omit<CancelInstruction, 'kind'>)
  | ({ readonly type: 'ReplaceOrder'; readonly accountId: AccountId } & Omit<ReplaceInstruction, 'kind'>)
  | {
      readonly type: 'Batch';
      readonly accountId: AccountId;
      /** all_or_none: one market, and any rejected instruction rejects them all. */
      readonly mode: 'all_or_none' | 'best_effort';
      readonly instructions: readonly Instruction[];
    }
  | {
      /**
       * Cancels every open order matching the filters. Without accountId it is an operator's
       * cancel and needs marketId.
       */
      readonly type: 'MassCancel';
      readonly accountId?: AccountId;
      readonly marketId?: MarketId;
      readonly runnerIndex?: RunnerIndex;
      readonly side?: Side;
    }
  /** Moves the engine's time forward (releases orders whose bet delay is over); changes nothing else. */
  | { readonly type: 'Clock' };

export type CommandType = Command['type'];

export interface CommandEnvelope {
  /** Strictly increasing position in the journal. */
  readonly seq: number;
  /** Set by the sequencer when the command is journaled; never decreases. */
  readonly timestampMs: number;
  readonly command: Command;
}
