// Risk and matching partition cores wired together in memory, each with its journal as an array of
// envelopes: outside commands are routed by the topology, and every hand-off a core produces waits
// in a queue per (source, destination) until the test delivers it (in order, or re-delivers an
// earlier one). The pure model of the partitioned engine that the runtime's tests compare against.

import { assert, type Command, type EngineEvent } from '@playchacha/protocol';
import { MatchingPartitionCore } from '../core/matching-partition-core.js';
import { PartitionTopology, routeCommand, type PartitionTopologyConfig } from '../core/partition-topology.js';
import { RiskPartitionCore, type PartitionApplied, type PartitionEnvelope } from '../core/risk-partition-core.js';
import type { HandOff } from '../core/stage-messages.js';

export type PartitionCore = RiskPartitionCore | MatchingPartitionCore;

export class PartitionCluster {
  readonly topology: PartitionTopology;
  readonly cores = new Map<string, PartitionCore>();
  readonly journals = new Map<string, PartitionEnvelope[]>();
  /** Hand-offs not yet delivered, per "source→destination", oldest first. */
  readonly queues = new Map<string, HandOff[]>();
  /** Every hand-off ever produced, per "source→destination" (for re-delivery). */
  readonly produced = new Map<string, HandOff[]>();
  /** Called after every apply with the partition and its result. */
  onApplied: ((partition: string, applied: PartitionApplied) => void) | null = null;

  constructor(config: PartitionTopologyConfig) {
    this.topology = new PartitionTopology(config);
    this.topology.riskNames.forEach((name, index) => this.cores.set(name, new RiskPartitionCore(this.topology, index)));
    this.topology.matchingNames.forEach((name, index) => this.cores.set(name, new MatchingPartitionCore(this.topology, index)));
    for (const name of this.cores.keys()) this.journals.set(name, []);
  }

  risk(index: number): RiskPartitionCore {
    return this.cores.get(this.topology.riskNames[index] as string) as RiskPartitionCore;
  }

  matching(index: number): MatchingPartitionCore {
    return this.cores.get(this.topology.matchingNames[index] as string) as MatchingPartitionCore;
  }

  /** Journals an outside command in the partitions it is routed to; returns the events. */
  submit(command: Command, timestampMs: number): EngineEvent[] {
    const events: EngineEvent[] = [];
    for (const partition of routeCommand(this.topology, command)) events.push(...this.journal(partition, command, timestampMs).events);
    return events;
  }

  /** Journals a command (outside, or a hand-off) in one partition and applies it. */
  journal(partition: string, command: Command | HandOff, timestampMs: number): PartitionApplied {
    const core = this.cores.get(partition);
    const journal = this.journals.get(partition);
    assert(core !== undefined && journal !== undefined, `unknown partition ${partition}`);
    const envelope: PartitionEnvelope = { seq: journal.length + 1, timestampMs: Math.max(timestampMs, journal.at(-1)?.timestampMs ?? 0), command };
    journal.push(envelope);
    const applied = core.apply(envelope);
    for (const { destination, handOff } of applied.handOffs) {
      const key = `${partition}→${destination}`;
      this.queueOf(this.queues, key).push(handOff);
      this.queueOf(this.produced, key).push(handOff);
    }
    this.onApplied?.(partition, applied);
    return applied;
  }

  /** Delivers the oldest waiting hand-off of one queue; false when it is empty. */
  deliverNext(key: string, timestampMs: number): boolean {
    const handOff = this.queues.get(key)?.shift();
    if (handOff === undefined) return false;
    this.journal(destinationOf(key), handOff, timestampMs);
    return true;
  }

  /** Queues with hand-offs waiting, in a stable order. */
  busyQueues(): string[] {
    return [...this.queues].filter(([, queue]) => queue.length > 0).map(([key]) => key).sort();
  }

  /** Delivers hand-offs until none waits; `pick` chooses the queue (default: the first). */
  pump(timestampMs: number, pick: (busy: readonly string[]) => string = (busy) => busy[0] as string): number {
    let delivered = 0;
    for (let busy = this.busyQueues(); busy.length > 0; busy = this.busyQueues()) {
      this.deliverNext(pick(busy), timestampMs);
      delivered++;
    }
    return delivered;
  }

  private queueOf(map: Map<string, HandOff[]>, key: string): HandOff[] {
    let queue = map.get(key);
    if (queue === undefined) {
      queue = [];
      map.set(key, queue);
    }
    return queue;
  }
}

export function destinationOf(queueKey: string): string {
  return queueKey.slice(queueKey.indexOf('→') + 1);
}
