// The trace context of commands through the engine's real adapters (file and Redis): the
// traceparent a command was submitted with is journaled beside its envelope and published beside
// its events; a replica restoring the journal and a standby tailing it see it; a journal written
// without traceparents (as before tracing) restores the same; and the envelopes and the state hash
// are exactly those of the same commands submitted without any (the core never sees them).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '@playchacha/protocol';
import { sharedRedis, type SharedServer } from '../../../scripts/test-context.js';
import { FileJournal, FileLeadership } from './file-journal.js';
import { decodeFrameBody, type EventFrame } from './frame-codec.js';
import type { Journal, JournalFrame, Leadership } from './journal.js';
import { EnginePartition, type SnapshotStore } from './partition.js';
import { connectJournalRedis, RedisJournal, RedisLeadership } from './redis-journal.js';
import { readEventFrames, RedisEventSink, RedisInbox, sendToInbox } from './redis-streams.js';
import { FileSnapshotStore, RedisSnapshotStore } from './snapshot-stores.js';
import { waitFor } from '../testing/wait-for.js';

const COMMANDS: readonly Command[] = [
  { type: 'OpenAccount', accountId: 1 },
  { type: 'OpenAccount', accountId: 2 },
  { type: 'Deposit', accountId: 1, transferId: 'd1', amountMinor: 100_000 },
  { type: 'Deposit', accountId: 2, transferId: 'd2', amountMinor: 100_000 },
  { type: 'CreateMarket', marketId: 7, runnerCount: 2 },
  { type: 'PlaceOrder', accountId: 1, clientOrderId: 'b1', marketId: 7, runnerIndex: 0, side: 'back', priceTicks: 99, stakeMinor: 1_000 },
  { type: 'PlaceOrder', accountId: 2, clientOrderId: 'l1', marketId: 7, runnerIndex: 0, side: 'lay', priceTicks: 99, stakeMinor: 400 },
];
/** Every other command is traced; the first three go in one frame, so a frame mixes both. */
const TRACEPARENTS: ReadonlyArray<string | null> = COMMANDS.map((_, index) =>
  index % 2 === 0 ? `00-${String(index + 1).padStart(32, 'a')}-${String(index + 1).padStart(16, 'b')}-01` : null,
);

interface Storage {
  readonly journal: Journal;
  readonly leadership: Leadership;
  readonly snapshots: SnapshotStore;
  close(): Promise<void>;
}

interface Adapter {
  readonly name: string;
  /** Storage for one partition; each call opens new handles on the same partition. */
  storage(partition: string): Promise<Storage>;
}

let redisServer: SharedServer;
let redis: Redis;
let fileRoot = '';

beforeAll(async () => {
  redisServer = await sharedRedis();
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
  fileRoot = mkdtempSync(join(tmpdir(), 'trace-context-'));
});

afterAll(async () => {
  redis?.disconnect();
  await redisServer?.release();
  if (fileRoot !== '') rmSync(fileRoot, { recursive: true, force: true });
});

const fileAdapter: Adapter = {
  name: 'file',
  async storage(partition) {
    const dir = join(fileRoot, partition);
    const journal = await FileJournal.open(join(dir, 'journal'), partition);
    return {
      journal,
      leadership: new FileLeadership(join(dir, 'journal'), partition, { leaseMs: 5_000 }),
      snapshots: new FileSnapshotStore(join(dir, 'snapshots')),
      close: () => journal.close(),
    };
  },
};

const redisAdapter: Adapter = {
  name: 'redis',
  async storage(partition) {
    const journalRedis = await connectJournalRedis(redisServer.url);
    const plain = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
    return {
      journal: new RedisJournal(journalRedis, partition),
      leadership: new RedisLeadership(journalRedis, partition, { leaseMs: 5_000 }),
      snapshots: new RedisSnapshotStore(plain, partition),
      close: async () => {
        journalRedis.disconnect();
        plain.disconnect();
      },
    };
  },
};

function partitionOver(storage: Storage, partition: string, options: { follower?: boolean; sink?: RedisEventSink; inbox?: RedisInbox } = {}): EnginePartition {
  return new EnginePartition({
    partition,
    journal: storage.journal,
    leadership: storage.leadership,
    snapshots: storage.snapshots,
    logger: pino({ level: 'silent' }),
    standbyPollMs: 5,
    now: () => 1_700_000_000_000,
    ...(options.follower === true ? { follower: true } : {}),
    ...(options.sink === undefined ? {} : { sink: options.sink }),
    ...(options.inbox === undefined ? {} : { inbox: options.inbox }),
  });
}


async function leaderOver(storage: Storage, partition: string, options: { sink?: RedisEventSink; inbox?: RedisInbox } = {}): Promise<EnginePartition> {
  const leader = partitionOver(storage, partition, options);
  await leader.start();
  await waitFor(`${partition} to lead`, () => leader.role === 'leader');
  return leader;
}

/** Submits COMMANDS: the first three in one frame, the rest one frame each. */
async function submitAll(leader: EnginePartition, traceparents: ReadonlyArray<string | null>): Promise<void> {
  await Promise.all([0, 1, 2].map((index) => leader.submit(COMMANDS[index] as Command, traceparents[index] ?? null)));
  for (let index = 3; index < COMMANDS.length; index++) await leader.submit(COMMANDS[index] as Command, traceparents[index] ?? null);
}

