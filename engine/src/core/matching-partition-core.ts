// A matching partition: the matching stage for the markets the topology gives it, on its own
// journal. It applies market commands (create, lifecycle, an operator's mass cancel, Clock) and
// the instructions risk partitions hand it (already checked and held), and hands each risk
// partition the market events that concern it: every market's state changes and results to all of
// them, each order's events to its account's partition. Pure and deterministic like ExchangeCore.

import { assert, type Command, type EngineEvent, type MarketEvent, type RejectCode } from '@playchacha/protocol';
import { isObject } from './command-shape.js';
import { HandOffMarks, type HandOffMarksSnapshot } from './hand-off-marks.js';
import { MatchingStage, type MatchingSnapshot } from './matching-stage.js';
import { massCancelRejectCode } from './order-entry.js';
import type { PartitionTopology } from './partition-topology.js';
import type { PartitionApplied, PartitionEnvelope } from './risk-partition-core.js';
import type { HandOff, OutgoingHandOff } from './stage-messages.js';
import { StateHasher } from './state-hash.js';

export interface MatchingPartitionSnapshot {
  readonly version: 1;
  readonly partition: string;
  readonly lastSeq: number;
  readonly lastTimestampMs: number;
  readonly matching: MatchingSnapshot;
  readonly marks: HandOffMarksSnapshot;
}

export class MatchingPartitionCore {
  readonly matching: MatchingStage;
  readonly partition: string;
  private readonly marks = new HandOffMarks();
  private events: EngineEvent[] = [];
  private outgoing = new Map<string, MarketEvent[]>();
  private lastSeq = 0;
  private lastTimestampMs = 0;

  constructor(
    private readonly topology: PartitionTopology,
    index: number,
  ) {
    assert(Number.isSafeInteger(index) && index >= 0 && index < topology.matchingNames.length, `no matching partition ${index}`);
    this.partition = topology.matchingNames[index] as string;
    this.matching = new MatchingStage((event) => {
      this.events.push(event);
      this.handOn(event);
    });
  }

  get lastAppliedSeq(): number {
    return this.lastSeq;
  }

  appliedFrom(source: string): number {
    return this.marks.receivedFrom(source);
  }

  /** Per source the highest source seq applied, per destination the source seq of the last hand-off sent. */
  handOffMarks(): HandOffMarksSnapshot {
    return this.marks.exportState();
  }

  nextReleaseAtMs(): number | null {
    return this.matching.nextReleaseAtMs();
  }

  apply(envelope: PartitionEnvelope): PartitionApplied {
    assert(Number.isSafeInteger(envelope.seq) && envelope.seq > this.lastSeq, 'journal sequence numbers rise');
    assert(Number.isSafeInteger(envelope.timestampMs) && envelope.timestampMs >= this.lastTimestampMs, 'journal timestamps never go back');
    this.lastSeq = envelope.seq;
    this.lastTimestampMs = envelope.timestampMs;
    this.events = [];
    this.outgoing = new Map();
    this.matching.setTime(envelope.timestampMs);
    this.matching.releaseDue();
    this.dispatch(envelope.seq, envelope.command as unknown);
    const handOffs: OutgoingHandOff[] = [];
    for (const [destination, events] of [...this.outgoing].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const previousSourceSeq = this.marks.send(destination, envelope.seq);
      handOffs.push({ destination, handOff: { type: 'HandOff', source: this.partition, sourceSeq: envelope.seq, previousSourceSeq, events } });
    }
    return { events: this.events, handOffs };
  }

  private dispatch(commandSeq: number, command: unknown): void {
    if (!isObject(command) || typeof command['type'] !== 'string') {
      this.commandRejected(commandSeq, 'unknown', 'invalid_command');
      return;
    }
    if (command['type'] === 'HandOff') {
      this.receive(command as unknown as HandOff);
      return;
    }
    const typed = command as unknown as Command;
    const code = this.route(typed);
    if (code !== null) this.commandRejected(commandSeq, typed.type, code);
  }

