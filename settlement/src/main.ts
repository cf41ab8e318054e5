// The settlement worker process. Environment: DATABASE_URL, REDIS_URL, PARTITION (default p0), or
// over a partitioned engine its topology (RISK_PARTITIONS, MATCHING_PARTITIONS, MARKET_PARTITIONS,
// as the engine's): then it follows every partition's events stream into the one ledger, a reader
// each (the risk partitions' carry the money, the matching partitions' the markets' outcomes). CONSUMER (default settlement-<hostname>), BATCH_ENTRIES_MAX (default 64), MIGRATE (default 1:
// apply pending migrations at start), SETTLEMENT_HTTP_HOST / SETTLEMENT_HTTP_PORT (default
// 127.0.0.1 / 8084: /healthz, /readyz, /metrics), LOG_LEVEL, and the OpenTelemetry variables
// (OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on). SIGTERM or SIGINT finishes the batch in hand and
// exits 0; a failure that retrying cannot fix exits 1.

import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { PartitionTopology } from '../../engine/src/core/partition-topology.js';
import { envInteger, partitionTopologyFromEnv } from '../../engine/src/io/engine-config.js';
import { eventsKey } from '../../engine/src/io/redis-streams.js';
import { startTracing } from '../../engine/src/io/tracing.js';
import { connectDatabase } from './db/database.js';
import { migrate } from './db/migrate.js';
import { startSettlementHttp } from './io/settlement-http.js';
import { createSettlementMetrics } from './settlement-metrics.js';
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
  const env = process.env;
  const logger = pino({ level: env['LOG_LEVEL'] ?? 'info', base: { svc: 'settlement' } });
  const databaseUrl = required('DATABASE_URL');
  const redisUrl = required('REDIS_URL');
  const partitioned = (env['RISK_PARTITIONS'] ?? '') !== '' || (env['MATCHING_PARTITIONS'] ?? '') !== '';
  if (partitioned && (env['PARTITION'] ?? '') !== '') throw new Error('PARTITION and a partitioned engine topology are exclusive');
  const topology = partitioned ? new PartitionTopology(partitionTopologyFromEnv(env, 'a partitioned engine')) : null;
  const partitions = topology === null ? [env['PARTITION'] ?? 'p0'] : [...topology.riskNames, ...topology.matchingNames];
  const partition = partitions.join(',');
  const httpHost = env['SETTLEMENT_HTTP_HOST'] ?? '127.0.0.1';
  const httpPort = envInteger(env, 'SETTLEMENT_HTTP_PORT', 8084);
  const tracing = startTracing('settlement');
  const metrics = createSettlementMetrics(partition);
  // Signals are handled from the first moment: one that arrives before the worker runs stops it at once.
  let stopSignal: string | null = null;
  let workers: SettlementWorker[] = [];
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    stopSignal = signal;
    for (const worker of workers) void worker.stop();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  if ((process.env['MIGRATE'] ?? '1') === '1') {
    const ran = await migrate(databaseUrl, 'up');
    if (ran.length > 0) logger.info({ migrations: ran }, 'migrated');
  }
  const sql = connectDatabase(databaseUrl, { onIdleError: (error) => logger.warn({ err: error }, 'idle database connection lost') });
  // One connection per stream: each worker's waits in blocking reads.
  const streamRedis = partitions.map(() => new Redis(redisUrl, { maxRetriesPerRequest: 2 }));
  // Health checks and the lag gauge.
  const monitorRedis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  for (const client of [...streamRedis, monitorRedis]) client.on('error', (error) => logger.warn({ err: error }, 'redis'));
  const faults: WorkerFaults = {
    ...(optionalInteger('FAULT_PAUSE_BEFORE_COMMIT_MS') === undefined ? {} : { pauseBeforeCommitMs: optionalInteger('FAULT_PAUSE_BEFORE_COMMIT_MS') as number }),
    ...(optionalInteger('FAULT_PAUSE_AFTER_COMMIT_MS') === undefined ? {} : { pauseAfterCommitMs: optionalInteger('FAULT_PAUSE_AFTER_COMMIT_MS') as number }),
  };
  const batchEntriesMax = optionalInteger('BATCH_ENTRIES_MAX');
  workers = partitions.map(
    (name, index) =>
      new SettlementWorker({
        sql,
        redis: streamRedis[index] as Redis,
        partition: name,
        logger: partitions.length === 1 ? logger : logger.child({ partition: name }),
        consumer: process.env['CONSUMER'] ?? `settlement-${hostname()}`,
        faults,
        metrics,
        tracer: tracing.tracer,
        ...(topology === null ? {} : { role: topology.riskNames.includes(name) ? ('risk' as const) : ('matching' as const) }),
        ...(batchEntriesMax === undefined ? {} : { batchEntriesMax }),
      }),
  );
  let failed = false;
  let server: Server | null = null;
  if (stopSignal !== null) for (const worker of workers) void worker.stop();
  try {
    server = await startSettlementHttp({
      host: httpHost,
      port: httpPort,
      sql,
      redis: monitorRedis,
      streamKey: partitions.length === 1 ? eventsKey(partitions[0] as string) : partitions.map(eventsKey),
      metrics,
      consuming: () => workers.every((worker) => worker.consuming),
      healthy: () => !failed,
    });
    const address = server.address();
    logger.info({ url: `http://${httpHost}:${typeof address === 'object' && address !== null ? address.port : httpPort}` }, 'settlement http listening');
    // One worker failing stops the others: the process exits and a restart resumes every stream.
    await Promise.all(
      workers.map((worker) =>
        worker.run().catch(async (error: unknown) => {
          failed = true;
          await Promise.all(workers.map((other) => other.stop()));
          throw error;
        }),
      ),
    );
  } finally {
    server?.close();
    await sql.end();
    for (const client of streamRedis) client.disconnect();
    monitorRedis.disconnect();
    await tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'trace export failed'));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    pino({ base: { svc: 'settlement' } }).fatal({ err: error }, 'settlement worker failed');
    process.exit(1);
  },
);
