// A real engine partition in process over Redis (journal, lease, snapshots, events stream), for
// driving the settlement worker in tests.

import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Command, EngineEvent } from '@playchacha/protocol';
import { EnginePartition } from '../../../engine/src/io/partition.js';
import { connectJournalRedis, RedisJournal, RedisLeadership } from '../../../engine/src/io/redis-journal.js';
import { RedisEventSink, RedisInbox } from '../../../engine/src/io/redis-streams.js';
import { RedisSnapshotStore } from '../../../engine/src/io/snapshot-stores.js';

export interface EngineHarness {
  readonly partition: EnginePartition;
  submit(command: Command): Promise<readonly EngineEvent[]>;
  /** Submits every command without waiting in between (they group-commit into shared frames). */
  submitAll(commands: readonly Command[]): Promise<Array<readonly EngineEvent[]>>;
  stop(): Promise<void>;
}

/** With `inbox`, the partition also takes commands from its Redis inbox (for an EngineClient). */
export async function startEngine(redisUrl: string, partitionName: string, options: { inbox?: boolean } = {}): Promise<EngineHarness> {
  const journalRedis = await connectJournalRedis(redisUrl);
  const plain = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  plain.on('error', () => undefined);
  const partition = new EnginePartition({
    partition: partitionName,
    journal: new RedisJournal(journalRedis, partitionName),
    leadership: new RedisLeadership(journalRedis, partitionName, { leaseMs: 5_000 }),
    snapshots: new RedisSnapshotStore(plain, partitionName),
    sink: new RedisEventSink(plain, partitionName),
    ...(options.inbox === true ? { inbox: new RedisInbox(new Redis(redisUrl, { maxRetriesPerRequest: 2 }), partitionName) } : {}),
    logger: pino({ level: 'silent' }),
    standbyPollMs: 5,
  });
  await partition.start();
  const deadline = Date.now() + 15_000;
  while (partition.role !== 'leader') {
    if (Date.now() > deadline) throw new Error(`partition ${partitionName} did not lead`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return {
    partition,
    submit: (command) => partition.submit(command),
    submitAll: (commands) => Promise.all(commands.map((command) => partition.submit(command))),
    stop: async () => {
      await partition.stop();
      journalRedis.disconnect();
      plain.disconnect();
    },
  };
}
