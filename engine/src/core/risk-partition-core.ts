// A risk partition: the risk stage for the accounts the topology gives it (and its share of the
// house account), on its own journal. It applies account commands and order commands (R1: check
// and hold), handing approved instructions to the matching partitions of their markets, and
// applies the market events matching partitions hand back (R2: fills, closes, settlements for its
// accounts). Pure and deterministic like ExchangeCore: replaying its journal gives the same state.

import { assert, type AccountId, type CloseReason, type Command, type EngineEvent, type MarketEvent, type MarketId, type RejectCode, type Side } from '@playchacha/protocol';
import { isObject } from './command-shape.js';
import { HandOffMarks, type HandOffMarksSnapshot } from './hand-off-marks.js';
import { OrderEntry, massCancelRejectCode, type MatchingPort } from './order-entry.js';
import type { PartitionTopology } from './partition-topology.js';
import { RiskStage, type RiskSnapshot } from './risk-stage.js';
import type { ApprovedInstruction, HandOff, MatchingStep, OutgoingHandOff } from './stage-messages.js';
import { StateHasher } from './state-hash.js';

/** What a partition core journals: an outside command or a hand-off from another partition. */
export interface PartitionEnvelope {
  readonly seq: number;
  readonly timestampMs: number;
  readonly command: Command | HandOff;
}

/** The result of applying one envelope: its events, and what it hands to other partitions. */
export interface PartitionApplied {
  readonly events: readonly EngineEvent[];
  readonly handOffs: readonly OutgoingHandOff[];
}

export interface RiskPartitionSnapshot {
  readonly version: 1;
  readonly partition: string;
  readonly lastSeq: number;
  readonly lastTimestampMs: number;
  readonly risk: RiskSnapshot;
  readonly marks: HandOffMarksSnapshot;
}

export class RiskPartitionCore implements MatchingPort {
  readonly risk: RiskStage;
  readonly partition: string;
  private readonly entry: OrderEntry;
  private readonly marks = new HandOffMarks();
  private events: EngineEvent[] = [];
  private steps = new Map<string, MatchingStep[]>();
  private lastSeq = 0;
  private lastTimestampMs = 0;

  constructor(
    private readonly topology: PartitionTopology,
    index: number,
  ) {
    assert(Number.isSafeInteger(index) && index >= 0 && index < topology.riskNames.length, `no risk partition ${index}`);
    this.partition = topology.riskNames[index] as string;
    // Order ids: partition i of n gives i + 1, i + 1 + n, ... so ids are unique across partitions.
    this.risk = new RiskStage({ emit: (event) => this.events.push(event) }, topology.config.riskPartitions, index + 1);
    this.risk.partitionShare = true;
    this.entry = new OrderEntry(this.risk, this, (event) => this.events.push(event));
  }

  get lastAppliedSeq(): number {
    return this.lastSeq;
  }

  /** The highest seq of `source` whose hand-off this partition applied. */
  appliedFrom(source: string): number {
    return this.marks.receivedFrom(source);
  }

  /** Per source the highest source seq applied, per destination the source seq of the last hand-off sent. */
  handOffMarks(): HandOffMarksSnapshot {
    return this.marks.exportState();
  }

  nextReleaseAtMs(): number | null {
    return null;
  }

