// Events: the engine's output. Market events carry the market's sequence number and account
// events the account's; each sequence starts at 1 and rises by exactly 1, so a consumer can detect
// a gap. Control events answer a command without changing state.

import type { AccountLimits, AccountStatus, DeadHeat, Persistence, Side, TimeInForce } from './commands.js';
import type { AccountId, FillId, MarketId, OrderId, RunnerIndex } from './ids.js';
import type { CloseReason, RejectCode } from './reject-codes.js';

export type InstructionKind = 'place' | 'cancel' | 'replace';

interface MarketStream {
  readonly marketId: MarketId;
  readonly seq: number;
}

export interface MarketDefinition {
  readonly runnerCount: number;
  readonly ladderId: string;
  readonly minStakeMinor: number;
  readonly commissionBps: number;
  readonly numberOfWinners: number;
  readonly persistenceAllowed: boolean;
}

export type MarketResultStatus = 'settled' | 'voided';

export type MarketEvent =
  | ({ readonly type: 'MarketCreated' } & MarketStream & MarketDefinition)
  | ({ readonly type: 'MarketSuspended' } & MarketStream)
  | ({ readonly type: 'MarketResumed' } & MarketStream)
  | ({ readonly type: 'MarketTurnedInPlay'; readonly betDelayMs: number } & MarketStream)
  | ({ readonly type: 'MarketBetDelayChanged'; readonly betDelayMs: number } & MarketStream)
  | ({ readonly type: 'MarketClosed' } & MarketStream)
  | ({
      readonly type: 'MarketSettled';
      readonly winners: readonly DeadHeat[];
      readonly commissionBps: number;
    } & MarketStream)
  | ({ readonly type: 'MarketVoided'; readonly reason: string } & MarketStream)
  | ({
      /** A settled or void market's result was replaced; winners null means it is void now. */
      readonly type: 'MarketResettled';
      readonly previousOutcome: MarketResultStatus;
      readonly outcome: MarketResultStatus;
      readonly winners: readonly DeadHeat[] | null;
      readonly commissionBps: number;
      readonly reason: string;
    } & MarketStream)
  | ({
      readonly type: 'OrderAccepted';
      readonly orderId: OrderId;
      readonly accountId: AccountId;
      readonly clientOrderId: string;
      readonly runnerIndex: RunnerIndex;
      readonly side: Side;
      readonly priceTicks: number;
      readonly stakeMinor: number;
      readonly persistence: Persistence;
      readonly timeInForce: TimeInForce;
      readonly timestampMs: number;
    } & MarketStream)
  | ({
      /** The order would match at once on an in-play market; it waits out the bet delay. */
      readonly type: 'OrderDelayed';
      readonly orderId: OrderId;
      readonly accountId: AccountId;
      readonly releaseAtMs: number;
    } & MarketStream)
  | ({
      /** A delayed order's bet delay is over: it reaches the book now (and may match or rest). */
      readonly type: 'OrderReleased';
      readonly orderId: OrderId;
      readonly accountId: AccountId;
    } & MarketStream)
  | ({
      /** One match. stakeMinor is the backer's stake; liabilityMinor is both the backer's profit and the layer's risk. */
      readonly type: 'OrderMatched';
      readonly fillId: FillId;
      readonly runnerIndex: RunnerIndex;
      readonly priceTicks: number;
      readonly stakeMinor: number;
      readonly liabilityMinor: number;
      readonly takerSide: Side;
      readonly backOrderId: OrderId;
      readonly backAccountId: AccountId;
      readonly layOrderId: OrderId;
      readonly layAccountId: AccountId;
    } & MarketStream)
  | ({
      /** A partial cancel: the unmatched size went down and the order kept its queue place. */
      readonly type: 'OrderReduced';
      readonly orderId: OrderId;
      readonly accountId: AccountId;
      readonly runnerIndex: RunnerIndex;
      readonly side: Side;
      readonly priceTicks: number;
      readonly reducedByMinor: number;
      readonly remainingMinor: number;
    } & MarketStream)
  | ({
      /** The order is no longer open. sizeMinor = matchedMinor + cancelledMinor. */
      readonly type: 'OrderClosed';
      readonly orderId: OrderId;
      readonly accountId: AccountId;
      readonly runnerIndex: RunnerIndex;
      readonly side: Side;
      readonly priceTicks: number;
      readonly reason: CloseReason;
      readonly sizeMinor: number;
      readonly matchedMinor: number;
      readonly cancelledMinor: number;
    } & MarketStream)
  | ({
      /** An instruction the risk stage passed that the market refused (its state changed meanwhile). */
      readonly type: 'InstructionRefused';
      readonly accountId: AccountId;
      readonly instruction: InstructionKind;
      readonly instructionIndex: number;
      /** The order the instruction created (place, replace) or named (cancel, replace). */
      readonly orderId: OrderId;
      readonly clientOrderId: string | null;
      readonly code: RejectCode;
    } & MarketStream);

