// Deposits end to end against a real engine partition, PostgreSQL and the ledger worker, with the
// Stripe stand-in: intent → signed webhook → credited once; duplicate, reordered, tampered and
// stale webhooks; a crash between the webhook's commit and the engine submit; caps and bad input;
// the labelled test deposit and TEST payout flows without Stripe keys.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sharedPostgres, sharedRedis, type SharedServer } from '../../../scripts/test-context.js';
import { query } from '../db/database.js';
import { checkInvariants } from '../invariants.js';
import { startPayments, WEBHOOK_SECRET, type PaymentsHarness } from '../testing/payments-harness.js';

let redisServer: SharedServer;
let postgresServer: SharedServer;
let h: PaymentsHarness;

beforeAll(async () => {
  [redisServer, postgresServer] = await Promise.all([sharedRedis(), sharedPostgres()]);
  h = await startPayments(redisServer.url, postgresServer.url, 'pay-dep');
  for (const accountId of [1, 2, 3, 4, 5]) await h.engine.submit({ type: 'OpenAccount', accountId });
});

afterEach(async () => {
  await h.balances(1);
  expect(await checkInvariants(h.db)).toEqual([]);
});

afterAll(async () => {
  await h?.stop();
  await Promise.all([redisServer?.release(), postgresServer?.release()]);
});

async function deposit(accountId: number, key: string, amountMinor: number, extra: Record<string, unknown> = {}) {
  return h.app.inject({
    method: 'POST', url: '/v1/payments/deposits',
    headers: { authorization: `Bearer ${await h.token(accountId)}`, 'idempotency-key': key },
    payload: { amountMinor, currency: 'gbp', ...extra },
  });
}

function intentEvent(id: string, type: string, intent: { id: string; depositId: string; accountId: number; amountMinor: number }, createdS?: number) {
  return {
    id, type, ...(createdS === undefined ? {} : { created: createdS }),
    data: { object: { id: intent.id, object: 'payment_intent', amount: intent.amountMinor, amount_received: type === 'payment_intent.succeeded' ? intent.amountMinor : 0, currency: 'gbp', metadata: { accountId: String(intent.accountId), depositId: intent.depositId } } },
  };
}

async function depositState(depositId: string): Promise<unknown> {
  return (await query(h.db, 'SELECT state FROM payment_deposits WHERE id = $1', [depositId]))[0]?.['state'];
}

async function openIntent(accountId: number, key: string, amountMinor: number) {
  const response = await deposit(accountId, key, amountMinor);
  expect(response.statusCode).toBe(201);
  const body = response.json<{ depositId: string; paymentIntentId: string; clientSecret: string }>();
  return { id: body.paymentIntentId, depositId: body.depositId, accountId, amountMinor };
}

