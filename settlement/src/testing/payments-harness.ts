// Everything a payments test needs, all real but Stripe: a fresh PostgreSQL database, an engine
// partition over Redis taking commands from its inbox, an EngineClient, the ledger worker, the
// Stripe stand-in, and the payments app with its outbox drain and withdrawal service. The database
// gets the gateway's migrations first and then the ledger's, as every deployment applies them: the
// payment policy reads profiles through the gateway's read contract (payment-policy.ts).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { runner } from 'node-pg-migrate';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import Stripe from 'stripe';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { EngineClient } from '../../../engine/src/io/engine-client.js';
import { connectDatabase, query, toMinor, type Db } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { OutboxDrain } from '../payments/payment-outbox.js';
import { buildPaymentsApp } from '../payments/payments-app.js';
import type { PaymentsConfig } from '../payments/payments-config.js';
import { StripePayouts, TestPayouts } from '../payments/payouts.js';
import { Withdrawals } from '../payments/withdrawals.js';
import { availableCode } from '../posting/ledger-codes.js';
import { appliedSeq } from '../reconcile.js';
import { SettlementWorker } from '../worker.js';
import { startEngine, type EngineHarness } from './engine-harness.js';
import { freshDatabase } from './fresh-database.js';
import { StripeStandIn } from './stripe-stand-in.js';

export const WEBHOOK_SECRET = 'whsec_standin_secret';
const GATEWAY_MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'gateway', 'migrations');
const JWT_SECRET = new TextEncoder().encode('a-test-secret-of-at-least-32-bytes!!');

export interface PaymentsHarness {
  readonly app: FastifyInstance;
  readonly db: Db;
  readonly engine: EngineHarness;
  readonly standIn: StripeStandIn;
  readonly stripe: Stripe;
  readonly drain: OutboxDrain;
  readonly withdrawals: Withdrawals;
  token(accountId: number): Promise<string>;
  /** Posts a signed event; `sign` overrides the Stripe-Signature header. */
  webhook(event: Record<string, unknown>, sign?: (payload: string) => string): Promise<LightMyRequestResponse>;
  /**
   * Makes the account a gateway user and sets its profile, as the gateway's profile routes would
   * (kyc status, deposit limit, self-exclusion end).
   */
  profile(accountId: number, profile: { kycStatus?: string; depositLimit?: { amountMinor: number; period: string } | null; selfExcludedUntil?: Date | null }): Promise<void>;
  /** Waits for the ledger worker, then returns [engine available, ledger available]. */
  balances(accountId: number): Promise<[number, number]>;
  stop(): Promise<void>;
}

export async function startPayments(redisUrl: string, postgresUrl: string, partition: string, options: { withStripe?: boolean; kycDepositCapMinor?: number | null } = {}): Promise<PaymentsHarness> {
  const databaseUrl = await freshDatabase(postgresUrl);
  await runner({ databaseUrl, dir: GATEWAY_MIGRATIONS_DIR, migrationsTable: 'gateway_pgmigrations', direction: 'up', checkOrder: true, singleTransaction: true, log: () => undefined });
  await migrate(databaseUrl, 'up');
  const db = connectDatabase(databaseUrl, { maxConnections: 8 });
  const logger = pino({ level: 'silent' });
  const engine = await startEngine(redisUrl, partition, { inbox: true });
  const connections = [0, 1, 2].map(() => new Redis(redisUrl, { maxRetriesPerRequest: 2 }));
  const [writer, reader, workerRedis] = connections as [Redis, Redis, Redis];
  const client = new EngineClient(writer, reader, partition, 5_000);
  await client.start();
  const worker = new SettlementWorker({ sql: db, redis: workerRedis, partition, logger, blockMs: 50 });
  const running = worker.run();
  const standIn = new StripeStandIn();
  await standIn.start();
  const stripe = new Stripe('sk_test_standin', { host: '127.0.0.1', port: standIn.port, protocol: 'http', maxNetworkRetries: 0, timeout: 5_000 });
  const withStripe = options.withStripe ?? true;
  const config: PaymentsConfig = {
    jwtSecret: JWT_SECRET, jwtIssuer: 'playchacha', jwtAudience: 'playchacha',
    stripe: withStripe ? { secretKey: 'sk_test_standin', webhookSecret: WEBHOOK_SECRET } : null,
    currency: 'gbp', transferMinorMax: 1_000_000, depositDailyMinorMax: 100_000, kycDepositCapMinor: options.kycDepositCapMinor ?? null, partition,
  };
  const drain = new OutboxDrain({ db, engine: client, logger, intervalMs: 50 });
  drain.start();
  const payouts = withStripe ? new StripePayouts(stripe) : new TestPayouts();
  const withdrawals = new Withdrawals({ db, config, payouts, engine: client, drain, logger });
  const app = await buildPaymentsApp({ db, config, stripe: withStripe ? stripe : null, drain, withdrawals, logger });

  return {
    app, db, engine, standIn, stripe, drain, withdrawals,
    token: (accountId) => new SignJWT({ role: 'bettor' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(String(accountId))
      .setIssuer('playchacha').setAudience('playchacha').setIssuedAt().setExpirationTime('10m').sign(JWT_SECRET),
    webhook: (event, sign) => {
      const payload = JSON.stringify({ object: 'event', api_version: '2026-10-28', livemode: false, created: Math.floor(Date.now() / 1000), ...event });
      const signature = sign?.(payload) ?? stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
      return app.inject({ method: 'POST', url: '/v1/stripe/webhook', payload, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature } });
    },
    profile: async (accountId, profile) => {
      await db.query(`INSERT INTO gateway_users (account_id, email, password_hash) VALUES ($1, $2, 'x') ON CONFLICT DO NOTHING`, [accountId, `account-${accountId}@payments.test`]);
      await db.query(`INSERT INTO gateway_profiles (account_id) VALUES ($1) ON CONFLICT DO NOTHING`, [accountId]);
      if (profile.kycStatus !== undefined) await db.query('UPDATE gateway_profiles SET kyc_status = $2 WHERE account_id = $1', [accountId, profile.kycStatus]);
      if (profile.depositLimit !== undefined) {
        await db.query('UPDATE gateway_profiles SET deposit_limit_minor = $2, deposit_limit_period = $3 WHERE account_id = $1', [accountId, profile.depositLimit?.amountMinor ?? null, profile.depositLimit?.period ?? null]);
      }
      if (profile.selfExcludedUntil !== undefined) await db.query('UPDATE gateway_profiles SET self_excluded_until = $2 WHERE account_id = $1', [accountId, profile.selfExcludedUntil]);
    },
    balances: async (accountId) => {
      const deadline = Date.now() + 10_000;
      while ((await appliedSeq(db, partition)) < engine.partition.appliedSeq) {
        if (Date.now() > deadline) throw new Error('the ledger worker did not catch up');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const [row] = await query(db, 'SELECT balance_minor FROM ledger_accounts WHERE code = $1', [availableCode(accountId)]);
      return [engine.partition.core.account(accountId)?.availableMinor ?? 0, row === undefined ? 0 : toMinor(row['balance_minor'])];
    },
    stop: async () => {
      withdrawals.stopRecovery();
      await drain.stop();
      await app.close();
      await client.close();
      await worker.stop();
      await running;
      await standIn.stop();
      await engine.stop();
      for (const connection of connections) connection.disconnect();
      await db.end();
    },
  };
}
