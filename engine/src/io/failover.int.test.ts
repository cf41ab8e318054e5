// Engine failover with real processes and a real Redis: kill -9 of the leader while a client
// streams orders, a paused (zombie) leader, and Redis killed and restarted under load.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { isMarketEvent, type Command, type CommandEnvelope, type EngineEvent } from '@playchacha/protocol';
import { startRedis, type RedisServer } from '../../../scripts/test-servers.js';
import { ExchangeCore } from '../core/index.js';
import { EngineProcess, sleep } from '../testing/engine-process.js';
import { mulberry32 } from '../testing/seeded-random.js';
import { EngineClient } from './engine-client.js';
import { decodeFrameBody, type EventFrame } from './frame-codec.js';
import { RedisJournal } from './redis-journal.js';
import { readEventFrames } from './redis-streams.js';

const SEED = Number(process.env['SEED'] ?? 7);
const ACCOUNTS = 12;
const MARKET_ID = 1;

let redis: RedisServer;
let engines: EngineProcess[] = [];
let clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis({ appendfsync: 'always' });
});

afterAll(async () => {
  await redis?.stop();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') {
    for (const engine of engines) console.error(`--- engine on ${engine.port} ---\n${engine.output.slice(-6_000)}`);
  }
  for (const engine of engines) engine.resume();
  await Promise.all(engines.map((engine) => engine.stop()));
  for (const client of clients) client.disconnect();
  engines = [];
  clients = [];
});

function connection(): Redis {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** Snapshots trim the journal; tests that replay the whole journal turn them off. */
async function engine(partition: string, snapshotEveryCommands = 700): Promise<EngineProcess> {
  const process = await EngineProcess.spawn({
    REDIS_URL: redis.url,
    PARTITION: partition,
    LEASE_MS: '500',
    SNAPSHOT_EVERY_COMMANDS: String(snapshotEveryCommands),
  });
  engines.push(process);
  return process;
}

function setupCommands(): Command[] {
  const commands: Command[] = [{ type: 'CreateMarket', marketId: MARKET_ID, runnerCount: 3 }];
  for (let accountId = 1; accountId <= ACCOUNTS; accountId++) {
    commands.push({ type: 'OpenAccount', accountId });
    commands.push({ type: 'Deposit', accountId, transferId: `seed-${accountId}`, amountMinor: 10_000_000 });
  }
  return commands;
}

function orderCommand(next: () => number, index: number): Command {
  const accountId = 1 + Math.floor(next() * ACCOUNTS);
  return {
    type: 'PlaceOrder',
    accountId,
    clientOrderId: `o${index}`,
    marketId: MARKET_ID,
    runnerIndex: Math.floor(next() * 3),
    side: next() < 0.5 ? 'back' : 'lay',
    priceTicks: 95 + Math.floor(next() * 10),
    stakeMinor: 100 + Math.floor(next() * 4900),
  };
}

/** Sends a command until it is answered, retrying the same command (same client order id) on timeouts. */
async function submitUntilAnswered(client: EngineClient, command: Command): Promise<readonly EngineEvent[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.submit(command);
    } catch (error) {
      if (attempt > 40) throw error;
      await sleep(100);
    }
  }
}

interface StreamResult {
  /** Client order ids whose answer said accepted, with the order id. */
  readonly accepted: Map<string, number>;
  readonly answered: number;
}

