// The in-process composition of the risk stage and the matching stage (being written).
import type { AccountId, CommandEnvelope, EngineEvent, MarketId, RunnerIndex, Side } from '@playchacha/protocol';
import type { AccountView, ExchangeModel, LevelView, MarketView, OrderView } from './model.js';

export interface ExchangeCoreOptions {
  /** Order ids are orderIdStart, orderIdStart + orderIdStride, ... (partitions use distinct starts). */
  readonly orderIdStart?: number;
  readonly orderIdStride?: number;
}

export class ExchangeCore implements ExchangeModel {
  constructor(_options: ExchangeCoreOptions = {}) {}
  apply(_envelope: CommandEnvelope): readonly EngineEvent[] { throw new Error('pending'); }
  accounts(): AccountView[] { throw new Error('pending'); }
  account(_accountId: AccountId): AccountView | undefined { throw new Error('pending'); }
  openOrders(): OrderView[] { throw new Error('pending'); }
  market(_marketId: MarketId): MarketView | undefined { throw new Error('pending'); }
  bookSide(_m: MarketId, _r: RunnerIndex, _s: Side): LevelView[] { throw new Error('pending'); }
  stateHash(): string { throw new Error('pending'); }
  checkInvariants(): void { throw new Error('pending'); }
}
