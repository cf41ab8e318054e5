// Chooses the engine's adapters: Redis (journal, lease, snapshots, inbox, events) when REDIS_URL
// is set, otherwise files under DATA_DIR for the embedded default (journal, snapshots and an
// events log).

import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { assert } from '@playchacha/protocol';
import type { EngineConfig } from './engine-config.js';
import { FileEventLog } from './file-event-log.js';
import { FileJournal, FileLeadership } from './file-journal.js';
import type { Journal, Leadership } from './journal.js';
import type { EngineMetrics } from './metrics.js';
import { MatchingPartitionCore, type MatchingPartitionSnapshot } from '../core/matching-partition-core.js';
import { PartitionTopology } from '../core/partition-topology.js';
import { RiskPartitionCore, type RiskPartitionSnapshot } from '../core/risk-partition-core.js';
import { HandOffForwarder } from './hand-off-forwarder.js';
import { EnginePartition, type CommandInbox, type EventSink, type HandOffInbox, type PartitionOptions, type SnapshotStore } from './partition.js';
import type { PartitionCoreOf } from './partitioned-engine.js';
import { connectJournalRedis, RedisJournal, RedisLeadership } from './redis-journal.js';
import { eventsKey, RedisEventSink, RedisHandOffDestination, RedisHandOffInbox, RedisInbox } from './redis-streams.js';
import { FileSnapshotStore, RedisSnapshotStore } from './snapshot-stores.js';
import type { Tracer } from './tracing.js';

export interface EngineStorage {
  readonly journal: Journal;
  readonly leadership: Leadership;
  readonly snapshots: SnapshotStore;
  readonly inbox?: CommandInbox;
  /** A risk or matching partition's hand-off stream, and the connection it appends hand-offs to others with. */
  readonly handOffs?: { readonly inbox: HandOffInbox; readonly redis: Redis };
  readonly sink?: EventSink;
  /** On the embedded default: the events log the sink writes, for the in-process settlement. */
  readonly eventLog?: FileEventLog;
  close(): Promise<void>;
}

/**
 * `eventLog` (files only, default true): keep the events log for an in-process settlement worker.
 * A process with nobody to read and trim it (the standalone engine) passes false.
 */
export async function openStorage(config: EngineConfig, logger: Logger, options: { eventLog?: boolean } = {}): Promise<EngineStorage> {
  if (config.redisUrl === null) {
    const journal = await FileJournal.open(join(config.dataDir, 'journal'), config.partition, {
      onRepair: (repair) => logger.warn(repair, 'cut a torn journal tail'),
    });
    const eventLog =
      options.eventLog === false
        ? null
        : await FileEventLog.open(join(config.dataDir, 'events'), config.partition, (repair) => logger.warn(repair, 'cut a torn events-log tail'));
    return {
      journal,
      leadership: new FileLeadership(join(config.dataDir, 'journal'), config.partition, { leaseMs: config.leaseMs }),
      snapshots: new FileSnapshotStore(join(config.dataDir, 'snapshots', config.partition)),
      ...(eventLog === null ? {} : { sink: eventLog, eventLog }),
      close: async () => {
        await journal.close();
        await eventLog?.close();
      },
    };
  }
  // The journal and lease never queue commands while Redis is away; the streams may.
  const journalRedis = await connectJournalRedis(config.redisUrl);
  const streamsRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  const inboxRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  const handOffRedis = config.role === 'combined' ? null : new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  for (const client of [streamsRedis, inboxRedis, handOffRedis]) client?.on('error', (error) => logger.warn({ err: error }, 'redis'));
  return {
    // On a single node the journal publishes each frame's events in the frame's own write; with
    // replicas the leader publishes them after WAIT, through the sink.
    journal: new RedisJournal(journalRedis, config.partition, {
      replicas: config.redisReplicas,
      ...(config.redisReplicas > 0 ? {} : { eventsStream: eventsKey(config.partition) }),
    }),
    leadership: new RedisLeadership(journalRedis, config.partition, { leaseMs: config.leaseMs }),
    snapshots: new RedisSnapshotStore(streamsRedis, config.partition),
    inbox: new RedisInbox(inboxRedis, config.partition),
    ...(handOffRedis === null ? {} : { handOffs: { inbox: new RedisHandOffInbox(handOffRedis, config.partition, streamsRedis), redis: streamsRedis } }),
    sink: new RedisEventSink(streamsRedis, config.partition),
    close: async () => {
      journalRedis.disconnect();
      streamsRedis.disconnect();
      inboxRedis.disconnect();
      handOffRedis?.disconnect();
    },
  };
}

