// The gateway process: the REST API and the WebSocket API over an in-process engine partition
// (file journal and snapshots under DATA_DIR, as the engine's embedded default builds them).
// Users, tokens and API keys live in PostgreSQL (DATABASE_URL, required for now); rate limits in
// Redis when REDIS_URL is set (per process otherwise).

import { Redis } from 'ioredis';
import { pino } from 'pino';
import { engineConfigFromEnv } from '../../engine/src/io/engine-config.js';
import { EnginePartition } from '../../engine/src/io/partition.js';
import { openStorage } from '../../engine/src/io/storage.js';
import { ApiKeyStore } from './accounts/api-key-store.js';
import { migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { gatewayConfigFromEnv } from './gateway-config.js';
import { PartitionLink } from './partition-link.js';
import { buildApp } from './rest/app.js';
import { RestReadModels } from './rest/read-models.js';
import { StoreAuthenticator } from './store-authenticator.js';
import { WS_PATH, WsServer } from './ws-server.js';

const config = gatewayConfigFromEnv();
if (config.databaseUrl === null) {
  console.error(
    'gateway: DATABASE_URL is required (users, refresh tokens and API keys live in PostgreSQL); ' +
      'the embedded PostgreSQL default is not wired yet. Example: DATABASE_URL=postgres://postgres@127.0.0.1:5432/playchacha',
  );
  process.exit(2);
}
const logger = pino({ level: config.logLevel, base: { svc: 'gateway' } });
if (!config.jwtSecretFromEnv) logger.warn('JWT_SECRET is not set: using a random secret; tokens will not survive a restart');

await migrate(config.databaseUrl);
const pool = createPool(config.databaseUrl, logger);
const redis = config.redisUrl === null ? undefined : new Redis(config.redisUrl, { connectTimeout: 500, maxRetriesPerRequest: 1 });
redis?.on('error', (error) => logger.warn({ err: error }, 'redis'));

// The in-process partition always journals to files: the Redis journal belongs to engine processes.
const engineConfig = { ...engineConfigFromEnv(), redisUrl: null };
const storage = await openStorage(engineConfig, logger);
const partition = new EnginePartition({
  partition: engineConfig.partition,
  journal: storage.journal,
  leadership: storage.leadership,
  snapshots: storage.snapshots,
  logger,
  snapshotEveryCommands: engineConfig.snapshotEveryCommands,
  snapshotEveryMs: engineConfig.snapshotEveryMs,
  standbyPollMs: engineConfig.standbyPollMs,
  onHalt: (reason) => {
    logger.fatal({ reason }, 'exiting: the partition halted');
    setTimeout(() => process.exit(3), 50);
  },
});
await partition.start();
while (partition.role !== 'leader') await new Promise((resolve) => setTimeout(resolve, 10));

const link = new PartitionLink(partition);
const readModels = new RestReadModels(link);
const jwt = { secret: config.jwtSecret, issuer: config.jwtIssuer, audience: config.jwtAudience };
const app = await buildApp({
  link,
  readModels,
  pool,
  ...(redis === undefined ? {} : { redis }),
  accessTokens: { ...jwt, ttlSeconds: config.accessTokenTtlSeconds },
  refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
  testDeposits: !config.stripeConfigured,
  adminEmails: config.adminEmails,
  logger,
});
const ws = await WsServer.start({ link, authenticator: new StoreAuthenticator(jwt, new ApiKeyStore(pool)), port: config.wsPort, host: config.host, logger });
await app.listen({ port: config.httpPort, host: config.host });
const httpPort = (app.server.address() as { port: number }).port;
const api = `http://${config.host}:${httpPort}`;
console.log(`READY api=${api} docs=${api}/docs/json ws=ws://${config.host}:${ws.port}${WS_PATH}`);

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'shutting down');
  await app.close();
  await ws.close();
  readModels.stop();
  await partition.stop();
  await storage.close();
  await pool.end();
  redis?.disconnect();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
