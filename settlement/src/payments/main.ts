// The payments service process. Environment: DATABASE_URL, REDIS_URL, PARTITION (default p0), or
// a partitioned engine's topology (RISK_PARTITIONS, MATCHING_PARTITIONS, MARKET_PARTITIONS: each
// transfer goes to its account's risk partition),
// JWT_SECRET / JWT_ISSUER / JWT_AUDIENCE (the gateway's), STRIPE_SECRET_KEY and
// STRIPE_WEBHOOK_SECRET (both or neither: without them only the labelled test deposits and TEST
// payouts run), STRIPE_API_URL (tests: a Stripe-compatible API instead of Stripe's), KYC_DEPOSIT_CAP_MINOR (the gateway's: the KYC caps of the payment policy),
// PAYMENTS_HTTP_PORT (default 8083), PAYMENTS_HTTP_HOST (default 127.0.0.1), MIGRATE (default 1:
// the ledger's migrations; the gateway's, whose read contract the payment policy uses, run first).

import { Redis } from 'ioredis';
import { pino } from 'pino';
import { PartitionTopology } from '../../../engine/src/core/partition-topology.js';
import { EngineClient } from '../../../engine/src/io/engine-client.js';
import { connectDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import type { EngineSubmitter } from './engine-answers.js';
import { OutboxDrain } from './payment-outbox.js';
import { buildPaymentsApp } from './payments-app.js';
import { paymentsConfigFromEnv } from './payments-config.js';
import { StripePayouts, TestPayouts } from './payouts.js';
import { RoutedEngine } from './routed-engine.js';
import { stripeClient } from './stripe-client.js';
import { Withdrawals } from './withdrawals.js';

const WITHDRAWAL_RECOVERY_EVERY_MS = 5_000;
const WITHDRAWAL_RECOVERY_MIN_AGE_MS = 30_000;

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'info', base: { svc: 'payments' } });
const config = paymentsConfigFromEnv(process.env);
const databaseUrl = required('DATABASE_URL');
const redisUrl = required('REDIS_URL');
if ((process.env['MIGRATE'] ?? '1') === '1') await migrate(databaseUrl, 'up');
const db = connectDatabase(databaseUrl, { onIdleError: (error) => logger.warn({ err: error }, 'idle database connection lost') });
// A client (two connections) per partition transfers go to.
const topology = config.topology === undefined || config.topology === null ? null : new PartitionTopology(config.topology);
const partitionNames = topology === null ? [config.partition] : topology.riskNames;
const connections = partitionNames.flatMap(() => [new Redis(redisUrl, { maxRetriesPerRequest: 2 }), new Redis(redisUrl, { maxRetriesPerRequest: 2 })]);
for (const connection of connections) connection.on('error', (error) => logger.warn({ err: error }, 'redis'));
const clients = new Map(partitionNames.map((name, index) => [name, new EngineClient(connections[2 * index] as Redis, connections[2 * index + 1] as Redis, name)]));
for (const client of clients.values()) await client.start();
const engine: EngineSubmitter =
  topology === null ? (clients.get(config.partition) as EngineClient) : new RoutedEngine(topology, clients);
const stripe = config.stripe === null ? null : stripeClient(config.stripe);
const drain = new OutboxDrain({ db, engine, logger });
drain.start();
const payouts = stripe === null ? new TestPayouts() : new StripePayouts(stripe);
const withdrawals = new Withdrawals({ db, config, payouts, engine, drain, logger });
withdrawals.startRecovery(WITHDRAWAL_RECOVERY_EVERY_MS, WITHDRAWAL_RECOVERY_MIN_AGE_MS);
const app = await buildPaymentsApp({ db, config, stripe, drain, withdrawals, logger });
const port = Number(process.env['PAYMENTS_HTTP_PORT'] ?? 8083);
const host = process.env['PAYMENTS_HTTP_HOST'] ?? '127.0.0.1';
await app.listen({ port, host });
console.log(`READY payments=http://${host}:${port} stripe=${stripe === null ? 'off (TEST deposits and payouts)' : 'on'}`);

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'stopping');
  withdrawals.stopRecovery();
  await drain.stop();
  await app.close();
  for (const client of clients.values()) await client.close();
  for (const connection of connections) connection.disconnect();
  await db.end();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
