// Admin user management and the platform configuration against real PostgreSQL and the engine on a
// file journal: every route refuses a bettor (403) and anonymous callers (401); search, detail,
// suspend / freeze / reactivate enforced by the engine on real orders over REST and WebSocket,
// trading limits, configuration versions with their history, and what the configuration drives
// (new accounts' limits, the default commission, the registration flag). Every change is audited.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '@playchacha/protocol';
import { transferAnswer } from '../../../settlement/src/payments/engine-answers.js';
import { ADMIN_EMAIL, registerAndLogin, startRestHarness, type RestHarness, type Session } from '../testing/rest-harness.js';
import { TestClient } from '../testing/ws-harness.js';
import type { ServerMessageOf } from '../ws-messages.js';

const MARKET_ID = 70;
const TICK_2_0 = 99;
const REASON = { reason: 'responsible gambling review' };

let h: RestHarness;
let admin: Session;
let bettor: Session;
let other: Session;

const CONFIG_V2 = {
  defaultCommissionBps: 250,
  defaultAccountLimits: { stakeMinorMax: 50_00, marketExposureMinorMax: null, openOrdersMax: 100 },
  featureFlags: { registrationOpen: true },
  reason: 'launch promotion',
};

const ADMIN_ROUTES: ReadonlyArray<readonly ['GET' | 'POST' | 'PUT', string, Record<string, unknown> | undefined]> = [
  ['GET', '/v1/admin/users?q=example', undefined],
  ['GET', '/v1/admin/users/1000000', undefined],
  ['POST', '/v1/admin/users/1000000/suspend', REASON],
  ['POST', '/v1/admin/users/1000000/freeze', REASON],
  ['POST', '/v1/admin/users/1000000/reactivate', REASON],
  ['PUT', '/v1/admin/users/1000000/limits', { stakeMinorMax: 1, marketExposureMinorMax: null, openOrdersMax: null, ...REASON }],
  ['GET', '/v1/admin/config', undefined],
  ['GET', '/v1/admin/config/history', undefined],
  ['PUT', '/v1/admin/config', CONFIG_V2],
];

const get = (url: string, session: Session = admin) => h.app.inject({ method: 'GET', url, headers: session.headers });
const send = (method: 'POST' | 'PUT', url: string, payload: Record<string, unknown>, session: Session = admin) =>
  h.app.inject({ method, url, headers: session.headers, payload });
let keyCount = 0;
const placeRest = (session: Session, stakeMinor = 10_00, priceTicks = TICK_2_0) =>
  h.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...session.headers, 'idempotency-key': `k${++keyCount}` },
    payload: { marketId: MARKET_ID, runnerIndex: 0, side: 'back', priceTicks, stakeMinor },
  });
const deposit = (session: Session, amountMinor: number) =>
  h.app.inject({ method: 'POST', url: '/v1/deposits/test', headers: { ...session.headers, 'idempotency-key': `d${++keyCount}` }, payload: { amountMinor } });
const auditOf = async (accountId: number) =>
  (await get(`/v1/admin/audit?target=account:${accountId}`)).json() as { entries: Array<{ action: string; reason: string; outcome: string; actorAccountId: number; details: Record<string, unknown> }> };

beforeAll(async () => {
  h = await startRestHarness();
  admin = await registerAndLogin(h.app, ADMIN_EMAIL);
  bettor = await registerAndLogin(h.app, 'wanda.wager@example.com');
  other = await registerAndLogin(h.app, 'oscar@example.org');
  await h.engine.submit({ type: 'CreateMarket', marketId: MARKET_ID, runnerCount: 3 });
  await deposit(bettor, 500_00);
});
afterAll(async () => {
  await h?.stop();
});

describe('admin user and configuration routes', () => {
  it('refuse a bettor with 403 and an anonymous caller with 401, changing nothing', async () => {
    for (const [method, url, payload] of ADMIN_ROUTES) {
      const response = await h.app.inject({ method, url, headers: bettor.headers, ...(payload === undefined ? {} : { payload }) });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 403 });
      expect(response.json()).toMatchObject({ error: { code: 'forbidden' } });
      expect((await h.app.inject({ method, url, ...(payload === undefined ? {} : { payload }) })).statusCode).toBe(401);
    }
    expect(((await get('/v1/admin/config/history')).json() as { versions: unknown[] }).versions).toHaveLength(1);
  });
});

