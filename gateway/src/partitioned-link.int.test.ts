// The gateway over a partitioned engine, all real processes on a real Redis: two risk and two
// matching engine processes (and a standby of matching-0), and a gateway process with
// ENGINE_REMOTE=1 and the same topology. Two bettors on different risk partitions trade over the
// WebSocket API on markets of both matching partitions: crossing orders, a cancel, a partial
// cancel, a batch, a mass cancel. The market feeds (snapshot, then deltas with checksums) end equal
// to the matching partitions' books rebuilt from their journals; the order stream shows the fills;
// REST balances and exposure equal the risk partitions'. Midway the leader of matching-0 is killed
// with -9 while orders for its market are in flight: the standby takes over, the gateway keeps
// answering, and client order id retries leave every order exactly once.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { HOUSE_ACCOUNT_ID, type AccountId, type MarketId, type OrderUpdate } from '@playchacha/protocol';
import { EngineProcess, sleep } from '@playchacha/engine/testing';
import { startRedis, type RedisServer } from '../../scripts/test-servers.js';
import { sharedPostgres, type SharedServer } from '../../scripts/test-context.js';
import { freshDatabase } from '../../settlement/src/testing/fresh-database.js';
import { MatchingPartitionCore, type MatchingPartitionSnapshot } from '../../engine/src/core/matching-partition-core.js';
import { PartitionTopology } from '../../engine/src/core/partition-topology.js';
import { RiskPartitionCore, type RiskPartitionSnapshot } from '../../engine/src/core/risk-partition-core.js';
import { accountViewOf, bookSideView } from '../../engine/src/core/stage-views.js';
import { decodeFrameBody, decodeValue } from '../../engine/src/io/frame-codec.js';
import type { PartitionCoreOf } from '../../engine/src/io/partitioned-engine.js';
import { connectJournalRedis, RedisJournal } from '../../engine/src/io/redis-journal.js';
import { RedisSnapshotStore } from '../../engine/src/io/snapshot-stores.js';
import { connectPartitionedLink } from './partitioned-link.js';
import { GatewayReadModels } from './read-models.js';
import { GatewayProcess } from './testing/gateway-process.js';
import { WsClient, WsRequestError, type MarketFeed, type WebSocketFactory } from './ws-client.js';

const TOPOLOGY = { riskPartitions: 2, matchingPartitions: 2, marketPartitions: { 1: 0, 2: 1 } };
const TOPOLOGY_ENV = { RISK_PARTITIONS: '2', MATCHING_PARTITIONS: '2', MARKET_PARTITIONS: '1:0,2:1' };
const topology = new PartitionTopology(TOPOLOGY);
const NAMES = [...topology.riskNames, ...topology.matchingNames];
const PASSWORD = 'correct horse battery staple';

let redis: RedisServer;
let postgres: SharedServer;
let client: Redis;
let dataDir: string;
const engines = new Map<string, EngineProcess[]>();
let gateway: GatewayProcess | null = null;
const sockets: WsClient[] = [];

beforeAll(async () => {
  redis = await startRedis({ appendfsync: 'always' });
  postgres = await sharedPostgres();
  client = new Redis(redis.url, { maxRetriesPerRequest: 2 });
  dataDir = mkdtempSync(join(tmpdir(), 'gateway-partitioned-'));
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') {
    for (const [name, list] of engines) for (const engine of list) console.error(`--- ${name} on ${engine.port} ---\n${engine.output.slice(-3_000)}`);
    console.error(`--- gateway ---\n${gateway?.output.slice(-5_000)}`);
  }
  for (const socket of sockets.splice(0)) socket.close();
  await gateway?.stop();
  await Promise.all([...engines.values()].flat().map((engine) => engine.stop()));
  engines.clear();
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
  await postgres?.release();
  rmSync(dataDir, { recursive: true, force: true });
});

async function spawnPartition(name: string): Promise<EngineProcess> {
  const engine = await EngineProcess.spawn({
    REDIS_URL: redis.url,
    ENGINE_ROLE: name.startsWith('risk-') ? 'risk' : 'matching',
    PARTITION_INDEX: name.slice(name.indexOf('-') + 1),
    ...TOPOLOGY_ENV,
    LEASE_MS: '500',
    STANDBY_POLL_MS: '20',
    SNAPSHOT_EVERY_COMMANDS: '30',
  });
  engines.set(name, [...(engines.get(name) ?? []), engine]);
  return engine;
}

