// The payment policy on the payments service's own routes, against a real engine partition,
// PostgreSQL (the gateway's migrations and the ledger's) and the Stripe stand-in, with the KYC caps
// on: a deposit over the KYC cap, over the account's deposit limit (counting the gateway's test
// deposits and open intents), during self-exclusion or after a rejection is refused with its code
// before any PaymentIntent; two concurrent intents cannot pass the limit together; withdrawals
// need a verified identity, and self-exclusion does not stop them.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sharedPostgres, sharedRedis, type SharedServer } from '../../../scripts/test-context.js';
import { query } from '../db/database.js';
import { checkInvariants } from '../invariants.js';
import { startPayments, type PaymentsHarness } from '../testing/payments-harness.js';

const KYC_CAP_MINOR = 20_000;
const LATER = new Date(Date.now() + 30 * 86_400_000);

let redisServer: SharedServer;
let postgresServer: SharedServer;
let h: PaymentsHarness;

beforeAll(async () => {
  [redisServer, postgresServer] = await Promise.all([sharedRedis(), sharedPostgres()]);
  h = await startPayments(redisServer.url, postgresServer.url, 'pay-policy', { kycDepositCapMinor: KYC_CAP_MINOR });
  for (const accountId of [1, 2, 3, 4, 5, 6, 7]) {
    await h.engine.submit({ type: 'OpenAccount', accountId });
    await h.engine.submit({ type: 'Deposit', accountId, transferId: `seed-${accountId}`, amountMinor: 10_000 });
  }
});

afterEach(async () => {
  await h.balances(1);
  expect(await checkInvariants(h.db)).toEqual([]);
});

afterAll(async () => {
  await h?.stop();
  await Promise.all([redisServer?.release(), postgresServer?.release()]);
});

async function deposit(accountId: number, key: string, amountMinor: number) {
  return h.app.inject({
    method: 'POST', url: '/v1/payments/deposits',
    headers: { authorization: `Bearer ${await h.token(accountId)}`, 'idempotency-key': key },
    payload: { amountMinor, currency: 'gbp' },
  });
}

async function withdraw(accountId: number, key: string, amountMinor: number) {
  return h.app.inject({ method: 'POST', url: '/v1/payments/withdrawals', headers: { authorization: `Bearer ${await h.token(accountId)}`, 'idempotency-key': key }, payload: { amountMinor } });
}

function intents(): number {
  return h.standIn.created('/v1/payment_intents');
}

async function rows(table: 'payment_deposits' | 'payment_withdrawals', accountId: number): Promise<number> {
  return (await query(h.db, `SELECT id FROM ${table} WHERE account_id = $1`, [accountId])).length;
}

/** Answers `code` with `status` and a JSON body, and created no intent and no row. */
async function expectRefused(response: Awaited<ReturnType<typeof deposit>>, status: number, code: string, before: { intents: number; rows: number }, accountId: number): Promise<void> {
  expect(response.statusCode).toBe(status);
  expect(response.json()).toMatchObject({ error: { code, message: expect.any(String) } });
  expect(intents()).toBe(before.intents);
  expect(await rows('payment_deposits', accountId)).toBe(before.rows);
}

