// The partitioned engine across processes, on a real Redis: two risk and two matching partitions,
// each an engine process (ENGINE_ROLE, PARTITION_INDEX and the topology from the environment) with
// a hot standby process. Hand-offs move through each
// destination's hand-off stream. A seeded order flow goes command by command into the partitions'
// inboxes; mid-run the leader of matching-0 and then the leader of risk-0 are killed with SIGKILL
// right after a command was sent, and their standbys take over. At the end every partition's state
// hash equals the replay of its snapshot and journal, money is conserved in every risk partition,
// every hand-off chain ends where its source's does (nothing lost), and the balances and books equal
// one ExchangeCore fed the same commands (so nothing was applied twice).
//
//   SEED=123 npx vitest run engine/src/io/partitioned-processes.int.test.ts

import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HOUSE_ACCOUNT_ID, type Command } from '@playchacha/protocol';
import { startRedis, type RedisServer } from '../../../scripts/test-servers.js';
import { ExchangeCore } from '../core/index.js';
import { MatchingPartitionCore, type MatchingPartitionSnapshot } from '../core/matching-partition-core.js';
import type { MatchingSnapshot } from '../core/matching-stage.js';
import { PartitionTopology, routeCommand } from '../core/partition-topology.js';
import { RiskPartitionCore, type RiskPartitionSnapshot } from '../core/risk-partition-core.js';
import { EngineProcess, sleep } from '../testing/engine-process.js';
import { closing, opening, orderFlow } from '../testing/partitioned-flow.js';
import { AnswerWatcher, chainsClosed, settledPartitions, type PartitionStatus } from '../testing/partition-processes.js';
import { decodeFrameBody, decodeValue, encodeValue } from './frame-codec.js';
import type { PartitionCoreOf } from './partitioned-engine.js';
import { connectJournalRedis, RedisJournal } from './redis-journal.js';
import { handOffsKey, sendToInbox } from './redis-streams.js';
import { RedisSnapshotStore } from './snapshot-stores.js';

const SEED = Number(process.env['SEED'] ?? 20_251_125);
const TOPOLOGY = { riskPartitions: 2, matchingPartitions: 2, marketPartitions: { 1: 0, 2: 1, 3: 0, 4: 1 } };
const TOPOLOGY_ENV = { RISK_PARTITIONS: '2', MATCHING_PARTITIONS: '2', MARKET_PARTITIONS: '1:0,2:1,3:0,4:1' };
const topology = new PartitionTopology(TOPOLOGY);
const NAMES = [...topology.riskNames, ...topology.matchingNames];

let redis: RedisServer;
let client: Redis;
let answers: AnswerWatcher;
const instances = new Map<string, EngineProcess[]>();

beforeAll(async () => {
  redis = await startRedis({ appendfsync: 'always' });
  client = new Redis(redis.url, { maxRetriesPerRequest: 2 });
  answers = new AnswerWatcher(client);
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

afterEach(async (context) => {
  const all = [...instances.values()].flat();
  if (context.task.result?.state === 'fail') for (const engine of all) console.error(`--- engine on ${engine.port} ---\n${engine.output.slice(-4_000)}`);
  await Promise.all(all.map((engine) => engine.stop()));
  instances.clear();
});

async function spawnPartition(name: string): Promise<EngineProcess> {
  const role = name.startsWith('risk-') ? 'risk' : 'matching';
  const engine = await EngineProcess.spawn({
    REDIS_URL: redis.url,
    ENGINE_ROLE: role,
    PARTITION_INDEX: name.slice(name.indexOf('-') + 1),
    ...TOPOLOGY_ENV,
    LEASE_MS: '500',
    STANDBY_POLL_MS: '20',
    SNAPSHOT_EVERY_COMMANDS: '40',
    SNAPSHOT_EVERY_MS: '500',
  });
  instances.set(name, [...(instances.get(name) ?? []), engine]);
  return engine;
}

async function leaderOf(name: string, timeoutMs = 15_000): Promise<EngineProcess> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const engine of instances.get(name) ?? []) {
      if (!engine.running) continue;
      const status = await engine.status().catch(() => null);
      if (status?.role === 'leader') return engine;
    }
    if (Date.now() > deadline) throw new Error(`${name} has no leader after ${timeoutMs} ms`);
    await sleep(20);
  }
}

async function statuses(): Promise<Map<string, PartitionStatus>> {
  const result = new Map<string, PartitionStatus>();
  for (const name of NAMES) result.set(name, (await (await leaderOf(name)).status()) as PartitionStatus);
  return result;
}

