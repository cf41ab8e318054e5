// The payments routes in the gateway process, where the engine partition and its ledger are in
// process too (the embedded default, no Redis for a payments service to reach the partition
// through): the payments service's own code — withdrawals reserved in the engine first, the
// outbox, idempotency keys, the recovery loop — over the in-process engine link and the ledger's
// database connection, verifying the gateway's access tokens. Without Stripe keys payouts are the
// labelled TEST payouts (settlement/src/payments/payouts.ts). The gateway's own test deposit
// (POST /v1/deposits/test, under the profile's limits) stays the only test deposit route.

import type { FastifyPluginAsync } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import { OutboxDrain } from '../../settlement/src/payments/payment-outbox.js';
import { paymentsRoutes } from '../../settlement/src/payments/payments-app.js';
import { paymentsConfigFromEnv } from '../../settlement/src/payments/payments-config.js';
import { StripePayouts, TestPayouts } from '../../settlement/src/payments/payouts.js';
import { stripeClient } from '../../settlement/src/payments/stripe-client.js';
import { Withdrawals } from '../../settlement/src/payments/withdrawals.js';
import type { EngineLink } from './engine-link.js';

const WITHDRAWAL_RECOVERY_EVERY_MS = 5_000;
const WITHDRAWAL_RECOVERY_MIN_AGE_MS = 30_000;

export interface EmbeddedPaymentsOptions {
  /** The database holding the ledger and payment tables (settlement migrations applied). */
  readonly db: pg.Pool;
  readonly link: EngineLink;
  readonly jwt: { readonly secret: Uint8Array; readonly issuer: string; readonly audience: string };
  readonly logger: Logger;
  /** STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET (STRIPE_API_URL), PAYMENTS_CURRENCY, TRANSFER_MINOR_MAX, DEPOSIT_DAILY_MINOR_MAX, KYC_DEPOSIT_CAP_MINOR (the gateway's). */
  readonly env?: NodeJS.ProcessEnv;
  readonly outboxIntervalMs?: number;
}

export interface EmbeddedPayments {
  /** For AppDeps.payments. */
  readonly routes: FastifyPluginAsync;
  /** True when payouts are the labelled TEST ones. */
  readonly test: boolean;
  stop(): Promise<void>;
}

export function startEmbeddedPayments(options: EmbeddedPaymentsOptions): EmbeddedPayments {
  const { db, link } = options;
  const config = paymentsConfigFromEnv(options.env ?? process.env, options.jwt);
  const logger = options.logger.child({ svc: 'payments' });
  const stripe = config.stripe === null ? null : stripeClient(config.stripe);
  const drain = new OutboxDrain({ db, engine: link, logger, ...(options.outboxIntervalMs === undefined ? {} : { intervalMs: options.outboxIntervalMs }) });
  drain.start();
  const payouts = stripe === null ? new TestPayouts() : new StripePayouts(stripe);
  const withdrawals = new Withdrawals({ db, config, payouts, engine: link, drain, logger });
  withdrawals.startRecovery(WITHDRAWAL_RECOVERY_EVERY_MS, WITHDRAWAL_RECOVERY_MIN_AGE_MS);
  return {
    routes: paymentsRoutes({ db, config, stripe, drain, withdrawals, logger }, { testDeposits: false }),
    test: withdrawals.test,
    stop: async () => {
      withdrawals.stopRecovery();
      await drain.stop();
    },
  };
}
