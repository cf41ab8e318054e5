// What the risk stage hands to the matching stage once it has checked an instruction and held its
// worst case. In the partitioned engine these travel through the journal between partitions.

import type {
  AccountId,
  CloseReason,
  EngineEvent,
  MarketEvent,
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

/** Closes an account's open orders on one matching partition (a mass cancel or a freeze, fanned out). */
export interface AccountCancel {
  readonly kind: 'account_cancel';
  readonly accountId: AccountId;
  /** Absent: every market of the partition. */
  readonly marketId?: MarketId;
  readonly runnerIndex?: RunnerIndex;
  readonly side?: Side;
  readonly reason: CloseReason;
}

/** What one risk-partition command hands to one matching partition, in order. */
export type MatchingStep = ApprovedInstruction | AccountCancel;

/**
 * A journaled command carrying what one command of a source partition handed to this partition.
 * (source, sourceSeq) identifies it; previousSourceSeq is the sourceSeq of the source's previous
 * hand-off to this partition (0 for the first), so a receiver that has applied up to
 * previousSourceSeq applies it, one that has applied sourceSeq or more ignores it, and anything
 * else is a gap.
 */
export interface HandOff {
  readonly type: 'HandOff';
  readonly source: string;
  readonly sourceSeq: number;
  readonly previousSourceSeq: number;
  /** Risk → matching: approved instructions and account cancels. */
  readonly steps?: readonly MatchingStep[];
  /** Matching → risk: the market events that concern the receiving partition's accounts. */
  readonly events?: readonly MarketEvent[];
}

/** A hand-off a partition core produced, with the partition it is for. */
export interface OutgoingHandOff {
  readonly destination: string;
  readonly handOff: HandOff;
}