describe('users', () => {
  it('are found by email substring, account id and status, in pages', async () => {
    const byEmail = (await get('/v1/admin/users?q=WAGER')).json() as { users: Array<{ accountId: number; email: string; role: string; status: string; kycStatus: string }> };
    expect(byEmail.users).toEqual([expect.objectContaining({ accountId: bettor.accountId, email: 'wanda.wager@example.com', role: 'bettor', status: 'active', kycStatus: 'unverified' })]);
    const byId = (await get(`/v1/admin/users?q=${other.accountId}`)).json() as { users: Array<{ email: string }> };
    expect(byId.users.map((user) => user.email)).toEqual(['oscar@example.org']);
    expect(((await get('/v1/admin/users?q=%25')).json() as { users: unknown[] }).users).toEqual([]);
    expect((await h.app.inject({ method: 'PATCH', url: '/v1/account/profile', headers: other.headers, payload: { displayName: 'Oscar the Grouch' } })).statusCode).toBe(200);
    const byName = (await get('/v1/admin/users?q=grouch')).json() as { users: Array<{ accountId: number; displayName: string }> };
    expect(byName.users).toEqual([expect.objectContaining({ accountId: other.accountId, displayName: 'Oscar the Grouch' })]);

    const first = (await get('/v1/admin/users?limit=2')).json() as { users: Array<{ accountId: number }>; nextAfter: string | null };
    expect(first.users.map((user) => user.accountId)).toEqual([admin.accountId, bettor.accountId]);
    expect(first.nextAfter).toBe(String(bettor.accountId));
    const second = (await get(`/v1/admin/users?limit=2&after=${first.nextAfter}`)).json() as { users: Array<{ accountId: number }>; nextAfter: string | null };
    expect(second.users.map((user) => user.accountId)).toEqual([other.accountId]);
    expect(second.nextAfter).toBeNull();

    expect((await get('/v1/admin/users?status=asleep')).statusCode).toBe(400);
    expect((await get('/v1/admin/users?limit=101')).statusCode).toBe(400);
    expect((await get('/v1/admin/users?sort=email')).statusCode).toBe(400);
  });

  it('shows one user with profile, KYC, limits, money and audit entries; an unknown user is 404', async () => {
    const detail = await get(`/v1/admin/users/${bettor.accountId}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({
      user: { accountId: bettor.accountId, status: 'active', tradingLimits: { stakeMinorMax: null, marketExposureMinorMax: null, openOrdersMax: null } },
      profile: { accountId: bettor.accountId, kyc: { status: 'unverified' } },
      account: { accountId: bettor.accountId, balanceMinor: 500_00, exposureMinor: 0 },
      audit: { entries: [] },
    });
    expect((await get('/v1/admin/users/999999')).json()).toMatchObject({ error: { code: 'user_not_found' } });
    const unknown = await send('POST', '/v1/admin/users/999999/freeze', REASON);
    expect(unknown.statusCode).toBe(404);
    expect((await auditOf(999999)).entries).toEqual([expect.objectContaining({ action: 'SetAccountStatus', outcome: 'user_not_found', actorAccountId: admin.accountId })]);
  });

  it('suspended: new orders are refused over REST and WebSocket with account_suspended, cancels work, open orders stay', async () => {
    const resting = await placeRest(bettor, 10_00, TICK_2_0 + 20);
    expect(resting.statusCode).toBe(201);
    const restingId = (resting.json() as { orderId: number }).orderId;

    expect((await send('POST', `/v1/admin/users/${bettor.accountId}/suspend`, {})).statusCode).toBe(400);
    expect((await send('POST', `/v1/admin/users/${bettor.accountId}/suspend`, { ...REASON, note: 'x' })).json()).toMatchObject({ error: { code: 'unknown_field' } });
    const suspended = await send('POST', `/v1/admin/users/${bettor.accountId}/suspend`, REASON);
    expect(suspended.statusCode).toBe(200);
    expect(suspended.json()).toMatchObject({ accountId: bettor.accountId, status: 'suspended' });
    // The bettor sees it on its own profile.
    expect((await h.app.inject({ method: 'GET', url: '/v1/account/profile', headers: bettor.headers })).json()).toMatchObject({ tradingStatus: 'suspended' });

    const refused = await placeRest(bettor);
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ error: { code: 'account_suspended' } });
    const client = await TestClient.token(h.engine.url, bettor.accountId);
    try {
      const reply = (await client.request({ type: 'place', clientOrderId: 'ws-1', marketId: MARKET_ID, runnerIndex: 1, side: 'back', priceTicks: TICK_2_0, stakeMinor: 5_00 })) as ServerMessageOf<'result'>;
      expect(reply.results).toEqual([expect.objectContaining({ status: 'rejected', code: 'account_suspended' })]);
    } finally {
      await client.close();
    }
    const orders = (await get('/v1/orders', bettor)).json() as { open: Array<{ orderId: number }> };
    expect(orders.open.map((order) => order.orderId)).toEqual([restingId]);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/orders/${restingId}`, headers: bettor.headers })).statusCode).toBe(200);

    expect(((await get('/v1/admin/users?status=suspended')).json() as { users: Array<{ accountId: number }> }).users.map((user) => user.accountId)).toEqual([bettor.accountId]);
    const audit = await auditOf(bettor.accountId);
    expect(audit.entries[0]).toMatchObject({ action: 'SetAccountStatus', actorAccountId: admin.accountId, reason: REASON.reason, outcome: 'ok', details: { from: 'active', to: 'suspended' } });

    expect((await send('POST', `/v1/admin/users/${bettor.accountId}/reactivate`, REASON)).json()).toMatchObject({ status: 'active' });
    expect((await placeRest(bettor, 1_00, TICK_2_0 + 30)).statusCode).toBe(201);
  });

  it('frozen: open orders are cancelled at once, orders and withdrawals are refused with account_frozen, deposits still credit', async () => {
    const open = await placeRest(bettor, 20_00, TICK_2_0 + 40);
    const openId = (open.json() as { orderId: number }).orderId;
    const frozen = await send('POST', `/v1/admin/users/${bettor.accountId}/freeze`, { reason: 'suspected account takeover' });
    expect(frozen.json()).toMatchObject({ status: 'frozen' });

    const orders = (await get('/v1/orders', bettor)).json() as { open: unknown[]; recentlyClosed: Array<{ orderId: number; closeReason: string }> };
    expect(orders.open).toEqual([]);
    expect(orders.recentlyClosed.find((order) => order.orderId === openId)).toMatchObject({ closeReason: 'account_frozen' });
    expect((await get(`/v1/admin/users/${bettor.accountId}`)).json()).toMatchObject({ account: { exposureMinor: 0 } });

    expect((await placeRest(bettor)).json()).toMatchObject({ error: { code: 'account_frozen' } });
    const client = await TestClient.token(h.engine.url, bettor.accountId);
    try {
      const reply = (await client.request({
        type: 'batch', mode: 'best_effort',
        instructions: [{ kind: 'place', clientOrderId: 'ws-f1', marketId: MARKET_ID, runnerIndex: 2, side: 'lay', priceTicks: TICK_2_0, stakeMinor: 2_00 }],
      })) as ServerMessageOf<'result'>;
      expect(reply.results).toEqual([expect.objectContaining({ status: 'rejected', code: 'account_frozen' })]);
    } finally {
      await client.close();
    }
    // The payments service reserves a withdrawal with the engine's Withdraw, and reads its answer so.
    const withdraw = { type: 'Withdraw', accountId: bettor.accountId, transferId: 'withdrawal:frozen-1', amountMinor: 10_00 } as const satisfies Command;
    expect(transferAnswer(withdraw, await h.engine.submit(withdraw))).toEqual({ kind: 'rejected', code: 'account_frozen' });
    expect((await deposit(bettor, 5_00)).statusCode).toBe(201);

    expect((await send('POST', `/v1/admin/users/${bettor.accountId}/reactivate`, REASON)).json()).toMatchObject({ status: 'active' });
    const again = { ...withdraw, transferId: 'withdrawal:active-1' };
    expect(transferAnswer(again, await h.engine.submit(again))).toEqual({ kind: 'applied' });
    expect((await auditOf(bettor.accountId)).entries.slice(0, 2).map((entry) => entry.details)).toEqual([
      { from: 'frozen', to: 'active' },
      { from: 'active', to: 'frozen' },
    ]);
  });

  it('trading limits are enforced by the engine and survive a loss-limit change', async () => {
    const refused = await send('PUT', `/v1/admin/users/${other.accountId}/limits`, { stakeMinorMax: 0, marketExposureMinorMax: null, openOrdersMax: null, ...REASON });
    expect(refused.statusCode).toBe(400);
    const noReason = await send('PUT', `/v1/admin/users/${other.accountId}/limits`, { stakeMinorMax: 5_00, marketExposureMinorMax: null, openOrdersMax: null });
    expect(noReason.statusCode).toBe(400);
    const set = await send('PUT', `/v1/admin/users/${other.accountId}/limits`, { stakeMinorMax: 5_00, marketExposureMinorMax: null, openOrdersMax: null, ...REASON });
    expect(set.json()).toMatchObject({ tradingLimits: { stakeMinorMax: 5_00, marketExposureMinorMax: null, openOrdersMax: null } });
    await deposit(other, 100_00);
    expect((await placeRest(other, 6_00)).json()).toMatchObject({ error: { code: 'stake_above_maximum' } });
    // The account's own loss limit goes to the engine with the trading limits, not instead of them.
    expect((await h.app.inject({ method: 'PUT', url: '/v1/account/limits/loss', headers: other.headers, payload: { limit: { amountMinor: 50_00, period: 'week' } } })).statusCode).toBe(200);
    expect((await placeRest(other, 6_00)).json()).toMatchObject({ error: { code: 'stake_above_maximum' } });
    expect((await placeRest(other, 5_00)).statusCode).toBe(201);
    expect((await auditOf(other.accountId)).entries.map((entry) => entry.action)).toContain('SetTradingLimits');
  });
});

