// The partitioned engine in process over file journals: two risk and two matching partitions, each
// an EnginePartition with its own journal, lease and snapshots, hand-offs moved by forwarders.
// A seeded order flow with ample funds, each command's hand-offs delivered before the next, ends
// with the same balances, positions and books as one ExchangeCore fed the same commands; every
// partition's journal replays to its live state hash. Then a matching partition is stopped mid-run
// and started again from its snapshot and journal while orders keep arriving: nothing is lost (every
// hand-off chain ends where its source's does), nothing is applied twice, money is conserved and
// every held order is the order in the book. Last, on Redis, the leader of a matching partition
// crashes mid-run (its connections cut, its lease left to lapse) and its hot standby takes over:
// again nothing is lost and nothing applied twice.
//
//   SEED=123 npx vitest run engine/src/io/partitioned-engine.int.test.ts

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../../scripts/test-servers.js';
import { HOUSE_ACCOUNT_ID, type Command } from '@playchacha/protocol';
import { ExchangeCore } from '../core/index.js';
import { MatchingPartitionCore } from '../core/matching-partition-core.js';
import type { MatchingSnapshot } from '../core/matching-stage.js';
import { RiskPartitionCore } from '../core/risk-partition-core.js';
import { FileJournal, FileLeadership } from './file-journal.js';
import { decodeFrameBody } from './frame-codec.js';
import { PartitionedEngine, type PartitionCoreOf, type PartitionStorage } from './partitioned-engine.js';
import { connectJournalRedis, RedisJournal, RedisLeadership } from './redis-journal.js';
import { FileSnapshotStore, RedisSnapshotStore } from './snapshot-stores.js';
import { closing, opening, orderFlow } from '../testing/partitioned-flow.js';

const SEED = Number(process.env['SEED'] ?? 20_251_125);
const TOPOLOGY = { riskPartitions: 2, matchingPartitions: 2, marketPartitions: { 1: 0, 2: 1, 3: 0, 4: 1 } };
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function fileStorage(root: string): (partition: string) => Promise<PartitionStorage> {
  return async (partition) => {
    const journal = await FileJournal.open(join(root, 'journal'), partition);
    return {
      journal,
      leadership: new FileLeadership(join(root, 'journal'), partition, { leaseMs: 1_000 }),
      snapshots: new FileSnapshotStore(join(root, 'snapshots', partition)),
      close: () => journal.close(),
    };
  };
}

function engineOver(root: string, snapshotEveryCommands: number, snapshotEveryMs: number): PartitionedEngine {
  return new PartitionedEngine({
    topology: TOPOLOGY,
    storage: fileStorage(root),
    logger: pino({ level: 'silent' }),
    snapshotEveryCommands,
    snapshotEveryMs,
    standbyPollMs: 10,
  });
}

function riskCore(engine: PartitionedEngine, index: number): RiskPartitionCore {
  return engine.partition(engine.topology.riskNames[index] as string).core as RiskPartitionCore;
}

function matchingCore(engine: PartitionedEngine, index: number): MatchingPartitionCore {
  return engine.partition(engine.topology.matchingNames[index] as string).core as MatchingPartitionCore;
}

/** Books without order ids (each side numbers its own): per market, each level's orders in queue order. */
function books(snapshots: readonly MatchingSnapshot[]): unknown {
  const markets = snapshots.flatMap((snapshot) => snapshot.markets);
  return markets
    .map((market) => ({
      marketId: market.marketId,
      status: market.status,
      resting: market.resting.map((row) => row.slice(1, 9)),
    }))
    .sort((a, b) => a.marketId - b.marketId);
}

function accounts(views: ReadonlyArray<{ accountId: number; balanceMinor: number; exposureMinor: number }>): unknown {
  return views
    .filter((view) => view.accountId !== HOUSE_ACCOUNT_ID)
    .map(({ accountId, balanceMinor, exposureMinor }) => ({ accountId, balanceMinor, exposureMinor }))
    .sort((a, b) => a.accountId - b.accountId);
}

function clusterAccounts(engine: PartitionedEngine): { accounts: unknown; houseMinor: number } {
  const views: Array<{ accountId: number; balanceMinor: number; exposureMinor: number }> = [];
  let houseMinor = 0;
  for (let index = 0; index < TOPOLOGY.riskPartitions; index++) {
    for (const account of riskCore(engine, index).risk.accounts.values()) {
      if (account.accountId === HOUSE_ACCOUNT_ID) houseMinor += account.balanceMinor;
      else views.push(account);
    }
  }
  return { accounts: accounts(views), houseMinor };
}