describe('deposits through Stripe', () => {
  it('creates one intent per Idempotency-Key and credits the engine and the ledger once on payment_intent.succeeded', async () => {
    const first = await deposit(1, 'dep-key-1', 5_000);
    expect(first.statusCode).toBe(201);
    const body = first.json<{ depositId: string; paymentIntentId: string; clientSecret: string; state: string }>();
    expect(body.clientSecret).toMatch(/_secret_/);
    expect(body.state).toBe('pending');
    const again = await deposit(1, 'dep-key-1', 5_000);
    expect(again.json()).toEqual(first.json());
    expect(h.standIn.created('/v1/payment_intents')).toBe(1);
    const call = h.standIn.requests.find((r) => r.path === '/v1/payment_intents');
    expect(call?.idempotencyKey).toBe(body.depositId);
    expect(call?.params['metadata']).toEqual({ accountId: '1', depositId: body.depositId });
    expect((await deposit(1, 'dep-key-1', 6_000)).json()).toMatchObject({ error: { code: 'idempotency_key_mismatch' } });

    const intent = { id: body.paymentIntentId, depositId: body.depositId, accountId: 1, amountMinor: 5_000 };
    expect((await h.webhook(intentEvent('evt_p1', 'payment_intent.processing', intent))).json()).toEqual({ received: true, outcome: 'processing' });
    expect((await h.webhook(intentEvent('evt_s1', 'payment_intent.succeeded', intent))).json()).toEqual({ received: true, outcome: 'succeeded' });
    await h.drain.drainOnce();
    expect(await h.balances(1)).toEqual([5_000, 5_000]);

    expect((await h.webhook(intentEvent('evt_s1', 'payment_intent.succeeded', intent))).json()).toEqual({ received: true, outcome: 'duplicate' });
    expect((await h.webhook(intentEvent('evt_s1b', 'payment_intent.succeeded', intent))).json()).toEqual({ received: true, outcome: 'stale' });
    expect((await h.webhook(intentEvent('evt_p2', 'payment_intent.processing', intent))).json()).toEqual({ received: true, outcome: 'stale' });
    expect((await h.webhook(intentEvent('evt_c1', 'payment_intent.canceled', intent))).json()).toEqual({ received: true, outcome: 'stale' });
    await h.drain.drainOnce();
    expect(await depositState(body.depositId)).toBe('succeeded');
    expect(await h.balances(1)).toEqual([5_000, 5_000]);
  });

  it('refuses tampered and stale signatures with 400 and changes nothing', async () => {
    const intent = await openIntent(2, 'dep-key-2', 2_000);
    const event = intentEvent('evt_t1', 'payment_intent.succeeded', intent);
    const tampered = await h.webhook(event, (payload) => h.stripe.webhooks.generateTestHeaderString({ payload: payload.replace('2000', '9000'), secret: WEBHOOK_SECRET }));
    const wrongSecret = await h.webhook(event, (payload) => h.stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_other' }));
    const stale = await h.webhook(event, (payload) => h.stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000) - 301 }));
    const unsigned = await h.webhook(event, () => '');
    for (const response of [tampered, wrongSecret, stale, unsigned]) {
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    }
    expect(await query(h.db, 'SELECT id FROM stripe_events WHERE id = $1', ['evt_t1'])).toEqual([]);
    expect(await depositState(intent.depositId)).toBe('pending');
    await h.drain.drainOnce();
    expect(await h.balances(2)).toEqual([0, 0]);
  });

  it('credits exactly once when the process dies after the webhook commits, before the engine submit, or loses the answer', async () => {
    const intent = await openIntent(3, 'dep-key-3', 3_000);
    await h.drain.stop();
    expect((await h.webhook(intentEvent('evt_k1', 'payment_intent.succeeded', intent))).json()).toMatchObject({ outcome: 'succeeded' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await h.balances(3)).toEqual([0, 0]);
    h.drain.start();
    await h.drain.drainOnce();
    expect(await h.balances(3)).toEqual([3_000, 3_000]);

    // The engine's answer was lost: the row is drained again and the engine says duplicate_transfer.
    await query(h.db, `UPDATE payment_outbox SET done_at = NULL WHERE transfer_id = $1`, [`stripe:${intent.id}`]);
    await h.drain.drainOnce();
    const [row] = await query(h.db, 'SELECT outcome, attempts FROM payment_outbox WHERE transfer_id = $1', [`stripe:${intent.id}`]);
    expect(row).toEqual({ outcome: 'duplicate', attempts: 2 });
    expect(await h.balances(3)).toEqual([3_000, 3_000]);
  });

  it('enforces the service\'s 24-hour cap and strict input, and authenticates with the gateway token', async () => {
    expect((await deposit(4, 'cap-1', 90_000)).statusCode).toBe(201);
    const over = await deposit(4, 'cap-2', 10_001);
    expect(over.statusCode).toBe(422);
    expect(over.json()).toMatchObject({ error: { code: 'deposit_daily_cap' } });
    expect(h.standIn.created('/v1/payment_intents')).toBe(4);

    for (const payload of [{ amountMinor: '100', currency: 'gbp' }, { amountMinor: 100, currency: 'gbp', accountId: 1 }, { amountMinor: 1_000_001, currency: 'gbp' }, { amountMinor: 0, currency: 'gbp' }, { amountMinor: 100, currency: 'usd' }, { amountMinor: 1.5, currency: 'gbp' }]) {
      const response = await h.app.inject({ method: 'POST', url: '/v1/payments/deposits', headers: { authorization: `Bearer ${await h.token(5)}`, 'idempotency-key': 'bad' }, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    const noKey = await h.app.inject({ method: 'POST', url: '/v1/payments/deposits', headers: { authorization: `Bearer ${await h.token(5)}` }, payload: { amountMinor: 100, currency: 'gbp' } });
    expect(noKey.json()).toMatchObject({ error: { code: 'missing_idempotency_key' } });
    const noToken = await h.app.inject({ method: 'POST', url: '/v1/payments/deposits', headers: { 'idempotency-key': 'k' }, payload: { amountMinor: 100, currency: 'gbp' } });
    const badToken = await h.app.inject({ method: 'POST', url: '/v1/payments/deposits', headers: { authorization: `Bearer ${(await h.token(5)).slice(0, -2)}xx`, 'idempotency-key': 'k' }, payload: { amountMinor: 100, currency: 'gbp' } });
    for (const response of [noToken, badToken]) expect(response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect(await query(h.db, 'SELECT id FROM payment_deposits WHERE account_id = 5')).toEqual([]);
    const testDeposit = await h.app.inject({ method: 'POST', url: '/v1/payments/test-deposits', headers: { authorization: `Bearer ${await h.token(5)}`, 'idempotency-key': 'k' }, payload: { amountMinor: 100 } });
    expect(testDeposit.json()).toMatchObject({ error: { code: 'test_deposits_disabled' } });
  });

  it('takes the service\'s currency when the body names none (as the web app sends it)', async () => {
    const response = await h.app.inject({
      method: 'POST', url: '/v1/payments/deposits',
      headers: { authorization: `Bearer ${await h.token(6)}`, 'idempotency-key': 'no-currency' }, payload: { amountMinor: 1_234 },
    });
    expect(response.statusCode).toBe(201);
    const body = response.json<{ depositId: string; currency: string; amountMinor: number }>();
    expect(body).toMatchObject({ currency: 'gbp', amountMinor: 1_234 });
    const call = h.standIn.requests.find((r) => r.path === '/v1/payment_intents' && r.idempotencyKey === body.depositId);
    expect(call?.params).toMatchObject({ amount: '1234', currency: 'gbp' });
  });
});

describe('test deposits without Stripe keys', () => {
  it('credits directly, says so, and once per Idempotency-Key; the Stripe routes are unavailable', async () => {
    const plain = await startPayments(redisServer.url, postgresServer.url, 'pay-test', { withStripe: false });
    try {
      await plain.engine.submit({ type: 'OpenAccount', accountId: 1 });
      const send = async (url: string, payload: object) =>
        plain.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${await plain.token(1)}`, 'idempotency-key': 'test-1' }, payload });
      const first = await send('/v1/payments/test-deposits', { amountMinor: 700 });
      expect(first.statusCode).toBe(201);
      expect(first.json()).toMatchObject({ mode: 'test', state: 'succeeded', amountMinor: 700, paymentIntentId: null, notice: expect.stringMatching(/^TEST DEPOSIT/) });
      expect((await send('/v1/payments/test-deposits', { amountMinor: 700 })).json()).toEqual(first.json());
      await plain.drain.drainOnce();
      expect(await plain.balances(1)).toEqual([700, 700]);
      expect((await send('/v1/payments/deposits', { amountMinor: 700, currency: 'gbp' })).json()).toMatchObject({ error: { code: 'stripe_not_configured' } });
      expect(plain.standIn.requests).toEqual([]);
      expect(await checkInvariants(plain.db)).toEqual([]);
    } finally {
      await plain.stop();
    }
  });
});

describe('TEST payouts without Stripe keys', () => {
  it('reserve in the engine, pay at once under a test payout id, say so, and return the money of a failing amount', async () => {
    const plain = await startPayments(redisServer.url, postgresServer.url, 'pay-test-wd', { withStripe: false });
    try {
      await plain.engine.submit({ type: 'OpenAccount', accountId: 1 });
      await plain.engine.submit({ type: 'Deposit', accountId: 1, transferId: 'seed-1', amountMinor: 1_000 });
      const withdraw = async (key: string, amountMinor: number) =>
        plain.app.inject({ method: 'POST', url: '/v1/payments/withdrawals', headers: { authorization: `Bearer ${await plain.token(1)}`, 'idempotency-key': key }, payload: { amountMinor } });
      const paid = await withdraw('wd-test-1', 300);
      expect(paid.statusCode).toBe(201);
      const body = paid.json<{ withdrawalId: string }>();
      expect(paid.json()).toMatchObject({ state: 'paid', amountMinor: 300, payoutId: `test_po_${body.withdrawalId}`, failureCode: null, test: true, notice: expect.stringMatching(/^TEST WITHDRAWAL/) });
      expect((await withdraw('wd-test-1', 300)).json()).toEqual(paid.json());
      expect(await plain.balances(1)).toEqual([700, 700]);

      const failed = await withdraw('wd-test-2', 213);
      expect(failed.json()).toMatchObject({ state: 'failed', failureCode: 'test_payout_failed', payoutId: null, test: true });
      await plain.drain.drainOnce();
      expect(await plain.balances(1)).toEqual([700, 700]);
      expect((await withdraw('wd-test-3', 701)).json()).toMatchObject({ error: { code: 'insufficient_funds' } });

      const listed = await plain.app.inject({ method: 'GET', url: '/v1/payments/withdrawals', headers: { authorization: `Bearer ${await plain.token(1)}` } });
      expect(listed.json()).toMatchObject({ test: true, notice: expect.stringMatching(/^TEST WITHDRAWAL/) });
      expect(listed.json<{ withdrawals: Array<{ amountMinor: number; state: string }> }>().withdrawals.map((w) => [w.amountMinor, w.state]).sort())
        .toEqual([[213, 'failed'], [300, 'paid'], [701, 'rejected']]);
      expect(plain.standIn.requests).toEqual([]);
      expect(await checkInvariants(plain.db)).toEqual([]);
    } finally {
      await plain.stop();
    }
  });
});