/** Streams `count` seeded orders with `window` in flight; calls `midway` once after `midwayAt` answers. */
async function streamOrders(client: EngineClient, count: number, window: number, midwayAt: number, midway: () => Promise<void>): Promise<StreamResult> {
  const next = mulberry32(SEED);
  const commands = Array.from({ length: count }, (_, index) => orderCommand(next, index));
  const accepted = new Map<string, number>();
  let answered = 0;
  let sent = 0;
  let midwayDone = false;
  const worker = async (): Promise<void> => {
    while (sent < commands.length) {
      const command = commands[sent++] as Command & { clientOrderId: string };
      const events = await submitUntilAnswered(client, command);
      answered++;
      for (const event of events) {
        if (event.type === 'OrderAccepted') accepted.set(event.clientOrderId, event.orderId);
        if (event.type === 'OrderDuplicate' && event.orderId !== null) accepted.set(event.clientOrderId, event.orderId);
      }
      if (!midwayDone && answered >= midwayAt) {
        midwayDone = true;
        await midway();
      }
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return { accepted, answered };
}

async function journalEnvelopes(partition: string): Promise<CommandEnvelope[]> {
  const journal = await RedisJournal.connect(redis.url, partition);
  try {
    const envelopes: CommandEnvelope[] = [];
    let from = 1;
    for (;;) {
      const frames = await journal.read(from, 500);
      if (frames.length === 0) break;
      for (const frame of frames) {
        expect(frame.firstSeq, 'frames are contiguous').toBe(from);
        envelopes.push(...decodeFrameBody(frame.payload).envelopes);
        from = frame.lastSeq + 1;
      }
    }
    return envelopes;
  } finally {
    await journal.close();
  }
}

async function allEventFrames(partition: string): Promise<EventFrame[]> {
  const reader = connection();
  const frames: EventFrame[] = [];
  let after = 0;
  for (;;) {
    const batch = await readEventFrames(reader, partition, after, 1000, 1);
    if (batch.length === 0) return frames;
    frames.push(...batch);
    after = batch.at(-1)?.lastSeq ?? after;
  }
}

function checkEventSequences(frames: readonly EventFrame[]): void {
  const marketSeq = new Map<number, number>();
  let lastSeq = 0;
  for (const frame of frames) {
    expect(frame.firstSeq, 'event frames follow each other').toBe(lastSeq + 1);
    lastSeq = frame.lastSeq;
    for (const entry of frame.entries) {
      for (const event of entry.events) {
        if (!isMarketEvent(event)) continue;
        const marketEvent = event;
        const previous = marketSeq.get(marketEvent.marketId) ?? 0;
        expect(marketEvent.seq, `market ${marketEvent.marketId} seq after ${previous}`).toBe(previous + 1);
        marketSeq.set(marketEvent.marketId, marketEvent.seq);
      }
    }
  }
}

async function quiescentLeader(engine: EngineProcess, journalLastSeq: () => Promise<number>): Promise<{ seq: number; stateHash: string }> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const status = await engine.status();
    if (status.role === 'leader' && status.seq === (await journalLastSeq())) {
      await sleep(100);
      const again = await engine.status();
      if (again.seq === status.seq) return again;
    }
    await sleep(50);
  }
  throw new Error('the leader never caught up with the journal');
}