/**
 * The partition an engine process (or a gateway hosting one) runs over its storage; a halt exits
 * the process, so that a supervisor restarts it from snapshot and journal.
 */
export function processPartition(config: EngineConfig, storage: EngineStorage, logger: Logger, metrics: EngineMetrics, tracer: Tracer | null = null): EnginePartition {
  return new EnginePartition(processPartitionOptions(config, storage, logger, metrics, tracer));
}

/**
 * A risk or matching partition of a partitioned engine: its core, the hand-off stream it journals
 * hand-offs from, and a forwarder that appends its own hand-offs to the destinations' streams.
 */
export function processPartitionOfTopology(config: EngineConfig, storage: EngineStorage, logger: Logger, metrics: EngineMetrics, tracer: Tracer | null = null): EnginePartition<PartitionCoreOf> {
  assert(config.topology !== null && config.role !== 'combined', 'a partitioned role has a topology');
  const handOffs = storage.handOffs;
  assert(handOffs !== undefined, 'a partitioned role has hand-off streams');
  const topology = new PartitionTopology(config.topology);
  const index = (config.role === 'risk' ? topology.riskNames : topology.matchingNames).indexOf(config.partition);
  assert(index >= 0, 'the partition is in the topology');
  const destinations = new Map<string, RedisHandOffDestination>();
  const forwarder = new HandOffForwarder({
    source: config.partition,
    destination: (name) => {
      let destination = destinations.get(name);
      if (destination === undefined) {
        destination = new RedisHandOffDestination(handOffs.redis, name);
        destinations.set(name, destination);
      }
      return destination;
    },
    logger,
  });
  const options: PartitionOptions<PartitionCoreOf> = {
    ...processPartitionOptions(config, storage, logger, metrics, tracer),
    handOffInbox: handOffs.inbox,
    outbox: forwarder,
    createCore: () => (config.role === 'risk' ? new RiskPartitionCore(topology, index) : new MatchingPartitionCore(topology, index)),
    restoreCore: (snapshot) =>
      config.role === 'risk'
        ? RiskPartitionCore.fromSnapshot(snapshot as RiskPartitionSnapshot, topology)
        : MatchingPartitionCore.fromSnapshot(snapshot as MatchingPartitionSnapshot, topology),
  };
  return new EnginePartition<PartitionCoreOf>(options);
}

type CommonPartitionOptions = Omit<PartitionOptions, 'createCore' | 'restoreCore' | 'outbox' | 'handOffInbox'>;

function processPartitionOptions(config: EngineConfig, storage: EngineStorage, logger: Logger, metrics: EngineMetrics, tracer: Tracer | null): CommonPartitionOptions {
  return {
    partition: config.partition,
    journal: storage.journal,
    leadership: storage.leadership,
    snapshots: storage.snapshots,
    ...(storage.inbox === undefined ? {} : { inbox: storage.inbox }),
    ...(storage.sink === undefined ? {} : { sink: storage.sink }),
    logger,
    metrics,
    snapshotEveryCommands: config.snapshotEveryCommands,
    snapshotEveryMs: config.snapshotEveryMs,
    standbyPollMs: config.standbyPollMs,
    tracer,
    onHalt: (reason) => {
      logger.fatal({ reason }, 'exiting: the partition halted');
      setTimeout(() => process.exit(3), 50);
    },
  };
}
