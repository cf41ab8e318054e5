// The settlement worker process's side door, scraped while it runs against a real engine
// partition over Redis and a real PostgreSQL: /healthz, /readyz (ready while it consumes and both
// PostgreSQL and Redis answer; not ready, though alive, once Redis is gone) and /metrics (the lag
// while a batch is held before its commit, then what was applied and no lag).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPostgres, type SharedServer } from '../../scripts/test-context.js';
import { startRedis, type RedisServer } from '../../scripts/test-servers.js';
import { startEngine, type EngineHarness } from './testing/engine-harness.js';
import { freshDatabase } from './testing/fresh-database.js';
import { WorkerProcess } from './testing/worker-process.js';

const PARTITION = 'p-http';
let redisServer: RedisServer;
let postgresServer: SharedServer;
let engine: EngineHarness | null = null;
let worker: WorkerProcess | null = null;

beforeAll(async () => {
  // A Redis of this file's own: the last test stops it.
  [redisServer, postgresServer] = await Promise.all([startRedis(), sharedPostgres()]);
});

afterAll(async () => {
  if (worker !== null && worker.child.exitCode === null && worker.child.signalCode === null) await worker.kill9();
  await engine?.stop().catch(() => undefined);
  await redisServer?.stop().catch(() => undefined);
  await postgresServer?.release();
});

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, text: await response.text() };
}

/** The value of an unlabelled sample (apart from the default partition label) in a scrape. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in:\n${text}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${worker?.output.slice(-4_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the settlement worker process serves /healthz, /readyz and /metrics', () => {
  let url = '';
  let eventsPublished = 0;

  it('reports the lag of a batch held before its commit, then what it applied', async () => {
    engine = await startEngine(redisServer.url, PARTITION);
    const answers = await engine.submitAll([
      { type: 'OpenAccount', accountId: 1 },
      { type: 'OpenAccount', accountId: 2 },
      { type: 'Deposit', accountId: 1, transferId: 'h-1', amountMinor: 50_000 },
      { type: 'Deposit', accountId: 2, transferId: 'h-2', amountMinor: 70_000 },
    ]);
    eventsPublished = answers.reduce((sum, events) => sum + events.length, 0);
    const lastSeq = engine.partition.appliedSeq;
    const databaseUrl = await freshDatabase(postgresServer.url);
    worker = WorkerProcess.spawn({
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisServer.url,
      PARTITION,
      CONSUMER: 'http',
      FAULT_PAUSE_BEFORE_COMMIT_MS: '4000',
    });
    url = await worker.httpUrl();
    expect((await get(`${url}/healthz`)).status).toBe(200);

    await worker.waitForOutput('fault: pausing before commit');
    const held = (await get(`${url}/metrics`)).text;
    expect(sample(held, 'exch_settlement_consumer_lag_commands')).toBe(lastSeq);
    expect(sample(held, 'exch_settlement_ledger_seq')).toBe(0);
    expect(sample(held, 'exch_settlement_batches_total')).toBe(0);

    await until('the ledger to apply every frame', async () => sample((await get(`${url}/metrics`)).text, 'exch_settlement_ledger_seq') === lastSeq);
    const done = (await get(`${url}/metrics`)).text;
    expect(sample(done, 'exch_settlement_consumer_lag_commands')).toBe(0);
    expect(sample(done, 'exch_settlement_events_applied_total')).toBe(eventsPublished);
    expect(sample(done, 'exch_settlement_entries_applied_total')).toBeGreaterThanOrEqual(1);
    expect(sample(done, 'exch_settlement_batches_total')).toBeGreaterThanOrEqual(1);
    expect(sample(done, 'exch_settlement_batch_duration_seconds_count')).toBe(sample(done, 'exch_settlement_batches_total'));
    expect(done).toMatch(/^# TYPE exch_settlement_errors_total counter/m);
    expect(done).not.toMatch(/^exch_settlement_errors_total\{/m);
    expect(done).toMatch(/^exch_settlement_process_cpu_seconds_total/m);
  });

  it('is ready while it consumes with PostgreSQL and Redis up', async () => {
    const ready = await get(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ ready: true, failing: [] });
    expect((await get(`${url}/nowhere`)).status).toBe(404);
  });

  it('is alive but not ready once Redis is gone, and counts the retries', async () => {
    await engine?.stop();
    engine = null;
    await redisServer.kill9();
    const notReady = await get(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.text)).toMatchObject({ ready: false });
    expect((JSON.parse(notReady.text) as { failing: string[] }).failing).toContain('redis');
    expect((await get(`${url}/healthz`)).status).toBe(200);
    await until('a retried stream read', async () => /exch_settlement_retries_total\{[^}]*operation="read the events stream"[^}]*\} [1-9]/.test((await get(`${url}/metrics`)).text));
  });
});