describe('engine failover (real processes, real Redis)', () => {
  it('kill -9 of the leader mid-stream: the standby takes over, nothing acknowledged is lost or duplicated', async () => {
    const partition = `kill-${SEED}`;
    const first = await engine(partition, 1_000_000_000);
    await first.waitForRole('leader');
    const second = await engine(partition, 1_000_000_000);
    await second.waitForRole('standby');
    const client = new EngineClient(connection(), connection(), partition, 2_000);
    await client.start(0);
    for (const command of setupCommands()) await submitUntilAnswered(client, command);

    let killedAtMs = 0;
    let takeoverMs = 0;
    const result = await streamOrders(client, 3000, 24, 1200, async () => {
      killedAtMs = Date.now();
      first.kill9();
      await second.waitForRole('leader');
      takeoverMs = Date.now() - killedAtMs;
    });
    console.log(`failover: standby led ${takeoverMs} ms after kill -9`);
    expect(takeoverMs).toBeGreaterThan(0);
    expect(result.answered).toBe(3000);

    const envelopes = await journalEnvelopes(partition);
    // The journal holds every acknowledged order exactly once.
    const reference = new ExchangeCore();
    const acceptedInJournal = new Map<string, number[]>();
    for (const envelope of envelopes) {
      for (const event of reference.apply(envelope)) {
        if (event.type === 'OrderAccepted') acceptedInJournal.set(event.clientOrderId, [...(acceptedInJournal.get(event.clientOrderId) ?? []), event.orderId]);
      }
    }
    for (const [clientOrderId, orderId] of result.accepted) {
      expect(acceptedInJournal.get(clientOrderId), clientOrderId).toEqual([orderId]);
    }
    for (const [clientOrderId, orderIds] of acceptedInJournal) expect(orderIds.length, clientOrderId).toBe(1);
    // The new leader's state is exactly the journal's.
    const journalLast = async (): Promise<number> => (await journalEnvelopes(partition)).at(-1)?.seq ?? 0;
    const leaderStatus = await quiescentLeader(second, journalLast);
    const replayed = new ExchangeCore();
    for (const envelope of await journalEnvelopes(partition)) replayed.apply(envelope);
    expect(leaderStatus.stateHash).toBe(replayed.stateHash());
    // Consumers see every market sequence number once, in order.
    checkEventSequences(await allEventFrames(partition));
    await client.close();
  });

  it('a paused leader resumed after the standby took over cannot append, and halts', async () => {
    const partition = `zombie-${SEED}`;
    const first = await engine(partition);
    await first.waitForRole('leader');
    const second = await engine(partition);
    await second.waitForRole('standby');
    const client = new EngineClient(connection(), connection(), partition, 2_000);
    await client.start(0);
    for (const command of setupCommands()) await submitUntilAnswered(client, command);
    const firstEpoch = (await first.status()).epoch;

    await streamOrders(client, 800, 8, 300, async () => {
      first.pause();
      await second.waitForRole('leader');
      await sleep(300);
      first.resume();
    });
    expect(await first.waitForExit(10_000), 'the zombie leader halts').not.toBe('running');
    const secondEpoch = (await second.status()).epoch;
    expect(secondEpoch).toBeGreaterThan(firstEpoch);

    // No frame of the old epoch comes after the first frame of the new one.
    const journal = await RedisJournal.connect(redis.url, partition);
    const epochs: number[] = [];
    for (let from = 1; ; ) {
      const frames = await journal.read(from, 500);
      if (frames.length === 0) break;
      for (const frame of frames) epochs.push(frame.epoch);
      from = (frames.at(-1)?.lastSeq ?? from) + 1;
    }
    await journal.close();
    for (let i = 1; i < epochs.length; i++) expect(epochs[i] as number).toBeGreaterThanOrEqual(epochs[i - 1] as number);
    expect(epochs).toContain(secondEpoch);
    await client.close();
  });

  it('Redis killed and restarted with its AOF: no acknowledged order is lost and the engine resumes', async () => {
    const partition = `redis-restart-${SEED}`;
    const first = await engine(partition, 1_000_000_000);
    await first.waitForRole('leader');
    // A hot standby, as deployed: if the outage outlasts the lease, the leader halts and it takes over.
    const second = await engine(partition, 1_000_000_000);
    await second.waitForRole('standby');
    const client = new EngineClient(connection(), connection(), partition, 2_000);
    await client.start(0);
    for (const command of setupCommands()) await submitUntilAnswered(client, command);

    const result = await streamOrders(client, 1500, 8, 500, async () => {
      await redis.kill9();
      await sleep(400);
      await redis.restart();
    });
    expect(result.answered).toBe(1500);
    const envelopes = await journalEnvelopes(partition);
    const acceptedInJournal = new Set<string>();
    const reference = new ExchangeCore();
    for (const envelope of envelopes) {
      for (const event of reference.apply(envelope)) if (event.type === 'OrderAccepted') acceptedInJournal.add(event.clientOrderId);
    }
    for (const clientOrderId of result.accepted.keys()) expect(acceptedInJournal.has(clientOrderId), clientOrderId).toBe(true);
    // Whichever instance leads now (the lease may have lapsed during the outage) applies new commands.
    const events = await submitUntilAnswered(client, { type: 'Deposit', accountId: 1, transferId: 'after-restart', amountMinor: 1 });
    expect(events.map((event) => event.type)).toContain('FundsDeposited');
    await client.close();
  });
});
