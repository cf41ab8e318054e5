// What a risk partition core and a matching partition core share: the journal position (seq and
// timestamp, never going back), the hand-off marks, the events of the envelope being applied, what
// it hands on to each destination partition, the dispatch of an envelope (a hand-off from another
// partition, or an outside command), and the common part of their snapshots. Pure like the cores.

import { assert, type Command, type EngineEvent, type RejectCode } from '@playchacha/protocol';
import { isObject } from './command-shape.js';
import { HandOffMarks, type HandOffMarksSnapshot } from './hand-off-marks.js';
import type { HandOff, OutgoingHandOff } from './stage-messages.js';

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

/** The part of a partition core's snapshot that every partition core has. */
export interface PartitionSnapshotHeader {
  readonly version: 1;
  readonly partition: string;
  readonly lastSeq: number;
  readonly lastTimestampMs: number;
  readonly marks: HandOffMarksSnapshot;
}

/** `Payload` is what it hands on: approved steps (a risk partition) or market events (a matching one). */
export abstract class PartitionCoreBase<Payload> {
  protected readonly marks = new HandOffMarks();
  protected events: EngineEvent[] = [];
  private outgoing = new Map<string, Payload[]>();
  private lastSeq = 0;
  private lastTimestampMs = 0;

  constructor(readonly partition: string) {}

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

  /** Applies one journaled envelope: `run` dispatches it (between whatever its stage does around a command). */
  protected applyEnvelope(envelope: PartitionEnvelope, run: () => void): PartitionApplied {
    assert(Number.isSafeInteger(envelope.seq) && envelope.seq > this.lastSeq, 'journal sequence numbers rise');
    assert(Number.isSafeInteger(envelope.timestampMs) && envelope.timestampMs >= this.lastTimestampMs, 'journal timestamps never go back');
    this.lastSeq = envelope.seq;
    this.lastTimestampMs = envelope.timestampMs;
    this.events = [];
    this.outgoing = new Map();
    run();
    const handOffs: OutgoingHandOff[] = [];
    for (const [destination, payload] of [...this.outgoing].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const previousSourceSeq = this.marks.send(destination, envelope.seq);
      handOffs.push({ destination, handOff: { type: 'HandOff', source: this.partition, sourceSeq: envelope.seq, previousSourceSeq, ...this.handOffBody(payload) } });
    }
    return { events: this.events, handOffs };
  }

  protected dispatch(commandSeq: number, command: unknown): void {
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

  /** What this envelope hands on to `destination` so far. */
  protected outgoingFor(destination: string): Payload[] {
    let payload = this.outgoing.get(destination);
    if (payload === undefined) {
      payload = [];
      this.outgoing.set(destination, payload);
    }
    return payload;
  }

  protected snapshotHeader(): PartitionSnapshotHeader {
    return { version: 1, partition: this.partition, lastSeq: this.lastSeq, lastTimestampMs: this.lastTimestampMs, marks: this.marks.exportState() };
  }

  protected restoreHeader(snapshot: PartitionSnapshotHeader): void {
    assert(snapshot.version === 1, `unknown snapshot version ${snapshot.version}`);
    assert(snapshot.partition === this.partition, `snapshot of ${snapshot.partition}, not of ${this.partition}`);
    this.lastSeq = snapshot.lastSeq;
    this.lastTimestampMs = snapshot.lastTimestampMs;
    this.marks.importState(snapshot.marks);
  }

  private commandRejected(commandSeq: number, commandType: string, code: RejectCode): void {
    this.events.push({ type: 'CommandRejected', commandSeq, commandType, code });
  }

  /** The hand-off's body for what this envelope hands on to one destination. */
  protected abstract handOffBody(payload: Payload[]): Pick<HandOff, 'steps' | 'events'>;
  /** Applies a hand-off from another partition (at most once: the marks). */
  protected abstract receive(handOff: HandOff): void;
  /** Applies an outside command; a reject code or null. */
  protected abstract route(commandSeq: number, command: Command): RejectCode | null;
}
