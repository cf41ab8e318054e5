// The payments HTTP API (fastify): deposits through Stripe PaymentIntents, the Stripe webhook,
// withdrawals, and — only while no Stripe keys are configured — labelled test deposits. Strict
// schemas: unknown fields refused, no coercion, a maximum on every amount, response schemas.

import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type Stripe from 'stripe';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
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
    payoutId: nullableString, failureCode: nullableString,
  },
} as const;

function amountBody(config: PaymentsConfig, withCurrency: boolean): object {
  const properties: Record<string, object> = { amountMinor: { type: 'integer', minimum: 1, maximum: config.transferMinorMax } };
  if (withCurrency) properties['currency'] = { type: 'string', enum: [config.currency] };
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties };
}

function idempotencyKeyOf(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) throw new PaymentError('missing_idempotency_key');
  return key;
}

export async function buildPaymentsApp(deps: PaymentsDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_request, reply) => sendError(reply, 'not_found'));
  const jwt = { secret: config.jwtSecret, issuer: config.jwtIssuer, audience: config.jwtAudience };

  app.post<{ Body: { amountMinor: number; currency: string } }>('/v1/payments/deposits', {
    schema: { body: amountBody(config, true), response: { 201: depositView, ...errorResponses(404, 422, 502, 503) } },
  }, async (request, reply) => {
    const accountId = await accountOfRequest(request, jwt);
    const key = idempotencyKeyOf(request);
    return reply.code(201).send(await createDeposit(deps, accountId, key, request.body.amountMinor));
  });

  app.post<{ Body: { amountMinor: number } }>('/v1/payments/test-deposits', {
    schema: { body: amountBody(config, false), response: { 201: depositView, ...errorResponses(404, 422) } },
  }, async (request, reply) => {
    const accountId = await accountOfRequest(request, jwt);
    const key = idempotencyKeyOf(request);
    const deposit = await createTestDeposit(deps, accountId, key, request.body.amountMinor);
    return reply.code(201).send({ ...deposit, notice: 'TEST DEPOSIT: no Stripe keys are configured; no money was charged and the amount was credited directly.' });
  });

  app.post<{ Body: { amountMinor: number } }>('/v1/payments/withdrawals', {
    schema: { body: amountBody(config, false), response: { 201: withdrawalSchema, ...errorResponses(422, 502, 503) } },
  }, async (request, reply) => {
    const accountId = await accountOfRequest(request, jwt);
    const key = idempotencyKeyOf(request);
    const row = await deps.withdrawals.request(accountId, key, request.body.amountMinor);
    if (row['state'] === 'rejected') throw new PaymentError(row['failure_code'] === 'insufficient_funds' ? 'insufficient_funds' : 'withdrawal_refused');
    return reply.code(201).send(withdrawalView(row));
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

  return app;
}
