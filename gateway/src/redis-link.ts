// EngineLink to engine processes elsewhere, through Redis only: commands go to the partition's
// inbox and are answered from its events stream (EngineClient), whichever instance leads; the
// state the read models follow comes from a read-only replica in this process that restores the
// newest snapshot and tails the journal (an EnginePartition that never tries for the lease). A
// command's answer is handed back only once the replica has applied its seq, so a caller that
// hears "accepted" finds the order in the read models, exactly as with the in-process link. The
// replica and the wait for an applied seq serve partitioned-link.ts too (a replica per partition).

import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Command, EngineEvent } from '@playchacha/protocol';
import type { ExchangeCore } from '@playchacha/engine';
import { EngineClient } from '../../engine/src/io/engine-client.js';
import { EnginePartition, type PartitionCore, type PartitionOptions } from '../../engine/src/io/partition.js';
import { connectJournalRedis, RedisJournal, RedisLeadership } from '../../engine/src/io/redis-journal.js';
import { RedisSnapshotStore } from '../../engine/src/io/snapshot-stores.js';
import type { EngineLink } from './engine-link.js';
import { PartitionLink } from './partition-link.js';

export interface RedisLinkOptions {
  readonly redisUrl: string;
  readonly partition: string;
  readonly logger: Logger;
  /** How often the replica polls the journal (ms). */
  readonly pollMs?: number;
  /** How long a command may wait for its answer, and then for the replica to apply it (ms). */
  readonly answerTimeoutMs?: number;
}

export interface RedisLinkHandle {
  readonly link: EngineLink;
  /** The read-only replica (its appliedSeq, core and role). */
  readonly replica: EnginePartition;
  close(): Promise<void>;
}

/** Thrown when the replica did not reach an answered command's seq in time. */
export class ReplicaBehindError extends Error {
  override name = 'ReplicaBehindError';
}

export async function connectRedisLink(options: RedisLinkOptions): Promise<RedisLinkHandle> {
  const answerTimeoutMs = options.answerTimeoutMs ?? 10_000;
  const connections = await connectReplicaRedis(options.redisUrl, options.logger);
  const writer = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
  const reader = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
  for (const client of [writer, reader]) client.on('error', (error) => options.logger.warn({ err: error }, 'redis'));
  const replica = await startReplica(connections, options.partition, options.logger, options.pollMs);
  const client = new EngineClient(writer, reader, options.partition, answerTimeoutMs);
  await client.start();

  let applied: AppliedSeqWaiters | null = null;
  const submit = async (command: Command, traceparent: string | null): Promise<readonly EngineEvent[]> => {
    const answer = await client.submitForAnswer(command, traceparent);
    await applied?.until(answer.seq);
    return answer.events;
  };
  const link = new PartitionLink(replica, submit);
  // Made after the link's own listener: the read models have the frame when a waiter wakes.
  applied = new AppliedSeqWaiters(replica, options.partition, answerTimeoutMs);
  return {
    link,
    replica,
    async close() {
      await client.close();
      await replica.stop();
      for (const connection of [writer, reader]) connection.disconnect();
      connections.close();
    },
  };
}

/** The connections replicas share: one for the journal and the lease, one for snapshots. */
export interface ReplicaRedis {
  readonly journal: Redis;
  readonly plain: Redis;
  close(): void;
}

export async function connectReplicaRedis(redisUrl: string, logger: Logger): Promise<ReplicaRedis> {
  const journal = await connectJournalRedis(redisUrl);
  const plain = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  plain.on('error', (error) => logger.warn({ err: error }, 'redis'));
  return {
    journal,
    plain,
    close() {
      journal.disconnect();
      plain.disconnect();
    },
  };
}

/**
 * Starts a read-only replica of a partition (restored from its newest snapshot and journal,
 * tailing it, never taking the lease); `cores` chooses a risk or matching partition core.
 */
export async function startReplica<C extends PartitionCore = ExchangeCore>(
  redis: ReplicaRedis,
  partition: string,
  logger: Logger,
  pollMs = 5,
  cores: Pick<PartitionOptions<C>, 'createCore' | 'restoreCore' | 'outbox'> = {},
): Promise<EnginePartition<C>> {
  const replica = new EnginePartition<C>({
    partition,
    journal: new RedisJournal(redis.journal, partition),
    leadership: new RedisLeadership(redis.journal, partition, { leaseMs: 1_000 }),
    snapshots: new RedisSnapshotStore(redis.plain, partition),
    logger,
    standbyPollMs: pollMs,
    follower: true,
    onHalt: (reason) => logger.fatal({ partition, reason }, 'engine replica halted'),
    ...cores,
  });
  await replica.start();
  return replica;
}

/**
 * Waits until a replica has applied a seq. Make it after the replica's other frame listeners:
 * when a wait ends, they have seen the frame.
 */
export class AppliedSeqWaiters {
  private readonly waiters = new Set<{ seq: number; resolve: () => void }>();

  constructor(
    private readonly replica: EnginePartition<PartitionCore>,
    private readonly partition: string,
    private readonly timeoutMs: number,
  ) {
    replica.onFrame((frame) => this.wake(frame.lastSeq));
    replica.onReset((seq) => this.wake(seq));
  }

  until(seq: number): Promise<void> {
    if (this.replica.appliedSeq >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { seq, resolve: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new ReplicaBehindError(`the replica of ${this.partition} is at seq ${this.replica.appliedSeq}, not ${seq}, after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private wake(appliedSeq: number): void {
    for (const waiter of this.waiters) {
      if (waiter.seq <= appliedSeq) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}