describe('the payment policy on Stripe deposits', () => {
  it('caps an unverified account\'s deposits in total, counting open intents, and lifts the cap once verified', async () => {
    await h.profile(1, { kycStatus: 'unverified' });
    expect((await deposit(1, 'kyc-1', 15_000)).statusCode).toBe(201);
    const before = { intents: intents(), rows: await rows('payment_deposits', 1) };
    await expectRefused(await deposit(1, 'kyc-2', 5_001), 422, 'kyc_deposit_cap', before, 1);
    await h.profile(1, { kycStatus: 'pending' });
    await expectRefused(await deposit(1, 'kyc-2', 5_001), 422, 'kyc_deposit_cap', before, 1);
    expect((await deposit(1, 'kyc-3', 5_000)).statusCode).toBe(201);

    await h.profile(1, { kycStatus: 'verified' });
    expect((await deposit(1, 'kyc-2', 5_001)).statusCode).toBe(201);
    expect(intents()).toBe(before.intents + 2);
  });

  it('refuses every deposit of a rejected account', async () => {
    await h.profile(2, { kycStatus: 'rejected' });
    const before = { intents: intents(), rows: await rows('payment_deposits', 2) };
    await expectRefused(await deposit(2, 'rejected-1', 100), 403, 'kyc_rejected', before, 2);
  });

  it('refuses a deposit over the deposit limit, counting the gateway\'s test deposits and unpaid intents of the window', async () => {
    await h.profile(3, { kycStatus: 'verified', depositLimit: { amountMinor: 10_000, period: 'day' } });
    // A test deposit the gateway recorded (its own route, under the same lock and contract).
    await query(h.db, `INSERT INTO gateway_deposits (transfer_id, account_id, amount_minor) VALUES ('test-3-a', 3, 4000)`);
    const before = { intents: intents(), rows: await rows('payment_deposits', 3) };
    await expectRefused(await deposit(3, 'limit-1', 6_001), 422, 'deposit_limit_exceeded', before, 3);
    expect((await deposit(3, 'limit-2', 6_000)).statusCode).toBe(201);
    const full = { intents: intents(), rows: await rows('payment_deposits', 3) };
    await expectRefused(await deposit(3, 'limit-3', 1), 422, 'deposit_limit_exceeded', full, 3);
    // A retry of an accepted deposit is its first answer, not a new deposit.
    expect((await deposit(3, 'limit-2', 6_000)).statusCode).toBe(201);
    expect(intents()).toBe(full.intents);

    // Outside the window, or an intent that failed or was never paid for a day, stops counting.
    await query(h.db, `UPDATE gateway_deposits SET created_at = now() - interval '25 hours' WHERE transfer_id = 'test-3-a'`);
    expect((await deposit(3, 'limit-4', 4_000)).statusCode).toBe(201);
    await query(h.db, `UPDATE payment_deposits SET created_at = now() - interval '25 hours' WHERE account_id = 3 AND idempotency_key = 'limit-2'`);
    await query(h.db, `UPDATE payment_deposits SET state = 'payment_failed' WHERE account_id = 3 AND idempotency_key = 'limit-4'`);
    expect((await deposit(3, 'limit-5', 10_000)).statusCode).toBe(201);
  });

  it('lets one of two concurrent intents through when both would pass the limit', async () => {
    await h.profile(4, { kycStatus: 'verified', depositLimit: { amountMinor: 10_000, period: 'week' } });
    const before = intents();
    const answers = await Promise.all([deposit(4, 'race-a', 6_000), deposit(4, 'race-b', 6_000)]);
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([201, 422]);
    expect(answers.find((answer) => answer.statusCode === 422)?.json()).toMatchObject({ error: { code: 'deposit_limit_exceeded' } });
    expect(intents()).toBe(before + 1);
    expect(await rows('payment_deposits', 4)).toBe(1);
  });

  it('refuses deposits during self-exclusion, and credits an intent paid after its limit was lowered, which still counts', async () => {
    await h.profile(5, { kycStatus: 'verified' });
    const opened = await deposit(5, 'excl-1', 3_000);
    expect(opened.statusCode).toBe(201);
    const intent = opened.json<{ depositId: string; paymentIntentId: string }>();
    await h.profile(5, { depositLimit: { amountMinor: 1_000, period: 'day' }, selfExcludedUntil: LATER });
    const before = { intents: intents(), rows: await rows('payment_deposits', 5) };
    await expectRefused(await deposit(5, 'excl-2', 100), 403, 'self_excluded', before, 5);

    // Stripe took the money before the limit changed: the webhook credits it.
    const succeeded = {
      id: 'evt_policy_s5', type: 'payment_intent.succeeded',
      data: { object: { id: intent.paymentIntentId, object: 'payment_intent', amount: 3_000, amount_received: 3_000, currency: 'gbp', metadata: { accountId: '5', depositId: intent.depositId } } },
    };
    expect((await h.webhook(succeeded)).json()).toEqual({ received: true, outcome: 'succeeded' });
    await h.drain.drainOnce();
    expect(await h.balances(5)).toEqual([13_000, 13_000]);
    await h.profile(5, { selfExcludedUntil: null });
    await expectRefused(await deposit(5, 'excl-3', 100), 422, 'deposit_limit_exceeded', before, 5);
  });
});

describe('the payment policy on withdrawals', () => {
  it('refuses an unverified, pending or rejected account\'s withdrawal before reserving, and pays once verified', async () => {
    for (const [kycStatus, status, code] of [['unverified', 403, 'kyc_not_verified'], ['pending', 403, 'kyc_not_verified'], ['rejected', 403, 'kyc_rejected']] as const) {
      await h.profile(6, { kycStatus });
      const refused = await withdraw(6, `wd-${kycStatus}`, 1_000);
      expect(refused.statusCode).toBe(status);
      expect(refused.json()).toMatchObject({ error: { code, message: expect.any(String) } });
    }
    expect(await rows('payment_withdrawals', 6)).toBe(0);
    expect(await h.balances(6)).toEqual([10_000, 10_000]);
    const payouts = h.standIn.created('/v1/payouts');

    await h.profile(6, { kycStatus: 'verified' });
    const paid = await withdraw(6, 'wd-unverified', 1_000);
    expect(paid.statusCode).toBe(201);
    expect(paid.json()).toMatchObject({ state: 'payout_created', amountMinor: 1_000 });
    expect(h.standIn.created('/v1/payouts')).toBe(payouts + 1);
    expect(await h.balances(6)).toEqual([9_000, 9_000]);
  });

  it('lets a self-excluded account withdraw', async () => {
    await h.profile(7, { kycStatus: 'verified', selfExcludedUntil: LATER });
    const answer = await withdraw(7, 'wd-excluded', 2_000);
    expect(answer.statusCode).toBe(201);
    expect(await h.balances(7)).toEqual([8_000, 8_000]);
  });
});