const settled = (): Promise<Map<string, PartitionStatus>> => settledPartitions(statuses);

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** A partition's core rebuilt from its newest snapshot and its journal after it, with what the replay journaled. */
async function replayed(name: string): Promise<{ core: PartitionCoreOf; handOffsJournaled: number; snapshotSeq: number }> {
  const journalRedis = await connectJournalRedis(redis.url);
  try {
    const riskIndex = topology.riskNames.indexOf(name);
    const snapshot = await new RedisSnapshotStore(journalRedis, name).latest();
    let core: PartitionCoreOf;
    if (snapshot === null) {
      core = riskIndex >= 0 ? new RiskPartitionCore(topology, riskIndex) : new MatchingPartitionCore(topology, topology.matchingNames.indexOf(name));
    } else {
      const data = decodeValue<{ core: unknown }>(snapshot.data).core;
      core = riskIndex >= 0 ? RiskPartitionCore.fromSnapshot(data as RiskPartitionSnapshot, topology) : MatchingPartitionCore.fromSnapshot(data as MatchingPartitionSnapshot, topology);
    }
    const journal = new RedisJournal(journalRedis, name);
    let handOffsJournaled = 0;
    for (let from = core.lastAppliedSeq + 1; ; ) {
      const frames = await journal.read(from, 256);
      if (frames.length === 0) break;
      for (const frame of frames) {
        for (const envelope of decodeFrameBody(frame.payload).envelopes) {
          if ((envelope.command.type as string) === 'HandOff') handOffsJournaled++;
          core.apply(envelope);
        }
        from = frame.lastSeq + 1;
      }
    }
    return { core, handOffsJournaled, snapshotSeq: snapshot?.seq ?? 0 };
  } finally {
    journalRedis.disconnect();
  }
}

function books(snapshots: readonly MatchingSnapshot[]): unknown {
  return snapshots
    .flatMap((snapshot) => snapshot.markets)
    .map((market) => ({ marketId: market.marketId, status: market.status, resting: market.resting.map((row) => row.slice(1, 9)) }))
    .sort((a, b) => a.marketId - b.marketId);
}

function accounts(views: ReadonlyArray<{ accountId: number; balanceMinor: number; exposureMinor: number }>): unknown {
  return views
    .filter((view) => view.accountId !== HOUSE_ACCOUNT_ID)
    .map(({ accountId, balanceMinor, exposureMinor }) => ({ accountId, balanceMinor, exposureMinor }))
    .sort((a, b) => a.accountId - b.accountId);
}

