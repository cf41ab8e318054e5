// Withdrawals end to end: reserved in the engine first, then paid out through the Stripe stand-in
// once; a failed payout (an API error or payout.failed) returns the money; a dropped connection is
// resumed by the recovery loop with the same key; concurrent requests never pay twice.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sharedPostgres, sharedRedis, type SharedServer } from '../../../scripts/test-context.js';
import { query } from '../db/database.js';
import { checkInvariants } from '../invariants.js';
import { startPayments, type PaymentsHarness } from '../testing/payments-harness.js';

let redisServer: SharedServer;
let postgresServer: SharedServer;
let h: PaymentsHarness;

beforeAll(async () => {
  [redisServer, postgresServer] = await Promise.all([sharedRedis(), sharedPostgres()]);
  h = await startPayments(redisServer.url, postgresServer.url, 'pay-wd');
  for (const accountId of [1, 2, 3, 4, 5]) {
    await h.engine.submit({ type: 'OpenAccount', accountId });
    await h.engine.submit({ type: 'Deposit', accountId, transferId: `seed-${accountId}`, amountMinor: 10_000 });
  }
});

afterEach(async () => {
  await h.drain.drainOnce();
  await h.balances(1);
  expect(await checkInvariants(h.db)).toEqual([]);
});

afterAll(async () => {
  await h?.stop();
  await Promise.all([redisServer?.release(), postgresServer?.release()]);
});

async function withdraw(accountId: number, key: string, amountMinor: number) {
  return h.app.inject({ method: 'POST', url: '/v1/payments/withdrawals', headers: { authorization: `Bearer ${await h.token(accountId)}`, 'idempotency-key': key }, payload: { amountMinor } });
}

function payoutEvent(id: string, type: 'payout.paid' | 'payout.failed', payoutId: string, withdrawalId: string) {
  return { id, type, data: { object: { id: payoutId, object: 'payout', amount: 0, currency: 'gbp', metadata: { withdrawalId }, failure_code: type === 'payout.failed' ? 'account_closed' : null } } };
}

