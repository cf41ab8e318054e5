// One payment policy on every money path, over the gateway's REST API with the real engine and
// PostgreSQL: the gateway's test deposit and the payments service's routes (mounted into the same
// app, paying through the Stripe stand-in) share the KYC caps, the deposit limit (one window
// counting both paths and open intents) and self-exclusion, set through the profile routes;
// withdrawals need a verified identity, and self-exclusion does not stop them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import Stripe from 'stripe';
import { migrate as migrateLedger } from '../../../settlement/src/db/migrate.js';
import { OutboxDrain } from '../../../settlement/src/payments/payment-outbox.js';
import { paymentsRoutes } from '../../../settlement/src/payments/payments-app.js';
import type { PaymentsConfig } from '../../../settlement/src/payments/payments-config.js';
import { StripePayouts } from '../../../settlement/src/payments/payouts.js';
import { Withdrawals } from '../../../settlement/src/payments/withdrawals.js';
import { StripeStandIn } from '../../../settlement/src/testing/stripe-stand-in.js';
import type { RestApp } from '../rest/context.js';
import { ADMIN_EMAIL, registerAndLogin, startRestHarness, type RestHarness, type Session } from '../testing/rest-harness.js';
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET } from '../testing/ws-harness.js';

const CAP = 50_000;
let h: RestHarness;
let app: RestApp;
let standIn: StripeStandIn;
let drain: OutboxDrain;
let withdrawals: Withdrawals;
let admin: Session;
let keys = 0;

beforeAll(async () => {
  h = await startRestHarness({ kycDepositCapMinor: CAP });
  await migrateLedger(h.databaseUrl, 'up');
  standIn = new StripeStandIn();
  await standIn.start();
  const stripe = new Stripe('sk_test_standin', { host: '127.0.0.1', port: standIn.port, protocol: 'http', maxNetworkRetries: 0, timeout: 5_000 });
  const logger = pino({ level: 'silent' });
  const config: PaymentsConfig = {
    jwtSecret: JWT_SECRET, jwtIssuer: JWT_ISSUER, jwtAudience: JWT_AUDIENCE,
    stripe: { secretKey: 'sk_test_standin', webhookSecret: 'whsec_standin_secret' },
    currency: 'gbp', transferMinorMax: 1_000_000, depositDailyMinorMax: 1_000_000, kycDepositCapMinor: CAP, partition: 'p0',
  };
  drain = new OutboxDrain({ db: h.pool, engine: h.engine.link, logger });
  withdrawals = new Withdrawals({ db: h.pool, config, payouts: new StripePayouts(stripe), engine: h.engine.link, drain, logger });
  app = await h.buildApp({ kycDepositCapMinor: CAP, payments: paymentsRoutes({ db: h.pool, config, stripe, drain, withdrawals, logger }, { testDeposits: false }) });
  admin = await registerAndLogin(app, ADMIN_EMAIL);
});

afterAll(async () => {
  await drain?.stop();
  await h?.stop();
  await standIn?.stop();
});

const testDeposit = (session: Session, amountMinor: number) =>
  app.inject({ method: 'POST', url: '/v1/deposits/test', headers: { ...session.headers, 'idempotency-key': `test-${++keys}` }, payload: { amountMinor } });
const stripeDeposit = (session: Session, amountMinor: number) =>
  app.inject({ method: 'POST', url: '/v1/payments/deposits', headers: { ...session.headers, 'idempotency-key': `stripe-${++keys}` }, payload: { amountMinor, currency: 'gbp' } });
const withdraw = (session: Session, amountMinor: number) =>
  app.inject({ method: 'POST', url: '/v1/payments/withdrawals', headers: { ...session.headers, 'idempotency-key': `wd-${++keys}` }, payload: { amountMinor } });
const intents = () => standIn.created('/v1/payment_intents');
const balance = (session: Session) => h.readModels.accounts.get(session.accountId)?.balanceMinor ?? 0;
const deposited = async (session: Session) =>
  ((await app.inject({ method: 'GET', url: '/v1/account/profile', headers: session.headers })).json() as { responsibleGambling: { depositedInWindowMinor: number } }).responsibleGambling.depositedInWindowMinor;

