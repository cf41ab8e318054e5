// The gateway process: the REST API and the WebSocket API over an in-process engine partition
// (file journal, snapshots and events log under DATA_DIR, as the engine's embedded default builds
// them), with the engine's status and metrics side door; or, with ENGINE_REMOTE=1, over engine
// processes elsewhere, followed through Redis (a read-only replica and the partition's inbox; with
// the partitioned engine's topology set, a replica and an inbox per risk and matching partition).
// On the embedded default the settlement worker runs here too, applying the events log to the
// ledger in the same database (SETTLEMENT_IN_PROCESS=0 turns it off), and so do the payments
// routes (withdrawals; TEST payouts without Stripe keys). Users, tokens and API keys live in PostgreSQL:
// DATABASE_URL, or on the embedded default PGlite served over its socket server. Rate limits live
// in Redis when REDIS_URL is set (per process otherwise). The catalog's scheduler drives catalog
// markets through their life. DEMO=1 (the default without DATABASE_URL) seeds a demo market and
// the demo catalog (the example fixtures, a few in play), quoted by a market maker.

import { Redis } from 'ioredis';
import { pino } from 'pino';
import { engineConfigFromEnv } from '../../engine/src/io/engine-config.js';
import type { EnginePartition } from '../../engine/src/io/partition.js';
import { openStorage, processPartition, type EngineStorage } from '../../engine/src/io/storage.js';
import { connectDatabase } from '../../settlement/src/db/database.js';
import { migrate as migrateLedger } from '../../settlement/src/db/migrate.js';
import { LogSettlement } from '../../settlement/src/log-settlement.js';
import { ApiKeyStore } from './accounts/api-key-store.js';
import { AuditLog } from './accounts/audit-log.js';
import { ProfileService } from './accounts/profiles.js';
import { CatalogService } from './catalog/catalog-service.js';
import { DemoCatalog, seedDemoCatalog } from './catalog/demo-catalog.js';
import { corePositions } from './catalog/risk-read-model.js';
import { CatalogScheduler } from './catalog/scheduler.js';
import { migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import type { EngineLink } from './engine-link.js';
import { gatewayConfigFromEnv, TOPOLOGY_VARIABLES } from './gateway-config.js';
import { createGatewayMetrics } from './gateway-metrics.js';
import { PartitionLink } from './partition-link.js';
import { connectPartitionedLink, type PartitionedLinkHandle } from './partitioned-link.js';
import { connectRedisLink, type RedisLinkHandle } from './redis-link.js';
import { buildApp } from './rest/app.js';
import { GatewayReadModels } from './read-models.js';
import { StoreAuthenticator } from './store-authenticator.js';
import { WS_PATH, WsServer } from './ws-server.js';
import { startMetricsHttp } from './metrics-http.js';
import { DemoMarketMaker } from '../../engine/src/io/demo-market.js';
import { startEngineHttp } from '../../engine/src/io/engine-http.js';
import { createEngineMetrics } from '../../engine/src/io/metrics.js';
import { startTracing } from '../../engine/src/io/tracing.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { startEmbeddedPayments } from './embedded-payments.js';

const config = gatewayConfigFromEnv();
const logger = pino({ level: config.logLevel, base: { svc: 'gateway' } });
const tracing = startTracing('gateway');
if (!config.jwtSecretFromEnv) logger.warn('JWT_SECRET is not set: using a random secret; tokens will not survive a restart');

// The in-process partition journals to Redis Streams when REDIS_URL is set (and then also takes
// commands from its Redis inbox and publishes its events stream, for the payments service and the
// settlement worker); otherwise to files under DATA_DIR. A second gateway process on the same
// partition is a hot standby: it restores, follows the journal, and serves once it leads.
// A gateway over a partitioned engine reads the topology itself (gateway-config.ts); the rest of
// the engine's configuration (data directory, ports) is read as for one combined partition.
const engineConfig = engineConfigFromEnv(config.engineTopology === null ? process.env : { ...process.env, ...Object.fromEntries(TOPOLOGY_VARIABLES.map((name) => [name, ''])) });
const embeddedPostgres = config.databaseUrl === null ? await startEmbeddedPostgres(engineConfig.dataDir) : null;
const databaseUrl = config.databaseUrl ?? (embeddedPostgres as EmbeddedPostgres).url;
await migrate(databaseUrl);
// PGlite serves one session: its socket server interleaves the extended-protocol messages of
// concurrent connections (one connection's Bind can land on another's Parse), so on the embedded
// default every user of the database shares one connection.
const pool = createPool(databaseUrl, logger, embeddedPostgres === null ? 10 : 1);
// A read replica for the public catalog and the wallet history (embedded: the one connection).
const readPool = config.databaseReadUrl === null || embeddedPostgres !== null ? pool : createPool(config.databaseReadUrl, logger, 10);
const redis = config.redisUrl === null ? undefined : new Redis(config.redisUrl, { connectTimeout: 500, maxRetriesPerRequest: 1 });
redis?.on('error', (error) => logger.warn({ err: error }, 'redis'));

const metrics = createEngineMetrics(engineConfig.partition);
const gatewayMetrics = createGatewayMetrics();
let storage: EngineStorage | null = null;
let remote: RedisLinkHandle | null = null;
let partitioned: PartitionedLinkHandle | null = null;
// The in-process partition, or the replica of the one combined partition (null over a partitioned engine).
let partition: EnginePartition | null = null;
let link: EngineLink;
if (config.engineRemote && config.engineTopology !== null) {
  if (config.redisUrl === null) throw new Error('ENGINE_REMOTE=1 needs REDIS_URL');
  partitioned = await connectPartitionedLink({ redisUrl: config.redisUrl, topology: config.engineTopology, logger });
  link = partitioned.link;
} else if (config.engineRemote) {
  if (config.redisUrl === null) throw new Error('ENGINE_REMOTE=1 needs REDIS_URL');
  remote = await connectRedisLink({ redisUrl: config.redisUrl, partition: engineConfig.partition, logger });
  partition = remote.replica;
  link = remote.link;
} else {
  storage = await openStorage(engineConfig, logger);
  partition = processPartition(engineConfig, storage, logger, metrics, tracing.tracer);
  await partition.start();
  while (partition.role !== 'leader') await new Promise((resolve) => setTimeout(resolve, 10));
  link = new PartitionLink(partition);
}

// The embedded default's settlement: the events log into the ledger tables of the same database.
const eventLog = storage?.eventLog;
const ledgerSql = eventLog !== undefined && config.settlementInProcess ? (embeddedPostgres === null ? connectDatabase(databaseUrl) : pool) : null;
let settlement: LogSettlement | null = null;
if (eventLog !== undefined && ledgerSql !== null && partition !== null) {
  const embedded = partition;
  await migrateLedger(databaseUrl, 'up');
  const worker = new LogSettlement({
    sql: ledgerSql,
    source: eventLog,
    partition: engineConfig.partition,
    logger,
    tracer: tracing.tracer,
    idleMs: 25,
    onFatal: (error) => {
      if (worker.ledgerSeq === 0) {
        // A data directory from before the events log: the ledger never started, nothing is lost.
        logger.error({ err: error }, 'the events log does not start at the first command: settlement stays off for this data directory');
        return;
      }
      logger.fatal({ err: error }, 'settlement cannot continue');
      setTimeout(() => process.exit(4), 50);
    },
  });
  embedded.onFrame(() => worker.wake());
  void worker.run();
  settlement = worker;
  setInterval(() => gatewayMetrics.settlementLagCommands.set(Math.max(0, embedded.appliedSeq - worker.ledgerSeq)), 1_000).unref();
}

// One set of read models, fed once per frame: the REST API answers from them, the WebSocket server fans out from them.
const readModels = new GatewayReadModels(link);
const jwt = { secret: config.jwtSecret, issuer: config.jwtIssuer, audience: config.jwtAudience };
// With the partition and its ledger in this process no payments service can reach the partition:
// the gateway serves the payments routes itself, paying out through the labelled TEST payouts
// when no Stripe keys are set.
const payments = settlement === null || ledgerSql === null ? null : startEmbeddedPayments({ db: ledgerSql, link, jwt, logger });
if (payments?.test === true) logger.info('withdrawals are paid by TEST payouts (no Stripe keys): nothing is sent to a bank');
const catalog = new CatalogService(pool, link, readModels.markets, new AuditLog(pool), undefined, readPool);
const app = await buildApp({
  link,
  readModels,
  pool,
  readPool,
  catalog,
  positions: partitioned?.positions ?? corePositions(() => (partition as EnginePartition).core),
  kycDepositCapMinor: config.kycDepositCapMinor,
  disputeWindowMs: config.disputeWindowHours * 3_600_000,
  ...(payments === null ? {} : { payments: payments.routes }),
  ...(config.oidc === null ? {} : { oidc: config.oidc }),
  ...(redis === undefined ? {} : { redis }),
  accessTokens: { ...jwt, ttlSeconds: config.accessTokenTtlSeconds },
  refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
  testDeposits: !config.stripeConfigured,
  adminEmails: config.adminEmails,
  ...(config.trustProxy === null ? {} : { trustProxy: config.trustProxy }),
  rateLimit: { perWindow: config.restRequestsPerMinute, authPerWindow: config.authRequestsPerMinute, windowMs: 60_000 },
  logger,
  metrics: gatewayMetrics,
  tracer: tracing.tracer,
  ...(config.engineRemote || partition === null ? {} : { engineSeq: () => (partition as EnginePartition).appliedSeq }),
  journalLag: () => (partition?.journalLagCommands ?? 0) + [...(partitioned?.replicas.values() ?? [])].reduce((sum, replica) => sum + replica.journalLagCommands, 0),
  ...(settlement === null || partition === null ? {} : { settlementLag: () => Math.max(0, (partition as EnginePartition).appliedSeq - (settlement?.ledgerSeq ?? 0)) }),
  readiness: async () => {
    const failing: string[] = [];
    if (!config.engineRemote && partition?.role !== 'leader') failing.push(`engine partition is ${partition?.role}`);
    if (config.engineRemote && partition !== null && partition.role !== 'standby') failing.push(`engine replica is ${partition.role}`);
    for (const [name, replica] of partitioned?.replicas ?? []) if (replica.role !== 'standby') failing.push(`engine replica of ${name} is ${replica.role}`);
    await pool.query('SELECT 1').catch(() => failing.push('database'));
    return failing;
  },
});
const ws = await WsServer.start({
  link,
  readModels,
  metrics: gatewayMetrics,
  tracer: tracing.tracer,
  eventMarkets: async (eventId) => {
    if ((await catalog.store.event(pool, eventId)) === null) return null;
    return (await catalog.store.marketsOfEvents(pool, [eventId])).map((market) => market.marketId);
  },
  marketEvent: async (marketId) => (await catalog.store.market(pool, marketId))?.eventId ?? null,
  authenticator: new StoreAuthenticator(jwt, new ApiKeyStore(pool)),
  port: config.wsPort,
  host: config.host,
  logger,
  messagesPerSecond: config.wsMessagesPerSecond,
  messageBurst: config.wsMessageBurst,
  connectionsPerAccountMax: config.wsConnectionsPerAccountMax,
  anonymousConnectionsPerAddressMax: config.wsAnonymousConnectionsPerAddressMax,
});
await app.listen({ port: config.httpPort, host: config.host });
const engineHttp = config.engineRemote || partition === null ? null : await startEngineHttp({ partition, metrics, host: engineConfig.httpHost, port: engineConfig.httpPort });
const metricsHttp = await startMetricsHttp({ metrics: gatewayMetrics, host: config.host, port: config.metricsPort });
const demoOn = (process.env['DEMO'] ?? (config.databaseUrl === null ? '1' : '0')) === '1';
const scheduler = new CatalogScheduler(catalog, { logger });
let demoCatalog: DemoCatalog | null = null;
if (demoOn) {
  const seeded = await seedDemoCatalog(catalog, Date.now());
  if (seeded !== null) logger.info({ ...seeded }, 'demo catalog seeded');
  demoCatalog = new DemoCatalog(catalog, logger);
  await demoCatalog.start();
}
scheduler.start();
// Limit raises whose cooling-off is over, and exclusions that ended, reach the engine.
const profiles = new ProfileService(pool, link, new AuditLog(pool), config.kycDepositCapMinor);
const profileTimer = setInterval(() => void profiles.applyDue().catch((error: unknown) => logger.warn({ err: error }, 'profile limits')), 10_000);
const quoted = demoCatalog;
const demo = demoOn ? new DemoMarketMaker((command) => link.submit(command), { markets: () => quoted?.markets() ?? [] }) : null;
await demo?.start(1000, partition === null ? readModels.markets.has(1) : partition.core.market(1) !== undefined);
const httpPort = (app.server.address() as { port: number }).port;
const api = `http://${config.host}:${httpPort}`;
const engineUrl = `http://${engineConfig.httpHost}:${engineConfig.httpPort}`;
const engineLinks = engineHttp === null ? '' : ` engine=${engineUrl}/status metrics=${engineUrl}/metrics`;
const metricsPort = (metricsHttp.address() as { port: number }).port;
console.log(`READY api=${api} docs=${api}/docs/json ws=ws://${config.host}:${ws.port}${WS_PATH}${engineLinks} gateway-metrics=http://${config.host}:${metricsPort}/metrics`);

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'shutting down');
  demo?.stop();
  demoCatalog?.stop();
  await scheduler.stop();
  clearInterval(profileTimer);
  engineHttp?.close();
  metricsHttp.close();
  await app.close();
  await ws.close();
  readModels.stop();
  await payments?.stop();
  await settlement?.stop();
  if (ledgerSql !== pool) await ledgerSql?.end();
  if (remote !== null) await remote.close();
  else if (partitioned !== null) await partitioned.close();
  else await partition?.stop();
  await storage?.close();
  await pool.end();
  if (readPool !== pool) await readPool.end();
  await embeddedPostgres?.stop();
  redis?.disconnect();
  await tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'trace export failed'));
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