function checkConsistent(engine: PartitionedEngine): void {
  // Money is conserved in every risk partition.
  for (let index = 0; index < TOPOLOGY.riskPartitions; index++) riskCore(engine, index).checkInvariants();
  // Every held order is open in its book with the same remainder, and the other way round.
  const open = new Map<number, string>();
  for (let index = 0; index < TOPOLOGY.matchingPartitions; index++) {
    const matching = matchingCore(engine, index).matching;
    matching.slotOfOrder.forEach((orderId, slot) => open.set(orderId, `${matching.pool.accountId[slot]}:${matching.pool.remainingMinor[slot]}`));
  }
  const held = new Map<number, string>();
  for (let index = 0; index < TOPOLOGY.riskPartitions; index++) {
    for (const order of riskCore(engine, index).risk.orders.values()) held.set(order.orderId, `${order.accountId}:${order.remainingMinor}`);
  }
  expect([...held].sort((a, b) => a[0] - b[0])).toEqual([...open].sort((a, b) => a[0] - b[0]));
  // Every hand-off chain ends where its source's does: nothing sent was lost.
  for (const source of engine.names) {
    for (const [destination, sentSeq] of engine.partition(source).core.snapshot().marks.sent) {
      expect(engine.partition(destination).core.appliedFrom(source), `${source} → ${destination}`).toBe(sentSeq);
    }
  }
}

/** The state without the journal position (a re-delivered hand-off is journaled, and changes nothing else). */
function stateOf(core: PartitionCoreOf): string {
  return JSON.stringify({ ...core.snapshot(), lastSeq: 0, lastTimestampMs: 0 });
}

async function replayedHash(root: string, engine: PartitionedEngine, name: string): Promise<string> {
  const journal = await FileJournal.open(join(root, 'journal'), name);
  try {
    const riskIndex = engine.topology.riskNames.indexOf(name);
    const core: PartitionCoreOf = riskIndex >= 0 ? new RiskPartitionCore(engine.topology, riskIndex) : new MatchingPartitionCore(engine.topology, engine.topology.matchingNames.indexOf(name));
    expect(await journal.firstSeq()).toBe(1);
    for (let from = 1; ; ) {
      const frames = await journal.read(from, 256);
      if (frames.length === 0) break;
      for (const frame of frames) {
        for (const envelope of decodeFrameBody(frame.payload).envelopes) core.apply(envelope);
        from = frame.lastSeq + 1;
      }
    }
    return core.stateHash();
  } finally {
    await journal.close();
  }
}

describe('partitioned engine (2 risk + 2 matching) on file journals', () => {
  it(`seed ${SEED}: ends like one ExchangeCore; every journal replays to its partition's state`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'partitioned-'));
    dirs.push(root);
    const engine = engineOver(root, 1_000_000, 3_600_000);
    const reference = new ExchangeCore();
    let seq = 0;
    try {
      await engine.start();
      for (const command of [...opening(), ...orderFlow(SEED, 240), ...closing()]) {
        reference.apply({ seq: ++seq, timestampMs: seq, command });
        await engine.submit(command);
        await engine.settled();
      }
      expect(engine.halts).toEqual([]);
      checkConsistent(engine);
      const cluster = clusterAccounts(engine);
      expect(cluster.accounts).toEqual(accounts(reference.accounts()));
      expect(cluster.houseMinor).toBe(reference.account(HOUSE_ACCOUNT_ID)?.balanceMinor);
      expect(books([matchingCore(engine, 0).matching.exportState(), matchingCore(engine, 1).matching.exportState()])).toEqual(books([reference.matching.exportState()]));
      const hashes = new Map(engine.names.map((name) => [name, engine.partition(name).core.stateHash()]));
      await engine.stop();
      for (const name of engine.names) expect(await replayedHash(root, engine, name), name).toBe(hashes.get(name));
    } finally {
      await engine.stop();
    }
  }, 120_000);

  it(`seed ${SEED}: a matching partition stopped mid-run and restarted from snapshot + journal loses nothing and applies nothing twice`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'partitioned-'));
    dirs.push(root);
    const engine = engineOver(root, 25, 200);
    const flow = orderFlow(SEED + 1, 300);
    const down = engine.topology.matchingNames[1] as string;
    try {
      await engine.start();
      for (const command of opening()) await engine.submit(command);
      await engine.settled();
      for (let i = 0; i < flow.length; i++) {
        if (i === 100) {
          await engine.settled();
          await engine.partition(down).snapshotNow();
          await engine.stopPartition(down);
        }
        if (i === 200) {
          expect(engine.forwarder('risk-0').waiting + engine.forwarder('risk-1').waiting).toBeGreaterThan(0);
          expect(await new FileSnapshotStore(join(root, 'snapshots', down)).latest()).not.toBeNull();
          await engine.startPartition(down);
          await engine.untilLeading([down]);
        }
        // Orders keep arriving at the risk partitions while the matching partition is away;
        // their hand-offs wait in the forwarders.
        await engine.submit(flow[i] as Command);
      }
      await engine.settled(20_000);
      for (const command of closing()) {
        await engine.submit(command);
        await engine.settled();
      }
      expect(engine.halts).toEqual([]);
      checkConsistent(engine);
      // Restarts from snapshot + journal rebuild the same states; the hand-offs the restarted
      // partitions forward again are journaled by their destinations and ignored.
      const states = new Map(engine.names.map((name) => [name, stateOf(engine.partition(name).core)]));
      for (const name of engine.names) await engine.stopPartition(name);
      for (const name of engine.names) await engine.startPartition(name);
      await engine.untilLeading(engine.names);
      await engine.settled();
      const redelivered = engine.names.reduce((sum, name) => sum + engine.forwarder(name).delivered, 0);
      expect(redelivered).toBeGreaterThan(0);
      for (const name of engine.names) expect(stateOf(engine.partition(name).core), name).toBe(states.get(name));
      checkConsistent(engine);
    } finally {
      await engine.stop();
    }
  }, 120_000);
});

