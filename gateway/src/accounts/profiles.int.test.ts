// Profiles, KYC and responsible gambling over the REST API with the real engine and PostgreSQL:
// the KYC deposit cap until verified, the admin's review (audited), a deposit limit and its
// cooling-off, a loss limit the engine enforces on real orders, and self-exclusion (orders
// cancelled, deposits and risk-adding orders refused, not shortened, lifted when it ends).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COOLING_OFF_MS, STANDARD_LADDER, tickOfDecimalOdds } from '@playchacha/protocol';
import { AuditLog } from './audit-log.js';
import { ProfileService } from './profiles.js';
import { ADMIN_EMAIL, registerAndLogin, startRestHarness, type RestHarness, type Session } from '../testing/rest-harness.js';

const CAP = 500_00;
const MARKET_ID = 77;
const TICK_2_0 = tickOfDecimalOdds(STANDARD_LADDER, '2');
let clock = Date.parse('2026-11-25T10:00:00Z');
let h: RestHarness;
let admin: Session;
let punter: Session;
let sweeper: ProfileService;
let keys = 0;

beforeAll(async () => {
  h = await startRestHarness({ kycDepositCapMinor: CAP, now: () => clock });
  admin = await registerAndLogin(h.app, ADMIN_EMAIL);
  punter = await registerAndLogin(h.app, 'punter@example.com');
  sweeper = new ProfileService(h.pool, h.engine.link, new AuditLog(h.pool), CAP, () => clock);
  await h.app.inject({ method: 'POST', url: '/v1/admin/markets', headers: admin.headers, payload: { marketId: MARKET_ID, runnerCount: 2 } });
});
afterAll(async () => {
  await h?.stop();
});

const deposit = (amountMinor: number) =>
  h.app.inject({ method: 'POST', url: '/v1/deposits/test', headers: { ...punter.headers, 'idempotency-key': `dep-${++keys}` }, payload: { amountMinor } });
const order = (stakeMinor: number, persistence: 'lapse' | 'persist' = 'lapse') =>
  h.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...punter.headers, 'idempotency-key': `ord-${++keys}` },
    payload: { marketId: MARKET_ID, runnerIndex: 0, side: 'back', priceTicks: TICK_2_0, stakeMinor, persistence },
  });
const profile = async (session: Session = punter) => (await h.app.inject({ method: 'GET', url: '/v1/account/profile', headers: session.headers })).json() as {
  kyc: { status: string; depositTotalMinorMax: number | null; withdrawalsAllowed: boolean; documents: unknown[] };
  responsibleGambling: { depositLimit: unknown; depositLimitPending: { effectiveAt: string } | null; lossLimit: unknown; selfExcludedUntil: string | null; depositedInWindowMinor: number };
  displayName: string | null;
  country: string | null;
};
const balance = () => h.readModels.accounts.get(punter.accountId)?.balanceMinor;

describe('profile', () => {
  it('reads and changes the profile and preferences; bad fields change nothing', async () => {
    expect(await profile()).toMatchObject({ displayName: null, kyc: { status: 'unverified', depositTotalMinorMax: CAP, withdrawalsAllowed: false } });
    const patched = await h.app.inject({ method: 'PATCH', url: '/v1/account/profile', headers: punter.headers, payload: { displayName: 'Punter', country: 'GB', dateOfBirth: '1990-04-01', oddsFormat: 'fractional' } });
    expect(patched.json()).toMatchObject({ displayName: 'Punter', country: 'GB', dateOfBirth: '1990-04-01', preferences: { oddsFormat: 'fractional', marketingOptIn: false } });
    for (const payload of [{ country: 'gb' }, { dateOfBirth: '1990-13-01' }, { kycStatus: 'verified' }, { accountId: 1 }]) {
      expect((await h.app.inject({ method: 'PATCH', url: '/v1/account/profile', headers: punter.headers, payload })).statusCode).toBe(400);
    }
    expect(await profile()).toMatchObject({ country: 'GB', kyc: { status: 'unverified' } });
    expect((await h.app.inject({ method: 'GET', url: '/v1/account/profile' })).statusCode).toBe(401);
  });
});

describe('KYC', () => {
  it('caps deposits until verified; documents put the account in review; only an admin decides, audited', async () => {
    expect((await deposit(400_00)).statusCode).toBe(201);
    const capped = await deposit(100_01);
    expect(capped.statusCode).toBe(422);
    expect(capped.json()).toMatchObject({ error: { code: 'kyc_deposit_cap' } });
    expect(balance()).toBe(400_00);

    const document = { kind: 'passport', fileName: 'passport.pdf', contentType: 'application/pdf', sizeBytes: 120_000, sha256: 'a'.repeat(64) };
    const submitted = await h.app.inject({ method: 'POST', url: '/v1/account/kyc/documents', headers: punter.headers, payload: document });
    expect(submitted.statusCode).toBe(201);
    expect(submitted.json()).toMatchObject({ kyc: { status: 'pending', documents: [{ kind: 'passport', sha256: 'a'.repeat(64) }] } });
    expect((await h.app.inject({ method: 'POST', url: '/v1/account/kyc/documents', headers: punter.headers, payload: { ...document, sha256: 'xyz' } })).statusCode).toBe(400);

    const queue = await h.app.inject({ method: 'GET', url: '/v1/admin/kyc', headers: admin.headers });
    expect((queue.json() as { profiles: Array<{ accountId: number }> }).profiles.map((p) => p.accountId)).toEqual([punter.accountId]);
    const decide = (session: Session, decision: string) => h.app.inject({ method: 'POST', url: `/v1/admin/users/${punter.accountId}/kyc`, headers: session.headers, payload: { decision, reason: 'documents match' } });
    expect((await decide(punter, 'verified')).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: `/v1/admin/users/${punter.accountId}/profile`, headers: punter.headers })).statusCode).toBe(403);
    expect((await decide(admin, 'verified')).json()).toMatchObject({ kyc: { status: 'verified', depositTotalMinorMax: null, withdrawalsAllowed: true } });
    expect((await decide(admin, 'rejected')).json()).toMatchObject({ error: { code: 'kyc_not_pending' } });
    expect((await deposit(1_000_00)).statusCode).toBe(201);
    expect(balance()).toBe(1_400_00);

    const audit = await h.app.inject({ method: 'GET', url: `/v1/admin/audit?target=account:${punter.accountId}`, headers: admin.headers });
    const entries = (audit.json() as { entries: Array<{ action: string; outcome: string; actorAccountId: number }> }).entries;
    expect(entries.filter((e) => e.action === 'KycDecision').map((e) => [e.outcome, e.actorAccountId])).toEqual([['kyc_not_pending', admin.accountId], ['ok', admin.accountId]]);
  });
});