  private route(command: Command): RejectCode | null {
    const answered = this.matching.marketCommand(command);
    if (answered !== undefined) return answered;
    switch (command.type) {
      case 'MassCancel': {
        // An account's mass cancel goes to its risk partition, which fans it out.
        if (command.accountId !== undefined) return 'invalid_command';
        const code = massCancelRejectCode(command, () => false, (marketId) => this.matching.markets.get(marketId)?.runnerCount);
        if (code !== null) return code;
        this.matching.massCancel(undefined, command.marketId, command.runnerIndex, command.side);
        return null;
      }
      case 'Clock':
        return null;
      default:
        return 'invalid_command';
    }
  }

  /** ME: what a risk partition approved, in the order it approved it. */
  private receive(handOff: HandOff): void {
    if (!this.marks.accept(handOff)) return;
    for (const step of handOff.steps ?? []) {
      if (step.kind === 'account_cancel') {
        assert(step.marketId === undefined || this.matching.markets.has(step.marketId), 'an account cancel names a market of this partition');
        this.matching.massCancel(step.accountId, step.marketId, step.runnerIndex, step.side, step.reason);
      } else {
        this.matching.execute(step);
      }
    }
  }

  /** Routes a market event to the risk partitions it concerns. */
  private handOn(event: MarketEvent): void {
    switch (event.type) {
      case 'MarketCreated':
      case 'MarketSuspended':
      case 'MarketResumed':
      case 'MarketClosed':
      case 'MarketSettled':
      case 'MarketVoided':
      case 'MarketResettled':
        for (const destination of this.topology.riskNames) this.eventsFor(destination).push(event);
        return;
      case 'OrderAccepted':
      case 'OrderReduced':
      case 'OrderClosed':
      case 'InstructionRefused':
        this.eventsFor(this.topology.riskOf(event.accountId)).push(event);
        return;
      case 'OrderMatched': {
        const back = this.topology.riskOf(event.backAccountId);
        const lay = this.topology.riskOf(event.layAccountId);
        this.eventsFor(back).push(event);
        if (lay !== back) this.eventsFor(lay).push(event);
        return;
      }
      default:
        // In-play, bet delay and delayed-order events change nothing the risk stage keeps.
        return;
    }
  }

  private eventsFor(destination: string): MarketEvent[] {
    let events = this.outgoing.get(destination);
    if (events === undefined) {
      events = [];
      this.outgoing.set(destination, events);
    }
    return events;
  }

  private commandRejected(commandSeq: number, commandType: string, code: RejectCode): void {
    this.events.push({ type: 'CommandRejected', commandSeq, commandType, code });
  }

  // ----- Snapshots and hash ---------------------------------------------------------------

  snapshot(): MatchingPartitionSnapshot {
    return {
      version: 1,
      partition: this.partition,
      lastSeq: this.lastSeq,
      lastTimestampMs: this.lastTimestampMs,
      matching: this.matching.exportState(),
      marks: this.marks.exportState(),
    };
  }

  static fromSnapshot(snapshot: MatchingPartitionSnapshot, topology: PartitionTopology): MatchingPartitionCore {
    assert(snapshot.version === 1, `unknown snapshot version ${snapshot.version}`);
    const index = topology.matchingNames.indexOf(snapshot.partition);
    assert(index >= 0, `snapshot of ${snapshot.partition}, not a matching partition of this topology`);
    const core = new MatchingPartitionCore(topology, index);
    core.lastSeq = snapshot.lastSeq;
    core.lastTimestampMs = snapshot.lastTimestampMs;
    core.matching.importState(snapshot.matching);
    core.marks.importState(snapshot.marks);
    return core;
  }

  /** A hash of the markets, books (orders in queue order), sequence numbers and hand-off marks. */
  stateHash(): string {
    const hasher = new StateHasher();
    hasher.string(this.partition).number(this.lastSeq).number(this.matching.fillIdNextValue);
    for (const market of this.matching.exportState().markets) {
      hasher.number(market.marketId).number(market.seq).string(market.status).number(market.inPlay ? 1 : 0).number(market.betDelayMs);
      for (const row of market.resting) for (const value of row) hasher.number(value);
      hasher.number(-1);
      for (const row of market.delayed) for (const value of row) hasher.number(value);
      for (const [priceTicks, matchedMinor] of market.traded ?? []) hasher.number(priceTicks ?? -1).number(matchedMinor);
    }
    this.marks.hash(hasher);
    return hasher.digest();
  }
}
