// The engine core: the risk stage (keyed by account) and the matching stage (keyed by market)
// composed in one process, exchange-core style:
//   1. the risk stage checks an instruction and holds its worst case (R1);
//   2. the matching stage applies it to the market and emits events (ME);
//   3. the risk stage follows those events, moving held money to matched or releasing it (R2).
// Pure and synchronous: the same envelopes in the same order give the same events and state.

import {
  assert,
  type AccountId,
  type Command,
  type CommandEnvelope,
  type EngineEvent,
  type MarketEvent,
  type MarketId,
  type RunnerIndex,
  type Side,
} from '@playchacha/protocol';
import { isObject } from './command-shape.js';
import { checkInvariants } from './invariants.js';
import { MatchingStage, type MatchingSnapshot } from './matching-stage.js';
import type { AccountView, ExchangeModel, LevelView, MarketTradedView, MarketView, OrderView } from './model.js';
import { NONE } from './order-book.js';
import { OrderEntry, massCancelRejectCode } from './order-entry.js';
import { RiskStage, type RiskSnapshot } from './risk-stage.js';
import { StateHasher } from './state-hash.js';
import { accountViewOf, accountViews, bookSideView, marketView, openOrderViews, tradedView } from './stage-views.js';

export interface CoreSnapshot {
  readonly version: 1;
  readonly lastSeq: number;
  readonly lastTimestampMs: number;
  readonly risk: RiskSnapshot;
  readonly matching: MatchingSnapshot;
}

export interface ExchangeCoreOptions {
  /** Order ids are orderIdStart, orderIdStart + orderIdStride, ... (partitions use distinct starts). */
  readonly orderIdStart?: number;
  readonly orderIdStride?: number;
}

export class ExchangeCore implements ExchangeModel {
  readonly risk: RiskStage;
  readonly matching: MatchingStage;
  private readonly entry: OrderEntry;
  private events: EngineEvent[] = [];
  private lastSeq = 0;
  private lastTimestampMs = 0;

  constructor(options: ExchangeCoreOptions = {}) {
    const output = { emit: (event: EngineEvent) => this.events.push(event) };
    this.risk = new RiskStage(output, options.orderIdStride ?? 1, options.orderIdStart ?? 1);
    this.matching = new MatchingStage((event: MarketEvent) => {
      this.events.push(event);
      this.risk.onMarketEvent(event);
    });
    this.entry = new OrderEntry(this.risk, this.matching, (event) => this.events.push(event));
  }

  /** The whole state as plain data, taken between commands; `fromSnapshot` restores it exactly. */
  snapshot(): CoreSnapshot {
    return {
      version: 1,
      lastSeq: this.lastSeq,
      lastTimestampMs: this.lastTimestampMs,
      risk: this.risk.exportState(),
      matching: this.matching.exportState(),
    };
  }

  static fromSnapshot(snapshot: CoreSnapshot, options: ExchangeCoreOptions = {}): ExchangeCore {
    assert(snapshot.version === 1, `unknown snapshot version ${snapshot.version}`);
    const core = new ExchangeCore(options);
    core.lastSeq = snapshot.lastSeq;
    core.lastTimestampMs = snapshot.lastTimestampMs;
    core.risk.importState(snapshot.risk);
    core.matching.importState(snapshot.matching);
    core.checkInvariants();
    return core;
  }

  /** When the engine must next move time on to release a delayed order; null when none waits. */
  nextReleaseAtMs(): number | null {
    return this.matching.nextReleaseAtMs();
  }

  /** The sequence number of the last command applied (0 before any). */
  get lastAppliedSeq(): number {
    return this.lastSeq;
  }

  apply(envelope: CommandEnvelope): readonly EngineEvent[] {
    assert(Number.isSafeInteger(envelope.seq) && envelope.seq > this.lastSeq, 'journal sequence numbers rise');
    assert(
      Number.isSafeInteger(envelope.timestampMs) && envelope.timestampMs >= this.lastTimestampMs,
      'journal timestamps never go back',
    );
    this.lastSeq = envelope.seq;
    this.lastTimestampMs = envelope.timestampMs;
    this.events = [];
    this.risk.beginCommand(envelope.seq, envelope.timestampMs);
    this.matching.setTime(envelope.timestampMs);
    this.matching.releaseDue();
    this.dispatch(envelope.seq, envelope.command as unknown);
    this.risk.endCommand();
    return this.events;
  }