describe('responsible gambling', () => {
  it('enforces a deposit limit over its window; a raise waits out the cooling-off period', async () => {
    const set = (limit: unknown) => h.app.inject({ method: 'PUT', url: '/v1/account/limits/deposit', headers: punter.headers, payload: { limit } });
    expect((await set({ amountMinor: 0, period: 'day' })).statusCode).toBe(400);
    expect((await set({ amountMinor: 1_500_00, period: 'week' })).json()).toMatchObject({ responsibleGambling: { depositLimit: { amountMinor: 1_500_00, period: 'week' }, depositedInWindowMinor: 1_400_00 } });
    expect((await deposit(100_00)).statusCode).toBe(201);
    expect((await deposit(1)).json()).toMatchObject({ error: { code: 'deposit_limit_exceeded' } });
    const raised = await set({ amountMinor: 5_000_00, period: 'week' });
    expect(raised.json()).toMatchObject({ responsibleGambling: { depositLimit: { amountMinor: 1_500_00 }, depositLimitPending: { limit: { amountMinor: 5_000_00 } } } });
    expect((await deposit(1)).statusCode).toBe(422);
    clock += COOLING_OFF_MS;
    expect(await sweeper.applyDue()).toBe(1);
    expect((await profile()).responsibleGambling).toMatchObject({ depositLimit: { amountMinor: 5_000_00, period: 'week' }, depositLimitPending: null });
    expect((await deposit(100_00)).statusCode).toBe(201);
    // Eight days on, the earlier deposits are out of the week's window.
    clock += 8 * 86_400_000;
    expect((await profile()).responsibleGambling.depositedInWindowMinor).toBe(0);
  });

  it('has the engine refuse orders beyond the loss limit', async () => {
    const set = await h.app.inject({ method: 'PUT', url: '/v1/account/limits/loss', headers: punter.headers, payload: { limit: { amountMinor: 5_00, period: 'day' } } });
    expect(set.json()).toMatchObject({ responsibleGambling: { lossLimit: { amountMinor: 5_00, period: 'day' } } });
    const tooBig = await order(6_00);
    expect(tooBig.json()).toMatchObject({ error: { code: 'loss_limit_exceeded' } });
    expect((await order(5_00, 'persist')).statusCode).toBe(201);
  });

  it('self-excludes: cancels open orders, refuses deposits and risk-adding orders, cannot be shortened, ends on time', async () => {
    const openOrders = () => h.engine.partition.core.openOrders().filter((o) => o.accountId === punter.accountId);
    expect(openOrders()).toHaveLength(1);
    const excluded = await h.app.inject({ method: 'POST', url: '/v1/account/self-exclusion', headers: punter.headers, payload: { days: 7 } });
    const until = (excluded.json() as { responsibleGambling: { selfExcludedUntil: string } }).responsibleGambling.selfExcludedUntil;
    expect(Date.parse(until)).toBe(clock + 7 * 86_400_000);
    expect(openOrders()).toHaveLength(0);
    expect((await deposit(10_00)).json()).toMatchObject({ error: { code: 'self_excluded' } });
    expect((await order(1_00)).json()).toMatchObject({ error: { code: 'loss_limit_exceeded' } });
    const shorter = await h.app.inject({ method: 'POST', url: '/v1/account/self-exclusion', headers: punter.headers, payload: { days: 1 } });
    expect((shorter.json() as { responsibleGambling: { selfExcludedUntil: string } }).responsibleGambling.selfExcludedUntil).toBe(until);
    expect((await h.app.inject({ method: 'POST', url: '/v1/account/self-exclusion', headers: punter.headers, payload: { days: 0 } })).statusCode).toBe(400);

    clock += 6 * 86_400_000;
    expect(await sweeper.applyDue()).toBe(0);
    expect((await order(1_00)).statusCode).toBe(422);
    clock += 86_400_000;
    expect(await sweeper.applyDue()).toBe(1);
    expect((await profile()).responsibleGambling.selfExcludedUntil).toBeNull();
    // The loss limit is back in force: 5.00 may be risked again, not more.
    expect((await order(6_00)).json()).toMatchObject({ error: { code: 'loss_limit_exceeded' } });
    expect((await order(5_00)).statusCode).toBe(201);
    expect((await deposit(10_00)).statusCode).toBe(201);
  });
});
