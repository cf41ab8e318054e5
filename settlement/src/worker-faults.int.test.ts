// Faults against the worker as a child process: kill -9 inside a batch's database transaction,
// kill -9 between COMMIT and XACK, kill -9 at random moments, and PostgreSQL killed with -9 and
// restarted while batches are in flight. After each, a restarted worker brings the ledger to the
// engine's state with every entry applied exactly once: the same transactions and balances as a
// reference posting of the whole stream, the engine's balances, and every invariant.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPostgres, sharedRedis, type SharedServer } from '../../scripts/test-context.js';
import { startPostgres, type PostgresServer } from '../../scripts/test-servers.js';
import { decodeEventFrame } from '../../engine/src/io/frame-codec.js';
import { eventsKey } from '../../engine/src/io/redis-streams.js';
import { connectDatabase, query, toMinor, type Db } from './db/database.js';
import { migrate } from './db/migrate.js';
import { EventStream } from './io/event-stream.js';
import { checkInvariants } from './invariants.js';
import { postEntries, type CommandEntry } from './posting/posting-rules.js';
import { appliedSeq, compareFigures, ledgerFigures } from './reconcile.js';
import { startEngine, type EngineHarness } from './testing/engine-harness.js';
import { freshDatabase } from './testing/fresh-database.js';
import { runExchangeDay, runSeededLoad } from './testing/scenario.js';
import { WorkerProcess } from './testing/worker-process.js';

let redisServer: SharedServer;
let postgresServer: SharedServer;
let redis: Redis;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  [redisServer, postgresServer] = await Promise.all([sharedRedis(), sharedPostgres()]);
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  redis?.disconnect();
  await Promise.all([redisServer?.release(), postgresServer?.release()]);
});

interface Setup {
  readonly engine: EngineHarness;
  readonly databaseUrl: string;
  readonly partition: string;
  readonly env: Record<string, string>;
}

async function setUp(partition: string, databaseServerUrl = postgresServer.url): Promise<Setup> {
  const engine = await startEngine(redisServer.url, partition);
  cleanups.push(() => engine.stop());
  const databaseUrl = await freshDatabase(databaseServerUrl);
  return {
    engine,
    databaseUrl,
    partition,
    env: { DATABASE_URL: databaseUrl, REDIS_URL: redisServer.url, PARTITION: partition, CONSUMER: 'w1', BATCH_ENTRIES_MAX: '4' },
  };
}

function spawnWorker(env: Record<string, string>): WorkerProcess {
  const worker = WorkerProcess.spawn(env);
  cleanups.push(async () => {
    if (worker.child.exitCode === null && worker.child.signalCode === null) await worker.kill9();
  });
  return worker;
}

async function withSql<T>(databaseUrl: string, use: (sql: Db) => Promise<T>): Promise<T> {
  const sql = connectDatabase(databaseUrl);
  try {
    return await use(sql);
  } finally {
    await sql.end();
  }
}