async function leaderOf(name: string, timeoutMs = 15_000): Promise<EngineProcess> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const engine of engines.get(name) ?? []) {
      if ((engine.child.exitCode === null && engine.child.signalCode === null) && (await engine.status().catch(() => null))?.role === 'leader') return engine;
    }
    if (Date.now() > deadline) throw new Error(`${name} has no leader after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** A partition's core rebuilt from its newest snapshot and its journal, apart from every process. */
async function replayed(name: string): Promise<PartitionCoreOf> {
  const journalRedis = await connectJournalRedis(redis.url);
  try {
    const riskIndex = topology.riskNames.indexOf(name);
    const matchingIndex = topology.matchingNames.indexOf(name);
    const snapshot = await new RedisSnapshotStore(journalRedis, name).latest();
    let core: PartitionCoreOf;
    if (snapshot === null) {
      core = riskIndex >= 0 ? new RiskPartitionCore(topology, riskIndex) : new MatchingPartitionCore(topology, matchingIndex);
    } else {
      const data = decodeValue<{ core: unknown }>(snapshot.data).core;
      core = riskIndex >= 0 ? RiskPartitionCore.fromSnapshot(data as RiskPartitionSnapshot, topology) : MatchingPartitionCore.fromSnapshot(data as MatchingPartitionSnapshot, topology);
    }
    const journal = new RedisJournal(journalRedis, name);
    for (;;) {
      const frames = await journal.read(core.lastAppliedSeq + 1, 256);
      if (frames.length === 0) return core;
      for (const frame of frames) for (const envelope of decodeFrameBody(frame.payload).envelopes) core.apply(envelope);
    }
  } finally {
    journalRedis.disconnect();
  }
}

/** Waits until every partition's leader has applied everything handed to it and nothing moves. */
async function quiet(timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let previous = '';
  for (;;) {
    const seqs = JSON.stringify(await Promise.all(NAMES.map(async (name) => (await (await leaderOf(name)).status()).seq)));
    if (seqs === previous) return;
    previous = seqs;
    if (Date.now() > deadline) throw new Error(`partitions still moving after ${timeoutMs} ms`);
    await sleep(300);
  }
}

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

interface Session {
  readonly accountId: AccountId;
  readonly token: string;
}

describe('the gateway over a partitioned engine (2 risk + 2 matching processes)', () => {
  it('routes orders to their partitions, serves books, orders and balances from replicas of all of them, and survives a matching leader killed with -9', async () => {
    await Promise.all(NAMES.map((name) => spawnPartition(name)));
    for (const name of NAMES) await leaderOf(name);
    const standby = await spawnPartition('matching-0');
    await standby.waitForRole('standby');

    gateway = await GatewayProcess.start({
      env: {
        ENGINE_REMOTE: '1',
        REDIS_URL: redis.url,
        DATABASE_URL: await freshDatabase(postgres.url),
        ...TOPOLOGY_ENV,
        JWT_SECRET: 'partitioned-secret-of-at-least-thirty-two-bytes',
        ADMIN_EMAILS: 'admin@partitioned.test',
        DATA_DIR: dataDir,
        DEMO: '0',
        WS_MESSAGES_PER_SECOND: '1000',
        WS_MESSAGE_BURST: '1000',
      },
      startTimeoutMs: 60_000,
    });
    const api = gateway.api;
    const request = async (method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const headers: Record<string, string> = { 'idempotency-key': randomUUID() };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
      const response = await fetch(`${api}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const login = async (email: string): Promise<Session> => {
      const registered = await request('POST', '/v1/auth/register', undefined, { email, password: PASSWORD });
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
      const token = (await request('POST', '/v1/auth/login', undefined, { email, password: PASSWORD })).body['accessToken'] as string;
      return { accountId: registered.body['accountId'] as AccountId, token };
    };
    const connect = async (session: Session): Promise<WsClient> => {
      const socket = await WsClient.connect({ url: (gateway as GatewayProcess).wsUrl, accessToken: session.token, WebSocket: WebSocket as unknown as WebSocketFactory, requestTimeoutMs: 15_000 });
      sockets.push(socket);
      return socket;
    };

    const admin = await login('admin@partitioned.test');
    const alice = await login('alice@partitioned.test');
    const bob = await login('bob@partitioned.test');
    expect(topology.riskOf(alice.accountId)).not.toBe(topology.riskOf(bob.accountId));
    // Markets on both matching partitions.
    for (const marketId of [1, 2]) expect((await request('POST', '/v1/admin/markets', admin.token, { marketId, runnerCount: 2 })).status).toBe(201);
    expect(new Set([1, 2].map((marketId) => topology.matchingOf(marketId))).size).toBe(2);
    for (const session of [alice, bob]) expect((await request('POST', '/v1/deposits/test', session.token, { amountMinor: 1_000_000 })).status).toBe(201);

    const aliceWs = await connect(alice);
    const bobWs = await connect(bob);
    const feeds = new Map<MarketId, MarketFeed>();
    for (const marketId of [1, 2]) feeds.set(marketId, await bobWs.subscribeMarket(marketId));
    const updates = new Map<AccountId, OrderUpdate[]>([[alice.accountId, []], [bob.accountId, []]]);
    for (const [session, socket] of [[alice, aliceWs], [bob, bobWs]] as const) {
      await socket.subscribeOrders();
      socket.onOrderUpdates((list) => updates.get(session.accountId)?.push(...list));
    }

    // Crossing orders on market 1 (matching-0): alice backs, bob lays into her.
    const resting = await aliceWs.place({ clientOrderId: 'a1', marketId: 1, runnerIndex: 0, side: 'back', priceTicks: 100, stakeMinor: 1_000 });
    expect(resting.results).toEqual([expect.objectContaining({ status: 'accepted', clientOrderId: 'a1', matchedMinor: 0, remainingMinor: 1_000 })]);
    const a1 = (resting.results[0] as { orderId: number }).orderId;
    const crossing = await bobWs.place({ clientOrderId: 'b1', marketId: 1, runnerIndex: 0, side: 'lay', priceTicks: 100, stakeMinor: 600 });
    expect(crossing.results).toEqual([expect.objectContaining({ status: 'accepted', clientOrderId: 'b1', matchedMinor: 600, remainingMinor: 0, closeReason: 'matched' })]);
    // Partial cancel, then a cancel of the rest.
    const reduced = await aliceWs.cancel({ marketId: 1, orderId: a1, reduceByMinor: 100 });
    expect(reduced.results).toEqual([{ status: 'reduced', kind: 'cancel', orderId: a1, reducedByMinor: 100, remainingMinor: 300 }]);
    const cancelled = await aliceWs.cancel({ marketId: 1, orderId: a1 });
    expect(cancelled.results).toEqual([{ status: 'cancelled', kind: 'cancel', orderId: a1, matchedMinor: 600, cancelledMinor: 400 }]);
    // A batch on market 2 (matching-1), one instruction refused by the risk stage; bob takes one.
    const batch = await aliceWs.batch('best_effort', [
      { kind: 'place', clientOrderId: 'a2', marketId: 2, runnerIndex: 1, side: 'lay', priceTicks: 60, stakeMinor: 2_000 },
      { kind: 'place', clientOrderId: 'a3', marketId: 2, runnerIndex: 0, side: 'back', priceTicks: 80, stakeMinor: 500 },
      { kind: 'place', clientOrderId: 'a4', marketId: 2, runnerIndex: 0, side: 'back', priceTicks: 80, stakeMinor: 500_000_000 },
    ]);
    expect(batch.results.map((result) => result.status)).toEqual(['accepted', 'accepted', 'rejected']);
    const bobTakes = await bobWs.place({ clientOrderId: 'b2', marketId: 2, runnerIndex: 1, side: 'back', priceTicks: 60, stakeMinor: 700, timeInForce: 'ioc' });
    expect(bobTakes.results).toEqual([expect.objectContaining({ status: 'accepted', matchedMinor: 700, remainingMinor: 0 })]);
    // Orders resting on both matching partitions, then alice's mass cancel closes them all.
    await aliceWs.place({ clientOrderId: 'a5', marketId: 1, runnerIndex: 1, side: 'back', priceTicks: 120, stakeMinor: 300 });
    const massCancel = await aliceWs.massCancel();
    expect(massCancel.orders.map((order) => order.marketId).sort()).toEqual([1, 2, 2]);

    // The order stream shows the fills, each side its own.
    await until('fills on the order streams', () => (updates.get(alice.accountId) ?? []).filter((u) => u.kind === 'matched').length === 2 && (updates.get(bob.accountId) ?? []).filter((u) => u.kind === 'matched').length === 2);
    const aliceFill = (updates.get(alice.accountId) ?? []).find((u) => u.kind === 'matched' && u.orderId === a1);
    expect(aliceFill).toMatchObject({ kind: 'matched', marketId: 1, stakeMinor: 600, role: 'maker', matchedMinor: 600, remainingMinor: 400 });
    expect((updates.get(bob.accountId) ?? []).find((u) => u.kind === 'matched' && u.marketId === 2)).toMatchObject({ stakeMinor: 700, role: 'taker' });
    // The order as it progresses on its book: accepted there, filled, reduced, closed.
    const a1Updates = (updates.get(alice.accountId) ?? []).filter((u) => u.kind !== 'queue' && (('orderId' in u && u.orderId === a1) || (u.kind === 'accepted' && u.order.orderId === a1)));
    expect(a1Updates.map((u) => u.kind)).toEqual(['accepted', 'matched', 'reduced', 'closed']);

    // Midway, the leader of matching-0 dies while orders for its market 1 are in flight. Every
    // order is retried with its client order id until the gateway answers it.
    const flow = Array.from({ length: 24 }, (_, i) => ({ clientOrderId: `k${i}`, marketId: 1, runnerIndex: i % 2, side: 'back' as const, priceTicks: 150 + (i % 5), stakeMinor: 100 + i }));
    const orderIds = new Map<string, number>();
    let retries = 0;
    const placeUntilAnswered = async (instruction: (typeof flow)[number]): Promise<number> => {
      for (let attempt = 0; ; attempt++) {
        try {
          const result = (await aliceWs.place(instruction)).results[0];
          if (result?.status === 'accepted' || result?.status === 'duplicate') return result.orderId as number;
          throw new Error(`unexpected result ${JSON.stringify(result)}`);
        } catch (error) {
          if (!(error instanceof WsRequestError) || attempt > 20) throw error;
          retries++;
          await sleep(200);
        }
      }
    };
    const oldLeader = await leaderOf('matching-0');
    const inFlight: Array<Promise<void>> = [];
    // Orders sent around the kill are also sent again at once with the same client order id, as a
    // client that gave up waiting would: the repeat is answered with the first order's id.
    const repeats: Array<Promise<{ clientOrderId: string; orderId: number }>> = [];
    for (const [i, instruction] of flow.entries()) {
      inFlight.push(placeUntilAnswered(instruction).then((orderId) => void orderIds.set(instruction.clientOrderId, orderId)));
      if (i >= 7 && i <= 11) {
        repeats.push(sleep(5).then(async () => ({ clientOrderId: instruction.clientOrderId, orderId: await placeUntilAnswered(instruction) })));
      }
      if (i === 8) {
        expect(orderIds.has('k8'), 'the kill comes while k8 is unanswered').toBe(false);
        oldLeader.kill9();
      }
      await sleep(40);
    }
    await Promise.all(inFlight);
    expect(await oldLeader.waitForExit()).not.toBe('running');
    await standby.waitForRole('leader');
    expect(orderIds.size).toBe(flow.length);
    expect(new Set(orderIds.values()).size).toBe(flow.length);
    for (const repeat of await Promise.all(repeats)) expect(repeat.orderId, repeat.clientOrderId).toBe(orderIds.get(repeat.clientOrderId));
    console.info(`partitioned gateway: ${retries} retries after the kill`);

    await quiet();
    // Each order exactly once on the book of matching-0, at its client order id's order id.
    const matching0 = (await replayed('matching-0')) as MatchingPartitionCore;
    const onBook = [0, 1].flatMap((runnerIndex) => bookSideView(matching0.matching, 1, runnerIndex, 'back').flatMap((level) => level.orderIds));
    expect([...onBook].sort((a, b) => a - b)).toEqual([...orderIds.values()].sort((a, b) => a - b));
    const snapshot = await aliceWs.subscribeOrders();
    expect(snapshot.open.map((order) => order.clientOrderId).sort()).toEqual(flow.map((instruction) => instruction.clientOrderId).sort());

    // The feeds (snapshot, then deltas, checksums checked) equal the matching partitions' books.
    const matching1 = (await replayed('matching-1')) as MatchingPartitionCore;
    for (const [marketId, core] of [[1, matching0], [2, matching1]] as const) {
      const feed = feeds.get(marketId) as MarketFeed;
      await until(`feed of market ${marketId} at the partition's seq`, () => feed.seq === core.matching.markets.get(marketId)?.seq);
      expect(feed.resyncs, `market ${marketId}: no checksum mismatch or gap`).toBe(0);
      for (const runnerIndex of [0, 1]) {
        for (const side of ['back', 'lay'] as const) {
          const levels = bookSideView(core.matching, marketId, runnerIndex, side).map((level) => [level.priceTicks, level.totalMinor]);
          expect([...feed.book.side(runnerIndex, side)].map(([priceTicks, totalMinor]) => [priceTicks, totalMinor]).sort((a, b) => (a[0] as number) - (b[0] as number)), `market ${marketId} runner ${runnerIndex} ${side}`).toEqual(
            levels.sort((a, b) => (a[0] as number) - (b[0] as number)),
          );
        }
      }
    }

    // REST balances and exposure equal the risk partitions' (each account from its own).
    for (const session of [alice, bob]) {
      const core = (await replayed(topology.riskOf(session.accountId))) as RiskPartitionCore;
      const expected = accountViewOf(core.risk, session.accountId);
      expect(expected?.exposureMinor).toBeGreaterThan(0);
      await until(`REST account of ${session.accountId}`, async () => {
        const account = (await request('GET', '/v1/account', session.token)).body;
        return account['balanceMinor'] === expected?.balanceMinor && account['exposureMinor'] === expected?.exposureMinor && account['availableMinor'] === expected?.availableMinor;
      });
    }
    // The gateway still answers after the failover: one more order on market 1 crosses bob's way.
    const after = await bobWs.place({ clientOrderId: 'b-after', marketId: 1, runnerIndex: 0, side: 'lay', priceTicks: 150, stakeMinor: 100 });
    expect(after.results).toEqual([expect.objectContaining({ status: 'accepted', matchedMinor: 100 })]);

    // A link in this process too: settling both markets moves money through the house's share in
    // each risk partition; the read models show the house as the sum of its shares.
    const handle = await connectPartitionedLink({ redisUrl: redis.url, topology: TOPOLOGY, logger: pino({ level: 'silent' }) });
    try {
      const readModels = new GatewayReadModels(handle.link);
      for (const [marketId, runnerIndex] of [[2, 1], [1, 0]] as const) {
        expect(await handle.link.submit({ type: 'CloseMarket', marketId })).not.toContainEqual(expect.objectContaining({ type: 'CommandRejected' }));
        const settled = await handle.link.submit({ type: 'SettleMarket', marketId, winners: [{ runnerIndex, factorNumerator: 1, factorDenominator: 1 }] });
        // The answer carries what the risk partitions did with the result.
        expect(settled.filter((event) => event.type === 'AccountSettled').length).toBeGreaterThan(0);
      }
      await quiet();
      const risks = await Promise.all(topology.riskNames.map(async (name) => (await replayed(name)) as RiskPartitionCore));
      const shares = risks.map((core) => accountViewOf(core.risk, HOUSE_ACCOUNT_ID)?.balanceMinor ?? 0);
      // A share pays its partition's winners and takes its losers' stakes: it may be below zero.
      expect(shares.every((share) => share !== 0), `house shares ${shares.join(', ')}`).toBe(true);
      expect(readModels.accounts.get(HOUSE_ACCOUNT_ID)?.balanceMinor).toBe((shares[0] as number) + (shares[1] as number));
      for (const session of [alice, bob]) {
        const expected = accountViewOf((risks[topology.riskNames.indexOf(topology.riskOf(session.accountId))] as RiskPartitionCore).risk, session.accountId);
        expect(readModels.accounts.get(session.accountId)).toMatchObject({ balanceMinor: expected?.balanceMinor, exposureMinor: expected?.exposureMinor });
      }
      readModels.stop();
    } finally {
      await handle.close();
    }
  }, 300_000);
});
