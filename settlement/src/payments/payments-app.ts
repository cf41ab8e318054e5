// The payments HTTP API (fastify): deposits through Stripe PaymentIntents, the Stripe webhook,
// withdrawals (requested, and the caller's recent ones with their state), and — only while no
// Stripe keys are configured — labelled test deposits, and withdrawals paid by the labelled TEST
// payouts. Strict schemas: unknown fields refused, no coercion, a maximum on every amount,
// response schemas. The routes are a plugin: the payments service serves them alone
// (buildPaymentsApp), the gateway on the embedded default beside its own API.

import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from 'fastify';
import type Stripe from 'stripe';
import type { Logger } from 'pino';
import { query, type Db } from '../db/database.js';
import { accountOfRequest } from './access-token.js';
import { createDeposit, createTestDeposit } from './deposits.js';
import type { OutboxDrain } from './payment-outbox.js';
import type { PaymentsConfig } from './payments-config.js';
import { errorHandler, errorResponses, PaymentError, sendError } from './payments-errors.js';
import { applyStripeEvent } from './stripe-webhook.js';
import { withdrawalView, type Withdrawals } from './withdrawals.js';

export interface PaymentsDeps {
  readonly db: Db;
  readonly config: PaymentsConfig;
  readonly stripe: Stripe | null;
  readonly drain: OutboxDrain;
  readonly withdrawals: Withdrawals;
  readonly logger: Logger;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
const nullableString = { type: ['string', 'null'] } as const;

const depositView = {
  type: 'object',
  additionalProperties: false,
  required: ['depositId', 'mode', 'state', 'amountMinor', 'currency', 'paymentIntentId', 'clientSecret'],
  properties: {
    depositId: { type: 'string' }, mode: { type: 'string' }, state: { type: 'string' }, amountMinor: { type: 'integer' },
    currency: { type: 'string' }, paymentIntentId: nullableString, clientSecret: nullableString, notice: { type: 'string' },
  },
} as const;

const withdrawalSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['withdrawalId', 'state', 'amountMinor', 'currency', 'payoutId', 'failureCode'],
  properties: {
    withdrawalId: { type: 'string' }, state: { type: 'string' }, amountMinor: { type: 'integer' }, currency: { type: 'string' },
    payoutId: nullableString, failureCode: nullableString, test: { type: 'boolean' }, notice: { type: 'string' },
  },
} as const;

const withdrawalListSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['withdrawals'],
  properties: {
    test: { type: 'boolean' },
    notice: { type: 'string' },
    withdrawals: {
      type: 'array',
      items: {
        ...withdrawalSchema,
        required: [...withdrawalSchema.required, 'createdAt', 'updatedAt'],
        properties: { ...withdrawalSchema.properties, createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' } },
      },
    },
  },
} as const;

const WITHDRAWALS_LISTED_MAX = 20;

export const TEST_WITHDRAWAL_NOTICE = 'TEST WITHDRAWAL: no Stripe keys are configured; payouts are simulated and nothing is sent to a bank. '
  + 'An amount whose minor units end in 13 (such as 5.13) simulates a failed payout, whose money comes back.';

/** `withCurrency`: an optional `currency`, which when given must be the service's. */
function amountBody(config: PaymentsConfig, withCurrency: boolean): object {
  const properties: Record<string, object> = { amountMinor: { type: 'integer', minimum: 1, maximum: config.transferMinorMax } };
  if (withCurrency) properties['currency'] = { type: 'string', enum: [config.currency] };
  return { type: 'object', additionalProperties: false, required: ['amountMinor'], properties };
}

/** The answer to a withdrawal the engine refused, by its reject code. */
function refusalOf(failureCode: unknown): 'insufficient_funds' | 'account_frozen' | 'withdrawal_refused' {
  return failureCode === 'insufficient_funds' || failureCode === 'account_frozen' ? failureCode : 'withdrawal_refused';
}

function idempotencyKeyOf(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) throw new PaymentError('missing_idempotency_key');
  return key;
}

export async function buildPaymentsApp(deps: PaymentsDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_request, reply) => sendError(reply, 'not_found'));
  await app.register(paymentsRoutes(deps));
  return app;
}

/**
 * The payments routes and their error answers, for an app with the same strict Ajv options
 * (no coercion, no removal of unknown fields). `testDeposits: false` leaves out
 * POST /v1/payments/test-deposits (the gateway has its own, under the profile's limits).
 */
