// A matching partition: the matching stage for the markets the topology gives it, on its own
// journal. It applies market commands (create, lifecycle, an operator's mass cancel, Clock) and
// the instructions risk partitions hand it (already checked and held), and hands each risk
// partition the market events that concern it: every market's state changes and results to all of
// them, each order's events to its account's partition. Pure and deterministic like ExchangeCore.

import { assert, type Command, type MarketEvent, type RejectCode } from '@playchacha/protocol';
import { MatchingStage, type MatchingSnapshot } from './matching-stage.js';
import { massCancelRejectCode } from './order-entry.js';
import { PartitionCoreBase, type PartitionApplied, type PartitionEnvelope, type PartitionSnapshotHeader } from './partition-core-base.js';
import type { PartitionTopology } from './partition-topology.js';
import type { HandOff } from './stage-messages.js';
import { StateHasher } from './state-hash.js';

export interface MatchingPartitionSnapshot extends PartitionSnapshotHeader {
  readonly matching: MatchingSnapshot;
}

export class MatchingPartitionCore extends PartitionCoreBase<MarketEvent> {
  readonly matching: MatchingStage;

  constructor(
    private readonly topology: PartitionTopology,
    index: number,
  ) {
    assert(Number.isSafeInteger(index) && index >= 0 && index < topology.matchingNames.length, `no matching partition ${index}`);
    super(topology.matchingNames[index] as string);
    this.matching = new MatchingStage((event) => {
      this.events.push(event);
      this.handOn(event);
    });
  }

  nextReleaseAtMs(): number | null {
    return this.matching.nextReleaseAtMs();
  }

  apply(envelope: PartitionEnvelope): PartitionApplied {
    return this.applyEnvelope(envelope, () => {
      this.matching.setTime(envelope.timestampMs);
      this.matching.releaseDue();
      this.dispatch(envelope.seq, envelope.command as unknown);
    });
  }

  protected handOffBody(events: MarketEvent[]): Pick<HandOff, 'events'> {
    return { events };
  }

  protected route(_commandSeq: number, command: Command): RejectCode | null {
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
  protected receive(handOff: HandOff): void {
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
        for (const destination of this.topology.riskNames) this.outgoingFor(destination).push(event);
        return;
      case 'OrderAccepted':
      case 'OrderReduced':
      case 'OrderClosed':
      case 'InstructionRefused':
        this.outgoingFor(this.topology.riskOf(event.accountId)).push(event);
        return;
      case 'OrderMatched': {
        const back = this.topology.riskOf(event.backAccountId);
        const lay = this.topology.riskOf(event.layAccountId);
        this.outgoingFor(back).push(event);
        if (lay !== back) this.outgoingFor(lay).push(event);
        return;
      }
      default:
        // In-play, bet delay and delayed-order events change nothing the risk stage keeps.
        return;
    }
  }


  // ----- Snapshots and hash ---------------------------------------------------------------

  snapshot(): MatchingPartitionSnapshot {
    return { ...this.snapshotHeader(), matching: this.matching.exportState() };
  }

  static fromSnapshot(snapshot: MatchingPartitionSnapshot, topology: PartitionTopology): MatchingPartitionCore {
    const index = topology.matchingNames.indexOf(snapshot.partition);
    assert(index >= 0, `snapshot of ${snapshot.partition}, not a matching partition of this topology`);
    const core = new MatchingPartitionCore(topology, index);
    core.restoreHeader(snapshot);
    core.matching.importState(snapshot.matching);
    return core;
  }

  /** A hash of the markets, books (orders in queue order), sequence numbers and hand-off marks. */
  stateHash(): string {
    const hasher = new StateHasher();
    hasher.string(this.partition).number(this.lastAppliedSeq).number(this.matching.fillIdNextValue);
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