  private dispatch(commandSeq: number, command: unknown): void {
    if (!isObject(command) || typeof command['type'] !== 'string') {
      this.commandRejected(commandSeq, 'unknown', 'invalid_command');
      return;
    }
    const typed = command as unknown as Command;
    const code = this.route(commandSeq, typed);
    if (code !== null) this.commandRejected(commandSeq, typed.type, code);
  }

  private route(commandSeq: number, command: Command): ReturnType<RiskStage['openAccount']> {
    const answered = this.entry.accountCommand(commandSeq, command);
    if (answered !== undefined) return answered;
    const marketAnswer = this.matching.marketCommand(command);
    if (marketAnswer !== undefined) return marketAnswer;
    switch (command.type) {
      case 'MassCancel':
        return this.massCancel(command);
      case 'Clock':
        return null;
      default:
        return 'invalid_command';
    }
  }

  private massCancel(command: Extract<Command, { type: 'MassCancel' }>): ReturnType<RiskStage['openAccount']> {
    const code = massCancelRejectCode(
      command,
      (accountId) => this.risk.accountExists(accountId),
      (marketId) => this.matching.markets.get(marketId)?.runnerCount,
    );
    if (code !== null) return code;
    this.matching.massCancel(command.accountId, command.marketId, command.runnerIndex, command.side);
    return null;
  }

  private commandRejected(commandSeq: number, commandType: string, code: NonNullable<ReturnType<RiskStage['openAccount']>>): void {
    this.events.push({ type: 'CommandRejected', commandSeq, commandType, code });
  }

  // ----- Views ----------------------------------------------------------------------------

  accounts(): AccountView[] {
    return accountViews(this.risk);
  }

  account(accountId: AccountId): AccountView | undefined {
    return accountViewOf(this.risk, accountId);
  }

  openOrders(): OrderView[] {
    return openOrderViews(this.matching);
  }

  market(marketId: MarketId): MarketView | undefined {
    return marketView(this.matching, marketId);
  }

  bookSide(marketId: MarketId, runnerIndex: RunnerIndex, side: Side): LevelView[] {
    return bookSideView(this.matching, marketId, runnerIndex, side);
  }

  traded(marketId: MarketId): MarketTradedView | undefined {
    return tradedView(this.matching, marketId);
  }

  /** A hash of the books, orders, traded figures, accounts, positions and sequence numbers. */
  stateHash(): string {
    const hasher = new StateHasher();
    const pool = this.matching.pool;
    hasher.number(this.lastSeq).number(this.risk.orderIdNextValue).number(this.matching.fillIdNextValue).number(this.risk.netTransfersMinor);
    for (const market of this.matching.marketBySlot) {
      hasher.number(market.marketId).number(market.seq).string(market.status).number(market.inPlay ? 1 : 0).number(market.betDelayMs);
      for (let runner = 0; runner < market.runnerCount; runner++) {
        hasher.number(market.lastPriceTicks[runner] ?? -1).number(market.runnerMatchedMinor[runner] as number);
      }
      hasher.number(market.matchedMinor);
      for (const ladder of market.ladders) {
        for (let tick = 0; tick < ladder.ladderSize; tick++) {
          for (let slot = ladder.head[tick] as number; slot !== NONE; slot = pool.next[slot] as number) {
            this.hashOrder(hasher, slot);
          }
        }
      }
      for (const slot of market.delayed) this.hashOrder(hasher, slot).number(pool.releaseAtMs[slot] as number);
    }
    this.risk.hashAccounts(hasher);
    return hasher.digest();
  }

  private hashOrder(hasher: StateHasher, slot: number): StateHasher {
    const pool = this.matching.pool;
    return hasher
      .number(pool.orderId[slot] as number)
      .number(pool.accountId[slot] as number)
      .number(pool.priceTicks[slot] as number)
      .number(pool.side[slot] as number)
      .number(pool.remainingMinor[slot] as number)
      .number(pool.matchedMinor[slot] as number)
      .number(pool.cancelledMinor[slot] as number)
      .number(pool.flags[slot] as number);
  }

  /** Throws an AssertionError when any invariant of the books or the accounts is broken. */
  checkInvariants(): void {
    checkInvariants(this.risk, this.matching);
  }
}
