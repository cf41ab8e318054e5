// The settlement worker process. Environment: DATABASE_URL, REDIS_URL, PARTITION (default p0),
// CONSUMER (default settlement-<hostname>), BATCH_ENTRIES_MAX (default 64), MIGRATE (default 1:
// apply pending migrations at start), LOG_LEVEL. SIGTERM or SIGINT finishes the batch in hand and
// exits 0; a failure that retrying cannot fix exits 1.

import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { connectDatabase } from './db/database.js';
import { migrate } from './db/migrate.js';
import { SettlementWorker, type WorkerFaults } from './worker.js';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

function optionalInteger(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${text}`);
  return value;
}

async function main(): Promise<void> {
  const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'info', base: { svc: 'settlement' } });
  const databaseUrl = required('DATABASE_URL');
  const redisUrl = required('REDIS_URL');
  const partition = process.env['PARTITION'] ?? 'p0';
  // Signals are handled from the first moment: one that arrives before the worker runs stops it at once.
  let stopSignal: string | null = null;
  let worker: SettlementWorker | null = null;
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    stopSignal = signal;
    void worker?.stop();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  if ((process.env['MIGRATE'] ?? '1') === '1') {
    const ran = await migrate(databaseUrl, 'up');
    if (ran.length > 0) logger.info({ migrations: ran }, 'migrated');
  }
  const sql = connectDatabase(databaseUrl, { onIdleError: (error) => logger.warn({ err: error }, 'idle database connection lost') });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis'));
  const faults: WorkerFaults = {
    ...(optionalInteger('FAULT_PAUSE_BEFORE_COMMIT_MS') === undefined ? {} : { pauseBeforeCommitMs: optionalInteger('FAULT_PAUSE_BEFORE_COMMIT_MS') as number }),
    ...(optionalInteger('FAULT_PAUSE_AFTER_COMMIT_MS') === undefined ? {} : { pauseAfterCommitMs: optionalInteger('FAULT_PAUSE_AFTER_COMMIT_MS') as number }),
  };
  const batchEntriesMax = optionalInteger('BATCH_ENTRIES_MAX');
  worker = new SettlementWorker({
    sql,
    redis,
    partition,
    logger,
    consumer: process.env['CONSUMER'] ?? `settlement-${hostname()}`,
    faults,
    ...(batchEntriesMax === undefined ? {} : { batchEntriesMax }),
  });
  if (stopSignal !== null) void worker.stop();
  try {
    await worker.run();
  } finally {
    await sql.end();
    redis.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    pino({ base: { svc: 'settlement' } }).fatal({ err: error }, 'settlement worker failed');
    process.exit(1);
  },
);