async function journalFrames(journal: Journal): Promise<JournalFrame[]> {
  return journal.read(1, 1_000);
}

/** Per seq, the traceparent a list of frames (journal bodies or event frames) carries. */
function traceparentsBySeq(frames: ReadonlyArray<{ firstSeq: number; traceparents?: ReadonlyArray<string | null> | undefined; count: number }>): Array<string | null> {
  return frames.flatMap((frame) => Array.from({ length: frame.count }, (_, index) => frame.traceparents?.[index] ?? null));
}

describe.each([fileAdapter, redisAdapter])('traceparents through the $name journal', (adapter) => {
  it('are journaled beside the envelopes, published beside the events, and change neither the envelopes nor the state', async () => {
    const traced = `trace-${adapter.name}-${randomUUID().slice(0, 8)}`;
    const untraced = `plain-${adapter.name}-${randomUUID().slice(0, 8)}`;
    const tracedStorage = await adapter.storage(traced);
    const untracedStorage = await adapter.storage(untraced);
    const leader = await leaderOver(tracedStorage, traced);
    const published: EventFrame[] = [];
    leader.onFrame((frame) => published.push(frame));
    await submitAll(leader, TRACEPARENTS);
    const plainLeader = await leaderOver(untracedStorage, untraced);
    await submitAll(plainLeader, COMMANDS.map(() => null));

    const frames = await journalFrames(tracedStorage.journal);
    const bodies = frames.map((frame) => decodeFrameBody(frame.payload));
    expect(frames[0]?.lastSeq).toBe(3);
    expect(traceparentsBySeq(frames.map((frame, index) => ({ ...frame, count: frame.lastSeq - frame.firstSeq + 1, traceparents: bodies[index]?.traceparents })))).toEqual(TRACEPARENTS);
    // A frame with no traced command carries no traceparents at all.
    expect(bodies.map((body) => body.traceparents !== undefined)).toEqual([true, false, true, false, true]);
    expect(traceparentsBySeq(published.map((frame) => ({ ...frame, count: frame.entries.length })))).toEqual(TRACEPARENTS);

    const plainBodies = (await journalFrames(untracedStorage.journal)).map((frame) => decodeFrameBody(frame.payload));
    expect(plainBodies.every((body) => !('traceparents' in body))).toBe(true);
    expect(bodies.flatMap((body) => body.envelopes)).toEqual(plainBodies.flatMap((body) => body.envelopes));
    expect(leader.core.stateHash()).toBe(plainLeader.core.stateHash());
    const hash = leader.core.stateHash();
    await leader.stop();
    await plainLeader.stop();
    await tracedStorage.close();
    await untracedStorage.close();

    // Restoring either journal (with traceparents, and without them as before tracing) gives the same state.
    for (const [name, partition] of [[traced, traced], [untraced, untraced]] as const) {
      const storage = await adapter.storage(name);
      const replica = partitionOver(storage, partition, { follower: true });
      await replica.start();
      expect(replica.appliedSeq, name).toBe(COMMANDS.length);
      expect(replica.core.stateHash(), name).toBe(hash);
      await replica.stop();
      await storage.close();
    }
  });
});

describe('traceparents through the Redis inbox and events stream', () => {
  it('a command sent to the inbox with a traceparent is published with it; one sent without, with none; a standby tailing the journal sees them', async () => {
    const partition = `inbox-${randomUUID().slice(0, 8)}`;
    const storage = await redisAdapter.storage(partition);
    const standbyStorage = await redisAdapter.storage(partition);
    const sinkRedis = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
    const inboxRedis = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
    const leader = await leaderOver(storage, partition, { sink: new RedisEventSink(sinkRedis, partition), inbox: new RedisInbox(inboxRedis, partition) });
    const follower = partitionOver(standbyStorage, partition, { follower: true });
    const followed: EventFrame[] = [];
    follower.onFrame((frame) => followed.push(frame));
    await follower.start();

    const traceparent = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`;
    const tracedId = await sendToInbox(redis, partition, { type: 'OpenAccount', accountId: 11 }, traceparent);
    const plainId = await sendToInbox(redis, partition, { type: 'OpenAccount', accountId: 12 });
    await waitFor('both commands journaled', () => leader.appliedSeq >= 2);
    await waitFor('the standby to tail them', () => follower.appliedSeq >= 2);

    const frames = await readEventFrames(redis, partition, 0, 100, 100);
    const byInboxId = new Map<string | null, string | null>();
    for (const frame of [...frames, ...followed]) {
      frame.entries.forEach((entry, index) => {
        const seen = frame.traceparents?.[index] ?? null;
        if (byInboxId.has(entry.inboxId)) expect(byInboxId.get(entry.inboxId)).toBe(seen);
        byInboxId.set(entry.inboxId, seen);
      });
    }
    expect(byInboxId.get(tracedId)).toBe(traceparent);
    expect(byInboxId.get(plainId)).toBeNull();
    expect(followed.flatMap((frame) => frame.entries.map((entry) => entry.inboxId))).toEqual([tracedId, plainId]);

    await follower.stop();
    await leader.stop();
    for (const client of [sinkRedis, inboxRedis]) client.disconnect();
    await storage.close();
    await standbyStorage.close();
  });
});