export function paymentsRoutes(deps: PaymentsDeps, options: { readonly testDeposits?: boolean } = {}): FastifyPluginAsync {
  return (app) => registerPaymentsRoutes(app, deps, options.testDeposits ?? true);
}

async function registerPaymentsRoutes(app: FastifyInstance, deps: PaymentsDeps, testDeposits: boolean): Promise<void> {
  const { config } = deps;
  app.setErrorHandler(errorHandler);
  const testLabel = deps.withdrawals.test ? { test: true, notice: TEST_WITHDRAWAL_NOTICE } : {};
  const jwt = { secret: config.jwtSecret, issuer: config.jwtIssuer, audience: config.jwtAudience };

  app.post<{ Body: { amountMinor: number; currency?: string } }>('/v1/payments/deposits', {
    schema: { body: amountBody(config, true), response: { 201: depositView, ...errorResponses(403, 404, 422, 502, 503) } },
  }, async (request, reply) => {
    const accountId = await accountOfRequest(request, jwt);
    const key = idempotencyKeyOf(request);
    return reply.code(201).send(await createDeposit(deps, accountId, key, request.body.amountMinor));
  });

  if (testDeposits) {
    app.post<{ Body: { amountMinor: number } }>('/v1/payments/test-deposits', {
      schema: { body: amountBody(config, false), response: { 201: depositView, ...errorResponses(403, 404, 422) } },
    }, async (request, reply) => {
      const accountId = await accountOfRequest(request, jwt);
      const key = idempotencyKeyOf(request);
      const deposit = await createTestDeposit(deps, accountId, key, request.body.amountMinor);
      return reply.code(201).send({ ...deposit, notice: 'TEST DEPOSIT: no Stripe keys are configured; no money was charged and the amount was credited directly.' });
    });
  }

  app.post<{ Body: { amountMinor: number } }>('/v1/payments/withdrawals', {
    schema: { body: amountBody(config, false), response: { 201: withdrawalSchema, ...errorResponses(403, 422, 502, 503) } },
  }, async (request, reply) => {
    const accountId = await accountOfRequest(request, jwt);
    const key = idempotencyKeyOf(request);
    const row = await deps.withdrawals.request(accountId, key, request.body.amountMinor);
    if (row['state'] === 'rejected') throw new PaymentError(refusalOf(row['failure_code']));
    return reply.code(201).send({ ...withdrawalView(row), ...testLabel });
  });

  app.get('/v1/payments/withdrawals', {
    schema: {
      querystring: { type: 'object', additionalProperties: false, properties: {} },
      response: { 200: withdrawalListSchema, ...errorResponses() },
    },
  }, async (request) => {
    const accountId = await accountOfRequest(request, jwt);
    const rows = await query(deps.db, `
      SELECT * FROM payment_withdrawals WHERE account_id = $1 ORDER BY created_at DESC, id LIMIT $2`, [accountId, WITHDRAWALS_LISTED_MAX]);
    return {
      ...testLabel,
      withdrawals: rows.map((row) => ({
        ...withdrawalView(row),
        createdAt: (row['created_at'] as Date).toISOString(),
        updatedAt: (row['updated_at'] as Date).toISOString(),
      })),
    };
  });

  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post('/v1/stripe/webhook', {
      schema: {
        response: {
          200: { type: 'object', additionalProperties: false, required: ['received', 'outcome'], properties: { received: { type: 'boolean' }, outcome: { type: 'string' } } },
          ...errorResponses(503),
        },
      },
    }, async (request, reply) => {
      if (deps.stripe === null || config.stripe === null) throw new PaymentError('stripe_not_configured');
      const signature = request.headers['stripe-signature'];
      if (typeof signature !== 'string' || !Buffer.isBuffer(request.body)) throw new PaymentError('invalid_signature');
      let event: Stripe.Event;
      try {
        event = deps.stripe.webhooks.constructEvent(request.body, signature, config.stripe.webhookSecret);
      } catch {
        throw new PaymentError('invalid_signature');
      }
      const outcome = await applyStripeEvent(deps.db, event);
      if (outcome === 'succeeded' || outcome === 'failed') deps.drain.kick();
      return reply.code(200).send({ received: true, outcome });
    });
  });
}
