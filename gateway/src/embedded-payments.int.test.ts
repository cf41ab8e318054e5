// Withdrawals on the embedded default, against the real gateway process as `npm start` runs it
// (temp DATA_DIR: the engine partition, PGlite over its socket server and the settlement worker in
// process; no Redis, no PostgreSQL server, no Stripe keys): the gateway serves the payments
// routes, a withdrawal is reserved in the engine, paid by the labelled TEST payouts and posted to
// the ledger; a failing TEST payout returns the money; one Idempotency-Key pays once.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess } from './testing/gateway-process.js';

interface Withdrawal {
  readonly withdrawalId: string;
  readonly state: string;
  readonly amountMinor: number;
  readonly payoutId: string | null;
  readonly failureCode: string | null;
  readonly test?: boolean;
  readonly notice?: string;
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

interface HistoryEntry {
  readonly kind: string;
  readonly reference: string | null;
  readonly availableDeltaMinor: number;
}

let gateway: GatewayProcess | null = null;
let dataDir = '';
let api = '';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'embedded-payments-'));
  gateway = await GatewayProcess.start({
    env: {
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
      STRIPE_SECRET_KEY: '',
      STRIPE_WEBHOOK_SECRET: '',
      DEMO: '0',
      REST_REQUESTS_PER_MINUTE: '100000',
      AUTH_REQUESTS_PER_MINUTE: '100000',
    },
  });
  api = gateway.api;
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

