// The engine process. It runs one partition: restores it from the newest snapshot and the journal,
// stands by, and leads once it holds the partition's lease. With REDIS_URL it journals to Redis
// Streams and takes commands from the partition's Redis inbox; without it, it runs on the
// embedded defaults (file journal and snapshots under DATA_DIR) with a demo market.

import { join } from 'node:path';
import { pino } from 'pino';
import { engineConfigFromEnv } from './io/engine-config.js';
import { startEngineHttp } from './io/engine-http.js';
import { DemoMarketMaker } from './io/demo-market.js';
import { createEngineMetrics } from './io/metrics.js';
import { openStorage, processPartition } from './io/storage.js';
import { startTracing } from './io/tracing.js';

const config = engineConfigFromEnv();
const logger = pino({ level: config.logLevel, base: { svc: 'engine', partition: config.partition } });
const metrics = createEngineMetrics(config.partition);
const tracing = startTracing('engine');
// On files no settlement worker runs in this process to read and trim an events log, so none is kept.
const storage = await openStorage(config, logger, { eventLog: false });
let demo: DemoMarketMaker | null = null;

const partition = processPartition(config, storage, logger, metrics, tracing.tracer);

const server = await startEngineHttp({
  partition,
  metrics,
  host: config.httpHost,
  port: config.httpPort,
  extraStatus: () => ({ partition: config.partition, mode: config.redisUrl === null ? 'embedded' : 'redis', dataDir: join(config.dataDir) }),
});

await partition.start();
const url = `http://${config.httpHost}:${config.httpPort}`;
if (config.redisUrl === null) {
  // Embedded: this process is the only candidate, so it leads as soon as it has restored.
  while (partition.role !== 'leader') await new Promise((resolve) => setTimeout(resolve, 10));
  if (config.demo) {
    demo = new DemoMarketMaker((command) => partition.submit(command));
    await demo.start(1000, partition.core.market(1) !== undefined);
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
