// EngineLink to engine processes elsewhere, through Redis only: commands go to the partition's
// inbox and are answered from its events stream (EngineClient), whichever instance leads; the
// state the read models follow comes from a read-only replica in this process that restores the
// newest snapshot and tails the journal (an EnginePartition that never tries for the lease). A
// command's answer is handed back only once the replica has applied its seq, so a caller that
// hears "accepted" finds the order in the read models, exactly as with the in-process link.

import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Command, EngineEvent } from '@playchacha/protocol';
import { EngineClient } from '../../engine/src/io/engine-client.js';
import { EnginePartition } from '../../engine/src/io/partition.js';
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
  const journalRedis = await connectJournalRedis(options.redisUrl);
  const plain = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
  const writer = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
  const reader = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
  for (const client of [plain, writer, reader]) client.on('error', (error) => options.logger.warn({ err: error }, 'redis'));
  const replica = new EnginePartition({
    partition: options.partition,
    journal: new RedisJournal(journalRedis, options.partition),
    leadership: new RedisLeadership(journalRedis, options.partition, { leaseMs: 1_000 }),
    snapshots: new RedisSnapshotStore(plain, options.partition),
    logger: options.logger,
    standbyPollMs: options.pollMs ?? 5,
    follower: true,
    onHalt: (reason) => options.logger.fatal({ partition: options.partition, reason }, 'engine replica halted'),
  });
  await replica.start();
  const client = new EngineClient(writer, reader, options.partition, answerTimeoutMs);
  await client.start();

  const waiters = new Set<{ seq: number; resolve: () => void }>();
  const applied = (seq: number): Promise<void> => {
    if (replica.appliedSeq >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { seq, resolve: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new ReplicaBehindError(`the replica of ${options.partition} is at seq ${replica.appliedSeq}, not ${seq}, after ${answerTimeoutMs} ms`));
      }, answerTimeoutMs);
      waiters.add(waiter);
    });
  };
  const submit = async (command: Command, traceparent: string | null): Promise<readonly EngineEvent[]> => {
    const answer = await client.submitForAnswer(command, traceparent);
    await applied(answer.seq);
    return answer.events;
  };
  const link = new PartitionLink(replica, submit);
  // Registered after the link's own listener: the read models have the frame when a waiter wakes.
  replica.onFrame((frame) => {
    for (const waiter of waiters) {
      if (waiter.seq <= frame.lastSeq) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  });
  return {
    link,
    replica,
    async close() {
      await client.close();
      await replica.stop();
      for (const connection of [journalRedis, plain, writer, reader]) connection.disconnect();
    },
  };
}
