// The engine process. It runs one partition: restores it from the newest snapshot and the journal,
// stands by, and leads once it holds the partition's lease. With REDIS_URL it journals to Redis
// Streams and takes commands from the partition's Redis inbox; without it, it runs on the
// embedded defaults (file journal and snapshots under DATA_DIR) with a demo market. The partition
// runs both stages (ENGINE_ROLE=combined, the default) or is one risk or matching partition of a
// partitioned engine, taking hand-offs from its own Redis stream and appending its own to others'.

import { join } from 'node:path';
import { pino } from 'pino';
import { EngineConfigError, engineConfigFromEnv, type EngineConfig } from './io/engine-config.js';
import { startEngineHttp } from './io/engine-http.js';
import { DemoMarketMaker } from './io/demo-market.js';
import { createEngineMetrics } from './io/metrics.js';
import { openStorage, processPartition, processPartitionOfTopology } from './io/storage.js';
import { startTracing } from './io/tracing.js';

function configOrExit(): EngineConfig {
  try {
    return engineConfigFromEnv();
  } catch (error) {
    if (!(error instanceof EngineConfigError)) throw error;
    console.error(`invalid engine configuration: ${error.message}`);
    process.exit(2);
  }
}

const config = configOrExit();
const logger = pino({ level: config.logLevel, base: { svc: 'engine', partition: config.partition } });
const metrics = createEngineMetrics(config.partition);
const tracing = startTracing('engine');
// On files no settlement worker runs in this process to read and trim an events log, so none is kept.
const storage = await openStorage(config, logger, { eventLog: false });
let demo: DemoMarketMaker | null = null;

const partition = config.role === 'combined' ? processPartition(config, storage, logger, metrics, tracing.tracer) : processPartitionOfTopology(config, storage, logger, metrics, tracing.tracer);
const combined = config.role === 'combined' ? (partition as ReturnType<typeof processPartition>) : null;

const server = await startEngineHttp({
  partition,
  metrics,
  host: config.httpHost,
  port: config.httpPort,
  extraStatus: () => ({
    partition: config.partition,
    engineRole: config.role,
    mode: config.redisUrl === null ? 'embedded' : 'redis',
    dataDir: join(config.dataDir),
    ...(combined === null ? { handOffMarks: (partition.core as { handOffMarks(): unknown }).handOffMarks() } : {}),
  }),
});

await partition.start();
const url = `http://${config.httpHost}:${config.httpPort}`;
if (config.redisUrl === null) {
  // Embedded: this process is the only candidate, so it leads as soon as it has restored.
  while (partition.role !== 'leader') await new Promise((resolve) => setTimeout(resolve, 10));
  if (config.demo && combined !== null) {
    demo = new DemoMarketMaker((command) => combined.submit(command));
    await demo.start(1000, combined.core.market(1) !== undefined);
  }
  console.log(`READY engine=${url}/status metrics=${url}/metrics`);
} else {
  console.log(`READY engine=${url}/status metrics=${url}/metrics role=${partition.role}`);
}

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'shutting down');
  demo?.stop();
  await partition.stop();
  await storage.close();
  await tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'trace export failed'));
  server.close(() => process.exit(0));
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