/** Runs a worker until the ledger has applied the engine's last seq, then stops it with SIGTERM. */
async function drain(setup: Setup): Promise<WorkerProcess> {
  const worker = spawnWorker(setup.env);
  await worker.waitForOutput('settlement worker running');
  const target = setup.engine.partition.appliedSeq;
  await withSql(setup.databaseUrl, async (sql) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const seq = await appliedSeq(sql, setup.partition).catch(() => 0);
      if (seq >= target) return;
      if (Date.now() > deadline) throw new Error(`ledger at seq ${seq}, engine at ${target}:\n${worker.output.slice(-4_000)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });
  expect(await worker.terminate()).toBe(0);
  return worker;
}

/** The whole stream posted at once by the pure rules: what the ledger must hold. */
async function referencePosting(partition: string): Promise<{ transactions: number; balances: Map<string, number>; entries: number }> {
  const raw = await redis.xrangeBuffer(eventsKey(partition), '-', '+');
  const entries: CommandEntry[] = raw.flatMap(([, fields]) =>
    decodeEventFrame(fields[1] as Buffer).entries.map((e) => ({ seq: e.seq, events: e.events })),
  );
  const posting = postEntries(entries, new Map());
  return { transactions: posting.transactions.length, balances: posting.balances, entries: raw.length };
}

async function expectExactlyOnce(setup: Setup): Promise<void> {
  const reference = await referencePosting(setup.partition);
  await withSql(setup.databaseUrl, async (sql) => {
    const [counts] = await query(sql, `
      SELECT (SELECT COUNT(*) FROM ledger_transactions) AS transactions,
             (SELECT COUNT(*) FROM applied_stream_entries) AS entries`);
    expect(toMinor(counts?.['transactions'])).toBe(reference.transactions);
    expect(toMinor(counts?.['entries'])).toBe(reference.entries);
    const rows = await query(sql, `SELECT code, balance_minor FROM ledger_accounts WHERE balance_minor <> 0`);
    const balances = new Map(rows.map((r) => [r['code'] as string, toMinor(r['balance_minor'])]));
    const nonZero = new Map([...reference.balances].filter(([, v]) => v !== 0));
    expect(balances).toEqual(nonZero);
    expect(compareFigures(setup.engine.partition.core.accounts(), await ledgerFigures(sql))).toEqual([]);
    expect(await checkInvariants(sql)).toEqual([]);
  });
  const stream = new EventStream(redis, setup.partition, 'settlement', 'observer');
  expect(await stream.pendingCount()).toBe(0);
}

describe('settlement worker under faults', () => {
  it('kill -9 inside a batch transaction: nothing is committed, the restart applies it once', async () => {
    const setup = await setUp('kill-mid-batch');
    await runExchangeDay(setup.engine);
    const victim = spawnWorker({ ...setup.env, FAULT_PAUSE_BEFORE_COMMIT_MS: '60000' });
    await victim.waitForOutput('fault: pausing before commit');
    await victim.kill9();
    await withSql(setup.databaseUrl, async (sql) => {
      expect(await appliedSeq(sql, setup.partition)).toBe(0);
      expect(toMinor((await query(sql, `SELECT COUNT(*) AS n FROM ledger_lines`))[0]?.['n'])).toBe(0);
    });
    expect(await new EventStream(redis, setup.partition, 'settlement', 'observer').pendingCount()).toBeGreaterThan(0);
    const restarted = await drain(setup);
    expect(restarted.output).toContain('claimed pending entries');
    await expectExactlyOnce(setup);
  });

  it('kill -9 between COMMIT and XACK: the restart skips the applied entries and acknowledges them', async () => {
    const setup = await setUp('kill-before-ack');
    await runExchangeDay(setup.engine);
    const victim = spawnWorker({ ...setup.env, FAULT_PAUSE_AFTER_COMMIT_MS: '60000' });
    await victim.waitForOutput('fault: committed, pausing before ack');
    await victim.kill9();
    const committedSeq = await withSql(setup.databaseUrl, (sql) => appliedSeq(sql, setup.partition));
    expect(committedSeq).toBeGreaterThan(0);
    expect(await new EventStream(redis, setup.partition, 'settlement', 'observer').pendingCount()).toBeGreaterThan(0);
    const restarted = await drain(setup);
    expect(restarted.output).toContain('skipped entries already applied');
    await expectExactlyOnce(setup);
  });

  it('kill -9 at random moments, three times, then a clean run', async () => {
    const setup = await setUp('kill-random');
    await runExchangeDay(setup.engine);
    await runSeededLoad(setup.engine, 11, 400);
    const seed = Number(process.env['SEED'] ?? 20_251_125);
    for (let i = 0; i < 3; i++) {
      const victim = spawnWorker({ ...setup.env, BATCH_ENTRIES_MAX: '2', FAULT_PAUSE_AFTER_COMMIT_MS: '5' });
      await victim.waitForOutput('settlement worker running');
      await new Promise((resolve) => setTimeout(resolve, 50 + ((seed * (i + 7)) % 250)));
      await victim.kill9();
    }
    await drain(setup);
    await expectExactlyOnce(setup);
  });
});

describe('settlement worker across a PostgreSQL crash', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('survives PostgreSQL killed with -9 and restarted mid-batch, and applies every entry once', async () => {
    const setup = await setUp('pg-crash', server.url);
    await migrate(setup.databaseUrl, 'up');
    await runExchangeDay(setup.engine);
    await runSeededLoad(setup.engine, 12, 300);
    const worker = spawnWorker({
      ...setup.env,
      BATCH_ENTRIES_MAX: '2',
      FAULT_PAUSE_BEFORE_COMMIT_MS: '40',
      FAULT_PAUSE_AFTER_COMMIT_MS: '10',
    });
    await worker.waitForOutput('fault: committed, pausing before ack');
    for (let crash = 0; crash < 2; crash++) {
      await worker.waitForOutput('fault: pausing before commit', 30_000, worker.output.length);
      await server.kill9();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await server.restart();
    }
    await worker.waitForOutput('fault: committed, pausing before ack', 30_000, worker.output.length);
    expect(worker.child.exitCode).toBeNull();
    expect(worker.output).toMatch(/could not apply a batch; retrying/);
    const target = setup.engine.partition.appliedSeq;
    await withSql(setup.databaseUrl, async (sql) => {
      const deadline = Date.now() + 90_000;
      while ((await appliedSeq(sql, setup.partition)) < target) {
        if (Date.now() > deadline) throw new Error(`the worker did not catch up:\n${worker.output.slice(-4_000)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
    expect(await worker.terminate()).toBe(0);
    await expectExactlyOnce(setup);
  });
});