async function verify(session: Session): Promise<void> {
  const document = { kind: 'passport', fileName: 'passport.pdf', contentType: 'application/pdf', sizeBytes: 1_000, sha256: String(session.accountId % 10).repeat(64) };
  expect((await app.inject({ method: 'POST', url: '/v1/account/kyc/documents', headers: session.headers, payload: document })).statusCode).toBe(201);
  const decided = await app.inject({ method: 'POST', url: `/v1/admin/users/${session.accountId}/kyc`, headers: admin.headers, payload: { decision: 'verified', reason: 'documents match' } });
  expect(decided.json()).toMatchObject({ kyc: { status: 'verified', withdrawalsAllowed: true } });
}

function expectError(response: Awaited<ReturnType<typeof withdraw>>, status: number, code: string): void {
  expect(response.statusCode).toBe(status);
  expect(response.json()).toMatchObject({ error: { code, message: expect.any(String) } });
}

describe('one payment policy for test deposits, Stripe deposits and withdrawals', () => {
  it('counts test deposits, Stripe deposits and open intents in one deposit-limit window', async () => {
    const punter = await registerAndLogin(app, 'limits@example.com');
    await verify(punter);
    expect((await app.inject({ method: 'PUT', url: '/v1/account/limits/deposit', headers: punter.headers, payload: { limit: { amountMinor: 10_000, period: 'day' } } })).statusCode).toBe(200);
    expect((await testDeposit(punter, 4_000)).statusCode).toBe(201);
    const before = intents();
    expectError(await stripeDeposit(punter, 6_001), 422, 'deposit_limit_exceeded');
    expect(intents()).toBe(before);
    expect((await stripeDeposit(punter, 6_000)).statusCode).toBe(201);
    expect(intents()).toBe(before + 1);
    // The intent is not paid yet, and it counts on the gateway's path too.
    expectError(await testDeposit(punter, 1), 422, 'deposit_limit_exceeded');
    expect(await deposited(punter)).toBe(10_000);
    expect(balance(punter)).toBe(4_000);
  });

  it('lets one of a test deposit and a Stripe intent through when both at once would pass the limit', async () => {
    const punter = await registerAndLogin(app, 'race@example.com');
    await verify(punter);
    await app.inject({ method: 'PUT', url: '/v1/account/limits/deposit', headers: punter.headers, payload: { limit: { amountMinor: 10_000, period: 'week' } } });
    const before = intents();
    const [viaTest, viaStripe] = await Promise.all([testDeposit(punter, 6_000), stripeDeposit(punter, 6_000)]);
    expect([viaTest.statusCode, viaStripe.statusCode].sort()).toEqual([201, 422]);
    expect(intents()).toBe(before + (viaStripe.statusCode === 201 ? 1 : 0));
    expect(balance(punter)).toBe(viaTest.statusCode === 201 ? 6_000 : 0);
    expect(await deposited(punter)).toBe(6_000);
  });

  it('caps an unverified account\'s deposits by both paths and refuses its withdrawals until it is verified', async () => {
    const punter = await registerAndLogin(app, 'unverified@example.com');
    expect((await testDeposit(punter, 20_000)).statusCode).toBe(201);
    expect((await stripeDeposit(punter, 30_000)).statusCode).toBe(201);
    const before = intents();
    expectError(await stripeDeposit(punter, 1), 422, 'kyc_deposit_cap');
    expectError(await testDeposit(punter, 1), 422, 'kyc_deposit_cap');
    expect(intents()).toBe(before);
    expectError(await withdraw(punter, 1_000), 403, 'kyc_not_verified');
    expect(balance(punter)).toBe(20_000);
    expect(standIn.created('/v1/payouts')).toBe(0);

    await verify(punter);
    expect((await withdraw(punter, 1_000)).json()).toMatchObject({ state: 'payout_created', amountMinor: 1_000 });
    expect(balance(punter)).toBe(19_000);
    expect((await stripeDeposit(punter, 1)).statusCode).toBe(201);
  });

  it('refuses deposits by both paths during self-exclusion and still lets the account withdraw', async () => {
    const punter = await registerAndLogin(app, 'excluded@example.com');
    await verify(punter);
    expect((await testDeposit(punter, 5_000)).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/v1/account/self-exclusion', headers: punter.headers, payload: { days: 7 } })).statusCode).toBe(200);
    const before = intents();
    expectError(await stripeDeposit(punter, 100), 403, 'self_excluded');
    expectError(await testDeposit(punter, 100), 403, 'self_excluded');
    expect(intents()).toBe(before);
    expect((await withdraw(punter, 2_000)).statusCode).toBe(201);
    expect(balance(punter)).toBe(3_000);
  });
});
