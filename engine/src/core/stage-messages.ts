// What the risk stage hands to the matching stage once it has checked an instruction and held its
// worst case. In the partitioned engine these travel through the journal between partitions.

import type {
  AccountId,
  EngineEvent,
  MarketId,
  OrderId,
  Persistence,
  RunnerIndex,
  Side,
  TimeInForce,
} from '@playchacha/protocol';

export type SelfTradeCode = 0 | 1 | 2;

export interface ApprovedPlace {
  readonly kind: 'place';
  readonly accountId: AccountId;
  readonly instructionIndex: number;
  readonly orderId: OrderId;
  readonly clientOrderId: string;
  readonly marketId: MarketId;
  readonly runnerIndex: RunnerIndex;
  readonly side: Side;
  readonly priceTicks: number;
  readonly stakeMinor: number;
  readonly persistence: Persistence;
  readonly timeInForce: TimeInForce;
  /** 0 when there is no minimum. */
  readonly minFillMinor: number;
  readonly postOnly: boolean;
  readonly selfTrade: SelfTradeCode;
}

export interface ApprovedCancel {
  readonly kind: 'cancel';
  readonly accountId: AccountId;
  readonly instructionIndex: number;
  readonly marketId: MarketId;
  readonly orderId: OrderId;
  /** 0 cancels the whole remainder. */
  readonly reduceByMinor: number;
}

export interface ApprovedReplace {
  readonly kind: 'replace';
  readonly accountId: AccountId;
  readonly instructionIndex: number;
  readonly marketId: MarketId;
  readonly orderId: OrderId;
  readonly newOrderId: OrderId;
  readonly clientOrderId: string;
  readonly priceTicks: number;
}

export type ApprovedInstruction = ApprovedPlace | ApprovedCancel | ApprovedReplace;

/** Where a stage puts the events it emits. */
export interface EventOutput {
  emit(event: EngineEvent): void;
}