describe('withdrawals', () => {
  it('reserves in the engine, pays out once with the withdrawal id as key, and payout.paid marks it paid', async () => {
    const response = await withdraw(1, 'wd-1', 3_000);
    expect(response.statusCode).toBe(201);
    const body = response.json<{ withdrawalId: string; payoutId: string; state: string }>();
    expect(body.state).toBe('payout_created');
    expect(await h.balances(1)).toEqual([7_000, 7_000]);
    const payout = h.standIn.requests.find((r) => r.path === '/v1/payouts');
    expect(payout?.idempotencyKey).toBe(body.withdrawalId);
    expect(payout?.params).toMatchObject({ amount: '3000', currency: 'gbp', metadata: { withdrawalId: body.withdrawalId } });
    expect((await withdraw(1, 'wd-1', 3_000)).json()).toEqual(response.json());
    expect(h.standIn.created('/v1/payouts')).toBe(1);
    expect((await withdraw(1, 'wd-1', 3_001)).json()).toMatchObject({ error: { code: 'idempotency_key_mismatch' } });

    expect((await h.webhook(payoutEvent('evt_wp1', 'payout.paid', body.payoutId, body.withdrawalId))).json()).toEqual({ received: true, outcome: 'paid' });
    expect((await h.webhook(payoutEvent('evt_wp1', 'payout.paid', body.payoutId, body.withdrawalId))).json()).toEqual({ received: true, outcome: 'duplicate' });
    expect(await h.balances(1)).toEqual([7_000, 7_000]);
  });

  it('refuses more than the available balance with 422 and pays nothing', async () => {
    const before = h.standIn.requests.length;
    const response = await withdraw(2, 'wd-big', 10_001);
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ error: { code: 'insufficient_funds' } });
    expect(h.standIn.requests.length).toBe(before);
    expect(await h.balances(2)).toEqual([10_000, 10_000]);
  });

  it('returns the money when Stripe answers the payout with an error, or payout.failed arrives', async () => {
    h.standIn.failNext(1, '500');
    const failed = await withdraw(3, 'wd-500', 4_000);
    expect(failed.json()).toMatchObject({ state: 'failed', failureCode: 'http_500', payoutId: null });
    await h.drain.drainOnce();
    expect(await h.balances(3)).toEqual([10_000, 10_000]);
    expect((await withdraw(3, 'wd-500', 4_000)).json()).toEqual(failed.json());

    const paidOut = (await withdraw(3, 'wd-later', 2_500)).json<{ withdrawalId: string; payoutId: string }>();
    expect(await h.balances(3)).toEqual([7_500, 7_500]);
    expect((await h.webhook(payoutEvent('evt_wf1', 'payout.failed', paidOut.payoutId, paidOut.withdrawalId))).json()).toMatchObject({ outcome: 'failed' });
    expect((await h.webhook(payoutEvent('evt_wf2', 'payout.failed', paidOut.payoutId, paidOut.withdrawalId))).json()).toMatchObject({ outcome: 'stale' });
    expect((await h.webhook(payoutEvent('evt_wp2', 'payout.paid', paidOut.payoutId, paidOut.withdrawalId))).json()).toMatchObject({ outcome: 'stale' });
    await h.drain.drainOnce();
    expect(await h.balances(3)).toEqual([10_000, 10_000]);
  });

  it('resumes after a dropped payout connection with the same key, paying once', async () => {
    const payoutsBefore = h.standIn.created('/v1/payouts');
    // stripe-node retries a closed connection once on its own (same key), so drop two.
    h.standIn.failNext(2, 'drop');
    const dropped = await withdraw(4, 'wd-drop', 1_000);
    expect(dropped.statusCode).toBe(502);
    expect(dropped.json()).toMatchObject({ error: { code: 'stripe_unavailable' } });
    const [row] = await query(h.db, `SELECT id, state FROM payment_withdrawals WHERE idempotency_key = 'wd-drop'`);
    expect(row?.['state']).toBe('reserved');
    expect(await h.balances(4)).toEqual([9_000, 9_000]);
    expect(await h.withdrawals.recoverOnce(0)).toBe(1);
    expect(await h.withdrawals.recoverOnce(0)).toBe(0);
    expect((await withdraw(4, 'wd-drop', 1_000)).json()).toMatchObject({ withdrawalId: row?.['id'], state: 'payout_created' });
    expect(h.standIn.created('/v1/payouts')).toBe(payoutsBefore + 1);
    expect(h.standIn.requests.filter((r) => r.idempotencyKey === row?.['id']).length).toBe(3);
    expect(await h.balances(4)).toEqual([9_000, 9_000]);
  });

  it('pays once for two concurrent requests with one Idempotency-Key', async () => {
    const payoutsBefore = h.standIn.created('/v1/payouts');
    const [a, b] = await Promise.all([withdraw(5, 'wd-same', 2_000), withdraw(5, 'wd-same', 2_000)]);
    expect(a.statusCode).toBe(201);
    expect(b.json()).toEqual(a.json());
    expect(h.standIn.created('/v1/payouts')).toBe(payoutsBefore + 1);
    expect(await h.balances(5)).toEqual([8_000, 8_000]);
  });

  it('lists the caller\'s own withdrawals, newest first, with their state and no one else\'s', async () => {
    const list = async (accountId: number | null) => h.app.inject({
      method: 'GET',
      url: '/v1/payments/withdrawals',
      headers: accountId === null ? {} : { authorization: `Bearer ${await h.token(accountId)}` },
    });
    const mine = (await list(3)).json<{ withdrawals: Array<{ state: string; amountMinor: number; failureCode: string | null; createdAt: string }> }>().withdrawals;
    // Account 3 asked for 4 000 (the payout failed at once) and then 2 500 (paid out, then payout.failed).
    expect(mine.map((w) => [w.amountMinor, w.state, w.failureCode])).toEqual([[2_500, 'failed', 'account_closed'], [4_000, 'failed', 'http_500']]);
    expect(mine.map((w) => w.createdAt)).toEqual([...mine.map((w) => w.createdAt)].sort().reverse());
    const others = (await list(1)).json<{ withdrawals: Array<{ amountMinor: number }> }>().withdrawals;
    expect(others.map((w) => w.amountMinor)).toEqual([3_000]);
    expect((await list(null)).statusCode).toBe(401);
    const unknownField = await h.app.inject({ method: 'GET', url: '/v1/payments/withdrawals?accountId=3', headers: { authorization: `Bearer ${await h.token(1)}` } });
    expect(unknownField.statusCode).toBe(400);
  });

  it('refuses a frozen account\'s withdrawal with 422 account_frozen, reserving and paying nothing', async () => {
    await h.engine.submit({ type: 'OpenAccount', accountId: 6 });
    await h.engine.submit({ type: 'Deposit', accountId: 6, transferId: 'seed-6', amountMinor: 10_000 });
    await h.engine.submit({ type: 'SetAccountStatus', accountId: 6, status: 'frozen' });
    const before = h.standIn.requests.length;
    const response = await withdraw(6, 'wd-frozen', 1_000);
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ error: { code: 'account_frozen' } });
    expect(h.standIn.requests.length).toBe(before);
    expect(await h.balances(6)).toEqual([10_000, 10_000]);
  });

  it('lets only one of two concurrent withdrawals of more than half the balance through', async () => {
    const [a, b] = await Promise.all([withdraw(5, 'wd-half-a', 5_000), withdraw(5, 'wd-half-b', 5_000)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 422]);
    expect([a, b].find((r) => r.statusCode === 422)?.json()).toMatchObject({ error: { code: 'insufficient_funds' } });
    expect(await h.balances(5)).toEqual([3_000, 3_000]);
    const states = await query(h.db, `SELECT state FROM payment_withdrawals WHERE idempotency_key LIKE 'wd-half-%' ORDER BY state`);
    expect(states.map((s) => s['state'])).toEqual(['payout_created', 'rejected']);
  });
});