  apply(envelope: PartitionEnvelope): PartitionApplied {
    assert(Number.isSafeInteger(envelope.seq) && envelope.seq > this.lastSeq, 'journal sequence numbers rise');
    assert(Number.isSafeInteger(envelope.timestampMs) && envelope.timestampMs >= this.lastTimestampMs, 'journal timestamps never go back');
    this.lastSeq = envelope.seq;
    this.lastTimestampMs = envelope.timestampMs;
    this.events = [];
    this.steps = new Map();
    this.risk.beginCommand(envelope.seq, envelope.timestampMs);
    this.dispatch(envelope.seq, envelope.command as unknown);
    this.risk.endCommand();
    const handOffs: OutgoingHandOff[] = [];
    for (const [destination, steps] of [...this.steps].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const previousSourceSeq = this.marks.send(destination, envelope.seq);
      handOffs.push({ destination, handOff: { type: 'HandOff', source: this.partition, sourceSeq: envelope.seq, previousSourceSeq, steps } });
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
    const code = this.route(commandSeq, typed);
    if (code !== null) this.commandRejected(commandSeq, typed.type, code);
  }

  private route(commandSeq: number, command: Command): RejectCode | null {
    const answered = this.entry.accountCommand(commandSeq, command);
    if (answered !== undefined) return answered;
    switch (command.type) {
      case 'MassCancel': {
        // An operator's mass cancel of a market goes to the market's matching partition.
        if (command.accountId === undefined) return 'invalid_command';
        const code = massCancelRejectCode(command, (accountId) => this.risk.accountExists(accountId), (marketId) => this.risk.markets.get(marketId)?.runnerCount);
        if (code !== null) return code;
        this.massCancel(command.accountId, command.marketId, command.runnerIndex, command.side, 'mass_cancelled');
        return null;
      }
      case 'Clock':
        return null;
      default:
        return 'invalid_command';
    }
  }

  /** R2: the market events a matching partition handed over, for this partition's accounts. */
  private receive(handOff: HandOff): void {
    if (!this.marks.accept(handOff)) return;
    for (const event of handOff.events ?? []) this.onMarketEvent(event);
  }

  private onMarketEvent(event: MarketEvent): void {
    switch (event.type) {
      case 'OrderMatched':
        // Each side goes to the partition of its account; both may be here.
        if (this.topology.riskOf(event.backAccountId) === this.partition) this.risk.applyFill(event.backOrderId, event.stakeMinor, event.liabilityMinor);
        if (this.topology.riskOf(event.layAccountId) === this.partition) this.risk.applyFill(event.layOrderId, event.stakeMinor, event.liabilityMinor);
        return;
      case 'OrderAccepted':
        this.risk.fitHeld(event.orderId, event.stakeMinor);
        return;
      default:
        this.risk.onMarketEvent(event);
    }
  }

  // ----- MatchingPort: what R1 hands on --------------------------------------------------

  execute(instruction: ApprovedInstruction): void {
    this.stepsFor(this.topology.matchingOf(instruction.marketId)).push(instruction);
  }

  /** Fans out to every matching partition that hosts a market on which the account has orders. */
  massCancel(accountId: AccountId, marketId: MarketId | undefined, runnerIndex: number | undefined, side: Side | undefined, reason: CloseReason): void {
    const destinations = new Set<string>();
    for (const order of this.risk.orders.values()) {
      if (order.accountId !== accountId || (marketId !== undefined && order.marketId !== marketId)) continue;
      destinations.add(this.topology.matchingOf(order.marketId));
    }
    for (const destination of [...destinations].sort()) {
      this.stepsFor(destination).push({
        kind: 'account_cancel',
        accountId,
        ...(marketId === undefined ? {} : { marketId }),
        ...(runnerIndex === undefined ? {} : { runnerIndex }),
        ...(side === undefined ? {} : { side }),
        reason,
      });
    }
  }

  private stepsFor(destination: string): MatchingStep[] {
    let steps = this.steps.get(destination);
    if (steps === undefined) {
      steps = [];
      this.steps.set(destination, steps);
    }
    return steps;
  }

  private commandRejected(commandSeq: number, commandType: string, code: RejectCode): void {
    this.events.push({ type: 'CommandRejected', commandSeq, commandType, code });
  }

  // ----- Snapshots and hash ---------------------------------------------------------------

  snapshot(): RiskPartitionSnapshot {
    return {
      version: 1,
      partition: this.partition,
      lastSeq: this.lastSeq,
      lastTimestampMs: this.lastTimestampMs,
      risk: this.risk.exportState(),
      marks: this.marks.exportState(),
    };
  }

  static fromSnapshot(snapshot: RiskPartitionSnapshot, topology: PartitionTopology): RiskPartitionCore {
    assert(snapshot.version === 1, `unknown snapshot version ${snapshot.version}`);
    const index = topology.riskNames.indexOf(snapshot.partition);
    assert(index >= 0, `snapshot of ${snapshot.partition}, not a risk partition of this topology`);
    const core = new RiskPartitionCore(topology, index);
    core.lastSeq = snapshot.lastSeq;
    core.lastTimestampMs = snapshot.lastTimestampMs;
    core.risk.importState(snapshot.risk);
    core.marks.importState(snapshot.marks);
    return core;
  }

  /** A hash of the accounts, positions, held orders, sequence numbers and hand-off marks. */
  stateHash(): string {
    const hasher = new StateHasher();
    const risk = this.risk;
    hasher.string(this.partition).number(this.lastSeq).number(risk.orderIdNextValue).number(risk.netTransfersMinor);
    for (const market of risk.markets.values()) hasher.number(market.marketId).string(market.status);
    risk.hashAccounts(hasher);
    for (const order of risk.orders.values()) hasher.number(order.orderId).number(order.accountId).number(order.remainingMinor);
    this.marks.hash(hasher);
    return hasher.digest();
  }

  /** Money is conserved within the partition: its balances (its house share included) sum to its transfers. */
  checkInvariants(): void {
    let balances = 0;
    for (const account of this.risk.accounts.values()) {
      balances += account.balanceMinor;
      let exposure = 0;
      for (const position of account.positions.values()) exposure += position.exposureMinor;
      assert(account.exposureMinor === exposure, `account ${account.accountId} exposure is the sum over its markets`);
    }
    assert(balances === this.risk.netTransfersMinor, `${this.partition}: balances sum to its deposits minus withdrawals (${balances} vs ${this.risk.netTransfersMinor})`);
  }
}