describe('partitioned engine processes (2 risk + 2 matching) on Redis', () => {
  it(`seed ${SEED}: kill -9 of a matching and a risk leader mid-run; standbys take over; nothing lost or applied twice`, async () => {
    await Promise.all(NAMES.map((name) => spawnPartition(name)));
    for (const name of NAMES) await leaderOf(name);
    const standbys = await Promise.all(NAMES.map((name) => spawnPartition(name)));
    for (const standby of standbys) await standby.waitForRole('standby');

    const flow = [...opening(), ...orderFlow(SEED, 160), ...closing()];
    // Each leader dies right after a command that concerns it was sent: an order on one of its
    // markets (its hand-off on the way), an order of one of its accounts.
    const firstFrom = (from: number, ok: (command: Command) => boolean): number => flow.findIndex((command, index) => index >= from && ok(command));
    const killAt = new Map([
      [firstFrom(opening().length + 50, (command) => command.type === 'PlaceOrder' && topology.matchingOf(command.marketId) === 'matching-0'), 'matching-0'],
      [firstFrom(opening().length + 110, (command) => command.type === 'PlaceOrder' && topology.riskOf(command.accountId) === 'risk-0'), 'risk-0'],
    ]);
    const reference = new ExchangeCore();
    const killed: string[] = [];
    for (let i = 0; i < flow.length; i++) {
      const command = flow[i] as Command;
      reference.apply({ seq: i + 1, timestampMs: i + 1, command });
      const sent: Array<[string, string]> = [];
      for (const partition of routeCommand(topology, command)) sent.push([partition, await sendToInbox(client, partition, command)]);
      const victim = killAt.get(i);
      if (victim !== undefined) {
        const leader = await leaderOf(victim);
        leader.kill9();
        await leader.waitForExit();
        killed.push(victim);
        const standby = (instances.get(victim) ?? []).find((engine) => engine !== leader) as EngineProcess;
        await standby.waitForRole('leader');
      }
      for (const [partition, id] of sent) await answers.answered(partition, id);
      await settled();
    }
    expect(killed).toEqual(['matching-0', 'risk-0']);

    const final = await settled();
    for (const name of NAMES) expect(final.get(name)?.role, name).toBe('leader');
    // Every chain closed: each hand-off a source sent was applied at its destination.
    expect(chainsClosed(final)).toBe(true);
    const sentTotal = [...final.values()].reduce((sum, status) => sum + status.handOffMarks.sent.length, 0);
    expect(sentTotal).toBeGreaterThan(0);
    // Each hand-off stream is trimmed behind the frames that journaled it (all but the last entry).
    for (const name of NAMES) await until(`${name}: hand-off stream trimmed`, async () => (await client.xlen(handOffsKey(name))) <= 1);

    // The standbys still standing (of risk-1 and matching-1) tail their leaders to the same state.
    for (const name of ['risk-1', 'matching-1']) {
      const leader = await leaderOf(name);
      const standby = (instances.get(name) ?? []).find((engine) => engine !== leader) as EngineProcess;
      const tailed = await standby.waitFor('caught up', (status) => status.seq === final.get(name)?.seq);
      expect(tailed.role, name).toBe('standby');
      expect(tailed.stateHash, `${name} standby`).toBe(final.get(name)?.stateHash);
    }

    const cores = new Map<string, PartitionCoreOf>();
    for (const name of NAMES) {
      const { core, snapshotSeq } = await replayed(name);
      expect(snapshotSeq, `${name} snapshotted`).toBeGreaterThan(0);
      expect(core.stateHash(), `${name}: snapshot + journal replay`).toBe(final.get(name)?.stateHash);
      cores.set(name, core);
    }

    const risk = topology.riskNames.map((name) => cores.get(name) as RiskPartitionCore);
    const matching = topology.matchingNames.map((name) => cores.get(name) as MatchingPartitionCore);
    for (const core of risk) core.checkInvariants();
    // Money is conserved across partitions: the balances (house shares included) sum to the reference's.
    const views = risk.flatMap((core) => [...core.risk.accounts.values()]);
    const total = views.reduce((sum, view) => sum + view.balanceMinor, 0);
    expect(total).toBe(reference.accounts().reduce((sum, view) => sum + view.balanceMinor, 0));
    expect(views.filter((view) => view.accountId === HOUSE_ACCOUNT_ID).reduce((sum, view) => sum + view.balanceMinor, 0)).toBe(reference.account(HOUSE_ACCOUNT_ID)?.balanceMinor);
    expect(accounts(views)).toEqual(accounts(reference.accounts()));
    expect(books(matching.map((core) => core.matching.exportState()))).toEqual(books([reference.matching.exportState()]));
  }, 240_000);

  it('an engine process refuses an invalid topology at start with a clear error', async () => {
    await expect(EngineProcess.spawn({ REDIS_URL: redis.url, ENGINE_ROLE: 'risk', PARTITION_INDEX: '2', ...TOPOLOGY_ENV })).rejects.toThrow(
      /exited with 2:[\s\S]*invalid engine configuration: PARTITION_INDEX 2 is not below RISK_PARTITIONS \(2\)/,
    );
    await expect(EngineProcess.spawn({ REDIS_URL: redis.url, ENGINE_ROLE: 'matching', PARTITION_INDEX: '0', ...TOPOLOGY_ENV, MARKET_PARTITIONS: '1:5' })).rejects.toThrow(
      /invalid engine configuration: MARKET_PARTITIONS: market 1 assigned to matching partition 5/,
    );
  }, 60_000);

  it('a HandOff sent to a gateway inbox is never journaled, nor an ordinary command from the hand-off stream', async () => {
    await Promise.all(['risk-0', 'risk-1', 'matching-0', 'matching-1'].map((name) => spawnPartition(name)));
    const leader = await leaderOf('matching-1');
    const before = (await leader.status()) as PartitionStatus;
    const forged = { type: 'HandOff', source: 'risk-1', sourceSeq: 1_000_000, previousSourceSeq: before.handOffMarks.received.find(([source]) => source === 'risk-1')?.[1] ?? 0, steps: [] };
    await sendToInbox(client, 'matching-1', forged as unknown as Command);
    await client.xadd(handOffsKey('matching-1'), '*', 'c', Buffer.from(encodeValue({ type: 'CreateMarket', marketId: 99, runnerCount: 2 })));
    // A real command after both: once it is answered, the two before it were read.
    const id = await sendToInbox(client, 'matching-1', { type: 'CreateMarket', marketId: 98, runnerCount: 2 });
    answers.seen.set('matching-1', before.seq);
    await answers.answered('matching-1', id);
    await sleep(200);
    const after = (await leader.status()) as PartitionStatus;
    expect(after.seq).toBe(before.seq + 1);
    expect(after.handOffMarks.received).toEqual(before.handOffMarks.received);
  }, 120_000);
});