async function call(method: string, path: string, options: { token?: string; key?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${api}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** A new bettor with `depositMinor` of test funds; resolves with its access token. */
async function bettor(name: string, depositMinor: number): Promise<string> {
  const credentials = { email: `${name}@embedded-payments.test`, password: 'correct horse battery staple' };
  expect((await call('POST', '/v1/auth/register', { body: credentials })).status).toBe(201);
  const login = await call('POST', '/v1/auth/login', { body: credentials });
  expect(login.status).toBe(200);
  const token = String(login.body['accessToken']);
  expect((await call('POST', '/v1/deposits/test', { token, key: `seed-${name}`, body: { amountMinor: depositMinor } })).status).toBe(201);
  return token;
}

function withdraw(token: string, key: string, amountMinor: number): Promise<Answer> {
  return call('POST', '/v1/payments/withdrawals', { token, key, body: { amountMinor } });
}

async function availableMinor(token: string): Promise<number> {
  const account = await call('GET', '/v1/account', { token });
  expect(account.status).toBe(200);
  expect(account.body['balanceMinor']).toBe(account.body['availableMinor']);
  return Number(account.body['availableMinor']);
}

/** Polls until `read` gives `expected` (the ledger and the outbox follow the engine asynchronously). */
async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = await read();
  while (JSON.stringify(seen) !== JSON.stringify(expected)) {
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(seen)}, not ${JSON.stringify(expected)}\n${gateway?.output.slice(-2_000) ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    seen = await read();
  }
}

async function history(token: string): Promise<HistoryEntry[]> {
  const answer = await call('GET', '/v1/account/history?limit=200', { token });
  expect(answer.status).toBe(200);
  return answer.body['entries'] as HistoryEntry[];
}

/** The ledger's entries for the account, newest first, once they are `expected` ([kind, change to available] each). */
async function ledgerEntries(token: string, expected: Array<[string, number]>): Promise<HistoryEntry[]> {
  await eventually(async () => (await history(token)).map((e) => [e.kind, e.availableDeltaMinor]), expected);
  return history(token);
}

describe('withdrawals on the embedded default', () => {
  it('reserve in the engine, pay through the TEST payouts, say TEST, and reach the ledger\'s history', async () => {
    const token = await bettor('paid', 10_000);
    const answer = await withdraw(token, 'wd-paid', 3_000);
    expect(answer.status).toBe(201);
    const withdrawal = answer.body as unknown as Withdrawal;
    expect(withdrawal).toMatchObject({ state: 'paid', amountMinor: 3_000, payoutId: `test_po_${withdrawal.withdrawalId}`, failureCode: null, test: true });
    expect(withdrawal.notice).toMatch(/^TEST WITHDRAWAL: .*nothing is sent to a bank/);
    expect(await availableMinor(token)).toBe(7_000);

    const listed = await call('GET', '/v1/payments/withdrawals', { token });
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ test: true, withdrawals: [{ withdrawalId: withdrawal.withdrawalId, state: 'paid', amountMinor: 3_000 }] });

    const entries = await ledgerEntries(token, [['withdrawal', -3_000], ['deposit', 10_000]]);
    expect(entries[0]?.reference).toBe(`withdrawal:${withdrawal.withdrawalId}`);
  });

  it('pays once for one Idempotency-Key, sent twice at once and again later', async () => {
    const token = await bettor('once', 10_000);
    const [a, b] = await Promise.all([withdraw(token, 'wd-once', 2_500), withdraw(token, 'wd-once', 2_500)]);
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ state: 'paid', amountMinor: 2_500 });
    expect(b.body).toEqual(a.body);
    expect((await withdraw(token, 'wd-once', 2_500)).body).toEqual(a.body);
    const mismatch = await withdraw(token, 'wd-once', 2_600);
    expect(mismatch.status).toBe(422);
    expect(mismatch.body).toMatchObject({ error: { code: 'idempotency_key_mismatch' } });
    expect(await availableMinor(token)).toBe(7_500);
    const listed = await call('GET', '/v1/payments/withdrawals', { token });
    expect((listed.body['withdrawals'] as Withdrawal[]).map((w) => [w.amountMinor, w.state])).toEqual([[2_500, 'paid']]);
    await ledgerEntries(token, [['withdrawal', -2_500], ['deposit', 10_000]]);
  });

  it('returns the money of a failing TEST payout (minor units ending in 13) through the outbox, and the ledger shows both', async () => {
    const token = await bettor('failing', 10_000);
    const answer = await withdraw(token, 'wd-fail', 4_013);
    expect(answer.status).toBe(201);
    const withdrawal = answer.body as unknown as Withdrawal;
    expect(withdrawal).toMatchObject({ state: 'failed', amountMinor: 4_013, payoutId: null, failureCode: 'test_payout_failed', test: true });
    await eventually(() => availableMinor(token), 10_000);
    const entries = await ledgerEntries(token, [['deposit', 4_013], ['withdrawal', -4_013], ['deposit', 10_000]]);
    expect(entries.slice(0, 2).map((e) => e.reference)).toEqual([`withdrawal-reversal:${withdrawal.withdrawalId}`, `withdrawal:${withdrawal.withdrawalId}`]);
    expect((await withdraw(token, 'wd-fail', 4_013)).body).toEqual(answer.body);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await availableMinor(token)).toBe(10_000);
  });

  it('refuses more than the available balance, and lets one of two concurrent withdrawals of more than half through', async () => {
    const token = await bettor('refused', 10_000);
    const tooMuch = await withdraw(token, 'wd-too-much', 10_001);
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({ error: { code: 'insufficient_funds' } });
    expect(await availableMinor(token)).toBe(10_000);

    const [a, b] = await Promise.all([withdraw(token, 'wd-half-a', 6_000), withdraw(token, 'wd-half-b', 6_000)]);
    expect([a.status, b.status].sort()).toEqual([201, 422]);
    expect(await availableMinor(token)).toBe(4_000);
    await ledgerEntries(token, [['withdrawal', -6_000], ['deposit', 10_000]]);
  });

  it('answers bad requests with a JSON error and serves no second test deposit route', async () => {
    const token = await bettor('bad', 1_000);
    expect((await call('POST', '/v1/payments/withdrawals', { key: 'k', body: { amountMinor: 100 } })).body).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await call('POST', '/v1/payments/withdrawals', { token, body: { amountMinor: 100 } })).body).toMatchObject({ error: { code: 'missing_idempotency_key' } });
    const unknownField = await call('POST', '/v1/payments/withdrawals', { token, key: 'k', body: { amountMinor: 100, to: 'elsewhere' } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body).toMatchObject({ error: { code: 'invalid_request' } });
    const testDeposit = await call('POST', '/v1/payments/test-deposits', { token, key: 'k', body: { amountMinor: 100 } });
    expect(testDeposit.status).toBe(404);
    expect((await call('POST', '/v1/payments/deposits', { token, key: 'k', body: { amountMinor: 100, currency: 'gbp' } })).body).toMatchObject({ error: { code: 'stripe_not_configured' } });
    expect(await availableMinor(token)).toBe(1_000);
  });
});
