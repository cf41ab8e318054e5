// The partitioned engine in one process: N risk partitions and M matching partitions, each an
// EnginePartition (single writer, its own journal, lease, snapshots and standby machinery) running
// a risk or matching partition core, each with a HandOffForwarder delivering its hand-offs to the
// others through their leaders. Outside commands are routed by the topology (routeCommand). Each
// partition's storage comes from `storage` (file or Redis adapters alike).

import type { Logger } from 'pino';
import type { Command, EngineEvent } from '@playchacha/protocol';
import { MatchingPartitionCore, type MatchingPartitionSnapshot } from '../core/matching-partition-core.js';
import { PartitionTopology, routeCommand, type PartitionTopologyConfig } from '../core/partition-topology.js';
import { RiskPartitionCore, type RiskPartitionSnapshot } from '../core/risk-partition-core.js';
import type { HandOff } from '../core/stage-messages.js';
import { HandOffForwarder } from './hand-off-forwarder.js';
import type { Journal, Leadership } from './journal.js';
import { EnginePartition, NotLeaderError, type SnapshotStore } from './partition.js';

export type PartitionCoreOf = RiskPartitionCore | MatchingPartitionCore;

export interface PartitionStorage {
  readonly journal: Journal;
  readonly leadership: Leadership;
  readonly snapshots: SnapshotStore;
  close(): Promise<void>;
}

export interface PartitionedEngineOptions {
  readonly topology: PartitionTopologyConfig;
  /** Opens the storage of one partition (called again when the partition is restarted). */
  readonly storage: (partition: string) => Promise<PartitionStorage>;
  readonly logger: Logger;
  readonly snapshotEveryCommands?: number;
  readonly snapshotEveryMs?: number;
  readonly standbyPollMs?: number;
  readonly now?: () => number;
}

interface Running {
  readonly partition: EnginePartition<PartitionCoreOf>;
  readonly forwarder: HandOffForwarder;
  readonly storage: PartitionStorage;
}

export class PartitionedEngine {
  readonly topology: PartitionTopology;
  /** Per partition, its instances: the one that leads and any hot standbys. */
  private readonly running = new Map<string, Running[]>();
  private readonly halted: string[] = [];

  constructor(private readonly options: PartitionedEngineOptions) {
    this.topology = new PartitionTopology(options.topology);
  }

  get names(): readonly string[] {
    return [...this.topology.riskNames, ...this.topology.matchingNames];
  }

  /** The reasons of partitions that halted (empty while all is well). */
  get halts(): readonly string[] {
    return this.halted;
  }

  /** The instance of a partition that leads (else the first one running). */
  partition(name: string): EnginePartition<PartitionCoreOf> {
    return this.instance(name).partition;
  }

  forwarder(name: string): HandOffForwarder {
    return this.instance(name).forwarder;
  }

  private instance(name: string): Running {
    const instances = this.running.get(name) ?? [];
    const running = instances.find((candidate) => candidate.partition.role === 'leader') ?? instances[0];
    if (running === undefined) throw new NotLeaderError(`partition ${name} is not running`);
    return running;
  }

  /** Starts every partition and waits until each leads. */
  async start(timeoutMs = 10_000): Promise<void> {
    for (const name of this.names) await this.startPartition(name);
    await this.untilLeading(this.names, timeoutMs);
  }

  /**
   * Starts an instance of one partition over its storage: snapshot, journal replay, then it tails
   * the journal as a hot standby until it holds the partition's lease and leads.
   */
  async startPartition(name: string): Promise<void> {
    const storage = await this.options.storage(name);
    const riskIndex = this.topology.riskNames.indexOf(name);
    const matchingIndex = this.topology.matchingNames.indexOf(name);
    const topology = this.topology;
    const forwarder = new HandOffForwarder({
      source: name,
      destination: (destination) => ({
        deliver: async (handOff: HandOff) => {
          await this.partition(destination).submit(handOff);
        },
      }),
      logger: this.options.logger,
    });
    const partition = new EnginePartition<PartitionCoreOf>({
      partition: name,
      journal: storage.journal,
      leadership: storage.leadership,
      snapshots: storage.snapshots,
      logger: this.options.logger,
      outbox: forwarder,
      createCore: () => (riskIndex >= 0 ? new RiskPartitionCore(topology, riskIndex) : new MatchingPartitionCore(topology, matchingIndex)),
      restoreCore: (snapshot) =>
        riskIndex >= 0
          ? RiskPartitionCore.fromSnapshot(snapshot as RiskPartitionSnapshot, topology)
          : MatchingPartitionCore.fromSnapshot(snapshot as MatchingPartitionSnapshot, topology),
      ...(this.options.snapshotEveryCommands === undefined ? {} : { snapshotEveryCommands: this.options.snapshotEveryCommands }),
      ...(this.options.snapshotEveryMs === undefined ? {} : { snapshotEveryMs: this.options.snapshotEveryMs }),
      ...(this.options.standbyPollMs === undefined ? {} : { standbyPollMs: this.options.standbyPollMs }),
      ...(this.options.now === undefined ? {} : { now: this.options.now }),
      onHalt: (reason) => this.halted.push(`${name}: ${reason}`),
    });
    const instances = this.running.get(name) ?? [];
    instances.push({ partition, forwarder, storage });
    this.running.set(name, instances);
    await partition.start();
  }

  /** Stops every instance of one partition (the leader hands its lease back) and closes their storage. */
  async stopPartition(name: string): Promise<void> {
    const instances = this.running.get(name) ?? [];
    this.running.delete(name);
    for (const running of instances) {
      await running.partition.stop();
      await running.storage.close();
    }
  }

  /**
   * Crashes the leading instance of a partition: its storage is closed under it first, so it
   * neither writes again nor hands its lease back; a standby takes over once the lease lapses.
   */
  async crashLeader(name: string): Promise<void> {
    const instances = this.running.get(name) ?? [];
    const leader = instances.find((candidate) => candidate.partition.role === 'leader');
    if (leader === undefined) throw new Error(`partition ${name} has no leader`);
    instances.splice(instances.indexOf(leader), 1);
    await leader.storage.close();
    await leader.partition.stop();
  }

  async untilLeading(names: readonly string[], timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (names.every((name) => (this.running.get(name) ?? []).some((running) => running.partition.role === 'leader'))) return;
      if (this.halted.length > 0) throw new Error(`partition halted: ${this.halted.join('; ')}`);
      if (Date.now() > deadline) throw new Error(`partitions did not lead within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  /**
   * Submits an outside command to the partitions it is routed to; resolves with its events once
   * durable there (what it hands on follows asynchronously).
   */
  async submit(command: Command): Promise<EngineEvent[]> {
    const events: EngineEvent[] = [];
    for (const name of routeCommand(this.topology, command)) events.push(...(await this.partition(name).submit(command)));
    return events;
  }

  /** Waits until every running partition's forwarder has nothing left to deliver. */
  async settled(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietRounds = 0;
    while (quietRounds < 3) {
      if (this.halted.length > 0) throw new Error(`partition halted: ${this.halted.join('; ')}`);
      if (Date.now() > deadline) throw new Error(`hand-offs still waiting after ${timeoutMs} ms`);
      const leaders = [...this.running.keys()].map((name) => this.instance(name));
      const waiting = leaders.reduce((sum, running) => sum + (running.partition.role === 'leader' ? running.forwarder.waiting : 0), 0);
      quietRounds = waiting === 0 ? quietRounds + 1 : 0;
      await sleep(5);
    }
  }

  async stop(): Promise<void> {
    for (const name of [...this.running.keys()]) await this.stopPartition(name);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