interface AccountStream {
  readonly accountId: AccountId;
  readonly seq: number;
}

export type AccountEvent =
  | ({ readonly type: 'AccountOpened'; readonly limits: AccountLimits } & AccountStream)
  | ({
      readonly type: 'FundsDeposited';
      readonly transferId: string;
      readonly amountMinor: number;
      readonly balanceMinor: number;
    } & AccountStream)
  | ({
      readonly type: 'FundsWithdrawn';
      readonly transferId: string;
      readonly amountMinor: number;
      readonly balanceMinor: number;
    } & AccountStream)
  | ({ readonly type: 'AccountLimitsSet'; readonly limits: AccountLimits } & AccountStream)
  | ({ readonly type: 'AccountStatusSet'; readonly status: AccountStatus } & AccountStream)
  | ({
      /** The definitive rejection of one instruction (from the risk stage, or relayed from the market). */
      readonly type: 'OrderRejected';
      readonly instruction: InstructionKind;
      readonly instructionIndex: number;
      readonly marketId: MarketId;
      readonly clientOrderId: string | null;
      readonly orderId: OrderId | null;
      readonly code: RejectCode;
    } & AccountStream)
  | ({
      /** Balance or exposure changed; emitted once per command for each account it touched. */
      readonly type: 'AccountUpdated';
      readonly balanceMinor: number;
      readonly exposureMinor: number;
      readonly availableMinor: number;
    } & AccountStream)
  | ({
      /**
       * The account's money at risk on one market changed: exposureMinor is the worst case of its
       * matched bets and open orders together, escrowMinor that of its matched bets alone (never
       * more than exposureMinor); the difference is held for open orders. Emitted once per command
       * for each position the command changed; both are zero once the market is settled or void.
       */
      readonly type: 'PositionUpdated';
      readonly marketId: MarketId;
      readonly exposureMinor: number;
      readonly escrowMinor: number;
    } & AccountStream)
  | ({
      /** The account's result on a settled market. Commission is charged on net winnings only. */
      readonly type: 'AccountSettled';
      readonly marketId: MarketId;
      readonly pnlMinor: number;
      readonly commissionMinor: number;
      readonly balanceMinor: number;
    } & AccountStream)
  | ({
      /**
       * A resettlement replaced the account's result on a market: the previous result and
       * commission (zero when the market was void) are reversed and the new ones applied, so the
       * balance changes by changeMinor = (pnlMinor − commissionMinor) − (previousPnlMinor −
       * previousCommissionMinor), which may leave it below zero. For the house (account 0) the
       * pnl figures are its take (commission and rounding) from the market.
       */
      readonly type: 'AccountResettled';
      readonly marketId: MarketId;
      readonly previousPnlMinor: number;
      readonly previousCommissionMinor: number;
      readonly pnlMinor: number;
      readonly commissionMinor: number;
      readonly changeMinor: number;
      readonly balanceMinor: number;
    } & AccountStream);

export type ControlEvent =
  | {
      readonly type: 'CommandRejected';
      readonly commandSeq: number;
      readonly commandType: string;
      readonly code: RejectCode;
    }
  | {
      /** A client order id seen before: the original result, and nothing changed. */
      readonly type: 'OrderDuplicate';
      readonly commandSeq: number;
      readonly accountId: AccountId;
      readonly clientOrderId: string;
      readonly orderId: OrderId | null;
      readonly code: RejectCode | null;
    };

export type EngineEvent = MarketEvent | AccountEvent | ControlEvent;
export type EngineEventType = EngineEvent['type'];

const MARKET_EVENT_TYPES: ReadonlySet<string> = new Set<MarketEvent['type']>([
  'MarketCreated',
  'MarketSuspended',
  'MarketResumed',
  'MarketTurnedInPlay',
  'MarketBetDelayChanged',
  'MarketClosed',
  'MarketSettled',
  'MarketVoided',
  'MarketResettled',
  'OrderAccepted',
  'OrderDelayed',
  'OrderReleased',
  'OrderMatched',
  'OrderReduced',
  'OrderClosed',
  'InstructionRefused',
]);

const ACCOUNT_EVENT_TYPES: ReadonlySet<string> = new Set<AccountEvent['type']>([
  'AccountOpened',
  'FundsDeposited',
  'FundsWithdrawn',
  'AccountLimitsSet',
  'AccountStatusSet',
  'OrderRejected',
  'AccountUpdated',
  'PositionUpdated',
  'AccountSettled',
  'AccountResettled',
]);

/** Market events carry the market's seq; account events the account's; control events neither. */
export function isMarketEvent(event: EngineEvent): event is MarketEvent {
  return MARKET_EVENT_TYPES.has(event.type);
}

export function isAccountEvent(event: EngineEvent): event is AccountEvent {
  return ACCOUNT_EVENT_TYPES.has(event.type);
}