describe('a hand-off gap at run time', () => {
  it('halts the receiving partition before anything is journaled', async () => {
    const root = mkdtempSync(join(tmpdir(), 'partitioned-'));
    dirs.push(root);
    const engine = engineOver(root, 1_000_000, 3_600_000);
    try {
      await engine.start();
      await engine.submit({ type: 'CreateMarket', marketId: 1, runnerCount: 2 });
      await engine.settled();
      const risk = engine.partition('risk-0');
      const journaledSeq = risk.appliedSeq;
      expect(risk.core.appliedFrom('matching-0')).toBe(1);
      const gap = { type: 'HandOff', source: 'matching-0', sourceSeq: 9, previousSourceSeq: 5, events: [] } as const;
      await expect(risk.submit(gap)).rejects.toThrow(/hand-off gap from matching-0: seq 9 follows 5, applied up to 1/);
      expect(risk.role).toBe('halted');
      expect(engine.halts.join()).toMatch(/risk-0: frame failed/);
      const journal = await FileJournal.open(join(root, 'journal'), 'risk-0');
      try {
        expect(await journal.lastSeq()).toBe(journaledSeq);
      } finally {
        await journal.close();
      }
    } finally {
      await engine.stop();
    }
  });
});

describe('partitioned engine (2 risk + 2 matching) on Redis journals', () => {
  let server: RedisServer | undefined;

  beforeAll(async () => {
    server = await startRedis({ appendfsync: 'always' });
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function redisStorage(partition: string): Promise<PartitionStorage> {
    const url = (server as RedisServer).url;
    const journalRedis = await connectJournalRedis(url);
    const plain = new Redis(url, { maxRetriesPerRequest: 2 });
    for (const client of [journalRedis, plain]) client.on('error', () => undefined);
    return {
      journal: new RedisJournal(journalRedis, partition),
      leadership: new RedisLeadership(journalRedis, partition, { leaseMs: 500 }),
      snapshots: new RedisSnapshotStore(plain, partition),
      close: async () => {
        journalRedis.disconnect();
        plain.disconnect();
      },
    };
  }

  it(`seed ${SEED}: a matching partition's leader crashes mid-run; its hot standby leads and nothing is lost or applied twice`, async () => {
    const engine = new PartitionedEngine({
      topology: TOPOLOGY,
      storage: redisStorage,
      logger: pino({ level: 'silent' }),
      snapshotEveryCommands: 25,
      snapshotEveryMs: 200,
      standbyPollMs: 10,
    });
    const flow = orderFlow(SEED + 2, 300);
    const crashed = engine.topology.matchingNames[1] as string;
    try {
      await engine.start();
      // A hot standby of the matching partition tails its journal.
      await engine.startPartition(crashed);
      expect(engine.partition(crashed).role).toBe('leader');
      for (const command of opening()) await engine.submit(command);
      await engine.settled();
      const crashedLeader = engine.partition(crashed);
      for (let i = 0; i < flow.length; i++) {
        if (i === 100) await engine.crashLeader(crashed);
        await engine.submit(flow[i] as Command);
      }
      await engine.untilLeading([crashed], 10_000);
      expect(engine.partition(crashed)).not.toBe(crashedLeader);
      await engine.settled(20_000);
      for (const command of closing()) {
        await engine.submit(command);
        await engine.settled();
      }
      expect(engine.halts).toEqual([]);
      checkConsistent(engine);
      expect(matchingCore(engine, 1).matching.markets.get(2)?.status).toBe('settled');
    } finally {
      await engine.stop();
    }
  }, 120_000);
});
