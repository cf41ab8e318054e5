// The payment policy on the embedded default with the KYC caps on (KYC_DEPOSIT_CAP_MINOR set),
// against the real gateway process as `npm start` runs it (temp DATA_DIR: the engine partition,
// PGlite and the settlement worker in process; no Stripe keys): the payments routes the gateway
// serves refuse an unverified, pending or rejected account's withdrawal before reserving anything,
// pay it once an admin has verified the account, and let a self-excluded account withdraw while
// its deposits are refused.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess } from './testing/gateway-process.js';

const CAP = 50_000;
const ADMIN = 'admin@embedded-policy.test';
const PASSWORD = 'correct horse battery staple';

let gateway: GatewayProcess | null = null;
let dataDir = '';
let adminToken = '';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'embedded-policy-'));
  gateway = await GatewayProcess.start({
    env: {
      DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '', DEMO: '0',
      KYC_DEPOSIT_CAP_MINOR: String(CAP), ADMIN_EMAILS: ADMIN, REST_REQUESTS_PER_MINUTE: '100000', AUTH_REQUESTS_PER_MINUTE: '100000',
    },
  });
  adminToken = (await account('admin', ADMIN)).token;
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(method: string, path: string, options: { token?: string; key?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${gateway?.api ?? ''}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function account(name: string, email = `${name}@embedded-policy.test`): Promise<{ token: string; accountId: number }> {
  expect((await call('POST', '/v1/auth/register', { body: { email, password: PASSWORD } })).status).toBe(201);
  const login = await call('POST', '/v1/auth/login', { body: { email, password: PASSWORD } });
  expect(login.status).toBe(200);
  return { token: String(login.body['accessToken']), accountId: Number(login.body['accountId']) };
}

async function submitDocument(token: string, digit: string): Promise<void> {
  const document = { kind: 'passport', fileName: 'passport.pdf', contentType: 'application/pdf', sizeBytes: 1_000, sha256: digit.repeat(64) };
  expect((await call('POST', '/v1/account/kyc/documents', { token, body: document })).status).toBe(201);
}

async function decide(accountId: number, decision: 'verified' | 'rejected'): Promise<void> {
  const answer = await call('POST', `/v1/admin/users/${accountId}/kyc`, { token: adminToken, body: { decision, reason: 'documents checked' } });
  expect(answer.body).toMatchObject({ kyc: { status: decision } });
}

const deposit = (token: string, key: string, amountMinor: number) => call('POST', '/v1/deposits/test', { token, key, body: { amountMinor } });
const withdraw = (token: string, key: string, amountMinor: number) => call('POST', '/v1/payments/withdrawals', { token, key, body: { amountMinor } });

async function availableMinor(token: string): Promise<number> {
  return Number((await call('GET', '/v1/account', { token })).body['availableMinor']);
}

async function withdrawalsListed(token: string): Promise<unknown[]> {
  return (await call('GET', '/v1/payments/withdrawals', { token })).body['withdrawals'] as unknown[];
}

describe('the payment policy on the embedded default', () => {
  it('refuses withdrawals until the account is verified, reserving nothing, then pays', async () => {
    const { token, accountId } = await account('unverified');
    expect((await deposit(token, 'seed', 10_000)).status).toBe(201);
    const refused = await withdraw(token, 'wd-1', 3_000);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'kyc_not_verified', message: expect.any(String) } });
    await submitDocument(token, 'b');
    expect((await withdraw(token, 'wd-1', 3_000)).body).toMatchObject({ error: { code: 'kyc_not_verified' } });
    expect(await availableMinor(token)).toBe(10_000);
    expect(await withdrawalsListed(token)).toEqual([]);

    await decide(accountId, 'verified');
    const paid = await withdraw(token, 'wd-1', 3_000);
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ state: 'paid', amountMinor: 3_000, test: true });
    expect(await availableMinor(token)).toBe(7_000);
  });

  it('refuses a rejected account\'s withdrawals and deposits', async () => {
    const { token, accountId } = await account('rejected');
    expect((await deposit(token, 'seed', 5_000)).status).toBe(201);
    await submitDocument(token, 'c');
    await decide(accountId, 'rejected');
    expect((await withdraw(token, 'wd-1', 1_000))).toMatchObject({ status: 403, body: { error: { code: 'kyc_rejected' } } });
    expect((await deposit(token, 'more', 1_000))).toMatchObject({ status: 403, body: { error: { code: 'kyc_rejected' } } });
    expect(await availableMinor(token)).toBe(5_000);
  });

  it('lets a self-excluded account withdraw while refusing its deposits', async () => {
    const { token, accountId } = await account('excluded');
    expect((await deposit(token, 'seed', 8_000)).status).toBe(201);
    await submitDocument(token, 'd');
    await decide(accountId, 'verified');
    expect((await call('POST', '/v1/account/self-exclusion', { token, body: { days: 30 } })).status).toBe(200);
    expect((await deposit(token, 'more', 1_000))).toMatchObject({ status: 403, body: { error: { code: 'self_excluded' } } });
    expect((await withdraw(token, 'wd-1', 2_000))).toMatchObject({ status: 201, body: { state: 'paid', amountMinor: 2_000 } });
    expect(await availableMinor(token)).toBe(6_000);
  });
});