describe('platform configuration', () => {
  it('starts at version 1 with the exchange defaults', async () => {
    expect((await get('/v1/admin/config')).json()).toMatchObject({
      version: 1,
      defaultCommissionBps: 500,
      defaultAccountLimits: { stakeMinorMax: null, marketExposureMinorMax: null, openOrdersMax: null },
      featureFlags: { registrationOpen: true },
      actorAccountId: null,
    });
  });

  it('refuses a version with unknown fields, a missing reason, a missing value or an amount over its maximum, changing nothing', async () => {
    const bad: Array<Record<string, unknown>> = [
      { ...CONFIG_V2, surprise: 1 },
      { ...CONFIG_V2, featureFlags: { registrationOpen: true, casino: true } },
      { ...CONFIG_V2, reason: undefined },
      { ...CONFIG_V2, reason: '' },
      { ...CONFIG_V2, featureFlags: {} },
      { ...CONFIG_V2, defaultCommissionBps: 10_001 },
      { ...CONFIG_V2, defaultCommissionBps: 2.5 },
      { ...CONFIG_V2, defaultAccountLimits: { ...CONFIG_V2.defaultAccountLimits, stakeMinorMax: 10_000_000_001 } },
      { ...CONFIG_V2, defaultAccountLimits: { ...CONFIG_V2.defaultAccountLimits, openOrdersMax: '5' } },
    ];
    for (const payload of bad) {
      const response = await send('PUT', '/v1/admin/config', JSON.parse(JSON.stringify(payload)) as Record<string, unknown>);
      expect({ payload, status: response.statusCode }).toEqual({ payload, status: 400 });
    }
    expect((await get('/v1/admin/config')).json()).toMatchObject({ version: 1 });
  });

  it('publishes versions with who, when and why, keeps the history, and audits each', async () => {
    const published = await send('PUT', '/v1/admin/config', CONFIG_V2);
    expect(published.statusCode).toBe(200);
    expect(published.json()).toMatchObject({ version: 2, defaultCommissionBps: 250, actorAccountId: admin.accountId, reason: 'launch promotion' });
    expect((await get('/v1/admin/config')).json()).toMatchObject({ version: 2, defaultAccountLimits: CONFIG_V2.defaultAccountLimits });
    const history = (await get('/v1/admin/config/history')).json() as { versions: Array<{ version: number; defaultCommissionBps: number }> };
    expect(history.versions.map((version) => [version.version, version.defaultCommissionBps])).toEqual([[2, 250], [1, 500]]);
    expect(((await get('/v1/admin/config/history?before=2')).json() as { versions: Array<{ version: number }> }).versions.map((v) => v.version)).toEqual([1]);
    const audit = (await get('/v1/admin/audit?target=platform:config')).json() as { entries: Array<{ action: string; reason: string; details: { version: number } }> };
    expect(audit.entries[0]).toMatchObject({ action: 'SetPlatformConfig', reason: 'launch promotion', details: { version: 2 } });
    await expect(h.pool.query(`UPDATE gateway_platform_config SET default_commission_bps = 0 WHERE version = 1`)).rejects.toThrow(/immutable/);
  });

  it('gives new accounts the default limits, enforced by the engine', async () => {
    const newcomer = await registerAndLogin(h.app, 'nina.newcomer@example.com');
    await deposit(newcomer, 200_00);
    expect((await placeRest(newcomer, 50_01)).json()).toMatchObject({ error: { code: 'stake_above_maximum' } });
    expect((await placeRest(newcomer, 50_00)).statusCode).toBe(201);
    expect((await get(`/v1/admin/users/${newcomer.accountId}`)).json()).toMatchObject({ user: { tradingLimits: CONFIG_V2.defaultAccountLimits } });
  });

  it('gives markets created without a commission the default commission (admin and catalog)', async () => {
    const created = await send('POST', '/v1/admin/markets', { marketId: 71, runnerCount: 2 });
    expect(created.statusCode).toBe(201);
    expect(h.engine.partition.core.matching.markets.get(71)?.commissionBps).toBe(250);
    const explicit = await send('POST', '/v1/admin/markets', { marketId: 72, runnerCount: 2, commissionBps: 100 });
    expect(explicit.statusCode).toBe(201);
    expect(h.engine.partition.core.matching.markets.get(72)?.commissionBps).toBe(100);

    const event = await send('POST', '/v1/admin/catalog/events', {
      sportId: 'football', competition: { code: 'CUP', name: 'Cup' }, home: 'Rovers', away: 'United',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(), markets: ['match_odds'], reason: 'fixture added',
    });
    expect(event.statusCode).toBe(201);
    const [market] = (event.json() as { markets: Array<{ marketId: number; commissionBps: number }> }).markets;
    expect(market?.commissionBps).toBe(250);
    expect(h.engine.partition.core.matching.markets.get(market?.marketId ?? 0)?.commissionBps).toBe(250);
  });

  it('closes registration while the registrationOpen flag is off', async () => {
    expect((await send('PUT', '/v1/admin/config', { ...CONFIG_V2, featureFlags: { registrationOpen: false }, reason: 'maintenance' })).statusCode).toBe(200);
    const closed = await h.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email: 'late@example.com', password: 'correct horse battery staple' } });
    expect(closed.statusCode).toBe(403);
    expect(closed.json()).toMatchObject({ error: { code: 'registration_closed' } });
    expect(((await get('/v1/admin/users?q=late@')).json() as { users: unknown[] }).users).toEqual([]);
    expect((await send('PUT', '/v1/admin/config', { ...CONFIG_V2, reason: 'maintenance over' })).json()).toMatchObject({ version: 4 });
    expect((await h.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email: 'late@example.com', password: 'correct horse battery staple' } })).statusCode).toBe(201);
  });
});
