// Admin routes (403 for everyone else), the OpenAPI document and the WebSocket reference, the
// error format, security headers, the body limit, and the migrations down and up again.

import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS_DIR, MIGRATIONS_TABLE } from '../db/migrate.js';
import { ADMIN_EMAIL, freshDatabase, registerAndLogin, startRestHarness, type RestHarness, type Session } from '../testing/rest-harness.js';
import { sharedPostgres } from '../../../scripts/test-context.js';
import { WEBSOCKET_DOC_PATH } from './routes/docs-routes.js';
import pg from 'pg';

let h: RestHarness;
let admin: Session;
let bettor: Session;

const ADMIN_ROUTES: ReadonlyArray<readonly ['GET' | 'POST', string, Record<string, unknown> | undefined]> = [
  ['POST', '/v1/admin/markets', { marketId: 50, runnerCount: 3 }],
  ['POST', '/v1/admin/markets/50/suspend', { reason: 'r' }],
  ['POST', '/v1/admin/markets/50/resume', { reason: 'r' }],
  ['POST', '/v1/admin/markets/50/in-play', { betDelayMs: 5000, reason: 'r' }],
  ['POST', '/v1/admin/markets/50/bet-delay', { betDelayMs: 5000, reason: 'r' }],
  ['POST', '/v1/admin/markets/50/close', { reason: 'r' }],
  ['POST', '/v1/admin/markets/50/settle', { winners: [{ runnerIndex: 0 }], reason: 'r' }],
  ['POST', '/v1/admin/markets/50/void', { reason: 'r' }],
  ['GET', '/v1/admin/accounts/1000000', undefined],
  ['POST', '/v1/admin/users/1000000/role', { role: 'admin', reason: 'r' }],
  ['GET', '/v1/admin/audit', undefined],
];

const REASON = { reason: 'trading integrity check' };

beforeAll(async () => {
  h = await startRestHarness();
  admin = await registerAndLogin(h.app, ADMIN_EMAIL);
  bettor = await registerAndLogin(h.app, 'gus@example.com');
});
afterAll(async () => {
  await h?.stop();
});

describe('admin routes', () => {
  it('refuse a bettor (and a market maker) with 403 and change nothing', async () => {
    for (const [method, url, payload] of ADMIN_ROUTES) {
      const response = await h.app.inject({ method, url, headers: bettor.headers, ...(payload === undefined ? {} : { payload }) });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 403 });
      expect(response.json()).toMatchObject({ error: { code: 'forbidden' } });
      expect((await h.app.inject({ method, url, ...(payload === undefined ? {} : { payload }) })).statusCode).toBe(401);
    }
    expect(h.readModels.markets.has(50)).toBe(false);
  });

  it('every admin route of the OpenAPI document refuses a bettor (403) and no token (401) before it reads the body', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/admin'))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => [method.toUpperCase(), path.replace(/\{[^}]+\}/g, '1')] as const));
    expect(routes.length).toBeGreaterThan(30);
    for (const [method, url] of routes) {
      const body = method === 'GET' ? {} : { payload: { unexpected: 'field' } };
      const refused = await h.app.inject({ method: method as 'GET', url, headers: bettor.headers, ...body });
      expect({ method, url, status: refused.statusCode }).toEqual({ method, url, status: 403 });
      expect(refused.json()).toMatchObject({ error: { code: 'forbidden' } });
      expect({ method, url, status: (await h.app.inject({ method: method as 'GET', url, ...body })).statusCode }).toEqual({ method, url, status: 401 });
    }
  });

  it('create, suspend and resume a market; orders are refused while it is suspended', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/v1/admin/markets', headers: admin.headers, payload: { marketId: 50, runnerCount: 3, commissionBps: 200 } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ marketId: 50, status: 'open', runnerCount: 3 });
    const again = await h.app.inject({ method: 'POST', url: '/v1/admin/markets', headers: admin.headers, payload: { marketId: 50, runnerCount: 3 } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'market_exists' } });
    expect((await h.app.inject({ method: 'POST', url: '/v1/admin/markets', headers: admin.headers, payload: { marketId: 51, runnerCount: 3, commissionBps: 10_001 } })).statusCode).toBe(400);

    const unexplained = await h.app.inject({ method: 'POST', url: '/v1/admin/markets/50/suspend', headers: admin.headers });
    expect(unexplained.statusCode).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: '/v1/markets/50', headers: admin.headers })).json()).toMatchObject({ status: 'open' });
    const suspended = await h.app.inject({ method: 'POST', url: '/v1/admin/markets/50/suspend', headers: admin.headers, payload: REASON });
    expect(suspended.json()).toMatchObject({ marketId: 50, status: 'suspended' });
    await h.app.inject({ method: 'POST', url: '/v1/deposits/test', headers: { ...bettor.headers, 'idempotency-key': 'd1' }, payload: { amountMinor: 100_00 } });
    const refused = await h.app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { ...bettor.headers, 'idempotency-key': 'o1' },
      payload: { marketId: 50, runnerIndex: 0, side: 'back', priceTicks: 10, stakeMinor: 1_00 },
    });
    expect(refused.json()).toMatchObject({ error: { code: 'market_suspended' } });
    expect((await h.app.inject({ method: 'POST', url: '/v1/admin/markets/50/resume', headers: admin.headers, payload: REASON })).json()).toMatchObject({ status: 'open' });
    expect((await h.app.inject({ method: 'POST', url: '/v1/admin/markets/404/suspend', headers: admin.headers, payload: REASON })).statusCode).toBe(404);
  });

  it('turn a market in-play, change its delay, close and settle it with a dead heat; void another; every action audited', async () => {
    const post = (url: string, payload: Record<string, unknown>) => h.app.inject({ method: 'POST', url, headers: admin.headers, payload });
    expect((await post('/v1/admin/markets', { marketId: 60, runnerCount: 3 })).statusCode).toBe(201);
    const inPlay = await post('/v1/admin/markets/60/in-play', { betDelayMs: 5_000, reason: 'kick-off' });
    expect(inPlay.json()).toMatchObject({ marketId: 60, inPlay: true, betDelayMs: 5_000 });
    expect((await post('/v1/admin/markets/60/bet-delay', { betDelayMs: 60_001, reason: 'too long' })).statusCode).toBe(400);
    expect((await post('/v1/admin/markets/60/bet-delay', { betDelayMs: 8_000, reason: 'red card' })).json()).toMatchObject({ betDelayMs: 8_000 });
    // Settling an open market is refused (it must be closed first), and the refusal is audited.
    const early = await post('/v1/admin/markets/60/settle', { winners: [{ runnerIndex: 0 }], reason: 'too early' });
    expect(early.statusCode).toBe(409);
    expect((await post('/v1/admin/markets/60/close', { reason: 'full time' })).json()).toMatchObject({ status: 'closed' });
    const badFactor = await post('/v1/admin/markets/60/settle', { winners: [{ runnerIndex: 0, factorNumerator: 1.5, factorDenominator: 2 }], reason: 'dead heat' });
    expect(badFactor.statusCode).toBe(400);
    const settled = await post('/v1/admin/markets/60/settle', {
      winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 2 }, { runnerIndex: 2, factorNumerator: 1, factorDenominator: 2 }],
      reason: 'dead heat for first',
    });
    expect(settled.json()).toMatchObject({ marketId: 60, status: 'settled' });
    expect((await post('/v1/admin/markets', { marketId: 61, runnerCount: 2 })).statusCode).toBe(201);
    expect((await post('/v1/admin/markets/61/void', {})).statusCode).toBe(400);
    expect((await post('/v1/admin/markets/61/void', { reason: 'event abandoned' })).json()).toMatchObject({ status: 'voided' });

    const audit = await h.app.inject({ method: 'GET', url: '/v1/admin/audit?target=market:60', headers: admin.headers });
    expect(audit.statusCode).toBe(200);
    const entries = (audit.json() as { entries: Array<{ action: string; reason: string; outcome: string; actorAccountId: number; details: Record<string, unknown> }> }).entries;
    expect(entries.map((e) => [e.action, e.outcome, e.reason])).toEqual([
      ['SettleMarket', 'ok', 'dead heat for first'],
      ['CloseMarket', 'ok', 'full time'],
      ['SettleMarket', 'invalid_transition', 'too early'],
      ['SetBetDelay', 'ok', 'red card'],
      ['TurnInPlay', 'ok', 'kick-off'],
      ['CreateMarket', 'ok', 'new market'],
    ]);
    expect(entries.every((e) => e.actorAccountId === admin.accountId)).toBe(true);
    expect(entries[0]?.details).toEqual({ winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 2 }, { runnerIndex: 2, factorNumerator: 1, factorDenominator: 2 }] });
    const page = (await h.app.inject({ method: 'GET', url: '/v1/admin/audit?limit=2', headers: admin.headers })).json() as { entries: Array<{ auditId: number; action: string }> };
    expect(page.entries.map((e) => e.action)).toEqual(['VoidMarket', 'CreateMarket']);
    const older = (await h.app.inject({ method: 'GET', url: `/v1/admin/audit?limit=1&before=${page.entries[1]?.auditId}`, headers: admin.headers })).json() as { entries: Array<{ action: string }> };
    expect(older.entries.map((e) => e.action)).toEqual(['SettleMarket']);
    expect((await h.app.inject({ method: 'GET', url: '/v1/admin/audit?limit=0', headers: admin.headers })).statusCode).toBe(400);
  });

  it('read any account\'s wallet and set roles', async () => {
    const wallet = await h.app.inject({ method: 'GET', url: `/v1/admin/accounts/${bettor.accountId}`, headers: admin.headers });
    expect(wallet.json()).toMatchObject({ accountId: bettor.accountId, balanceMinor: 100_00 });
    expect((await h.app.inject({ method: 'POST', url: '/v1/admin/users/42/role', headers: admin.headers, payload: { role: 'admin', reason: 'r' } })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'POST', url: `/v1/admin/users/${bettor.accountId}/role`, headers: admin.headers, payload: { role: 'root' } })).statusCode).toBe(400);
  });
});

describe('documentation and HTTP behaviour', () => {
  it('lists every route in the OpenAPI document at /docs/json', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const listed = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    const expected = [
      'POST /v1/auth/register', 'POST /v1/auth/login', 'POST /v1/auth/refresh', 'POST /v1/auth/logout',
      'POST /v1/api-keys', 'DELETE /v1/api-keys/{apiKeyId}',
      'GET /v1/markets', 'GET /v1/markets/{marketId}', 'GET /v1/account', 'GET /v1/account/history', 'GET /v1/account/settlements', 'POST /v1/deposits/test',
      'GET /v1/orders', 'POST /v1/orders', 'DELETE /v1/orders/{orderId}',
      'POST /v1/admin/markets', 'POST /v1/admin/markets/{marketId}/suspend', 'POST /v1/admin/markets/{marketId}/resume',
      'POST /v1/admin/markets/{marketId}/in-play', 'POST /v1/admin/markets/{marketId}/bet-delay', 'POST /v1/admin/markets/{marketId}/close',
      'POST /v1/admin/markets/{marketId}/settle', 'POST /v1/admin/markets/{marketId}/void', 'GET /v1/admin/audit',
      'GET /v1/admin/accounts/{accountId}', 'POST /v1/admin/users/{accountId}/role', 'GET /docs/websocket', 'GET /docs/asyncapi.json',
      'GET /v1/catalog/sports', 'GET /v1/catalog/events', 'GET /v1/catalog/events/{eventId}', 'GET /v1/catalog/markets/{marketId}',
      'POST /v1/admin/catalog/events', 'PATCH /v1/admin/catalog/events/{eventId}', 'POST /v1/admin/catalog/events/{eventId}/result',
      'POST /v1/admin/catalog/events/{eventId}/markets', 'PATCH /v1/admin/catalog/markets/{marketId}', 'POST /v1/admin/catalog/markets/{marketId}/result',
      'POST /v1/admin/catalog/feeds', 'GET /v1/admin/markets/{marketId}/risk', 'GET /v1/admin/risk', 'GET /v1/admin/system',
      'GET /v1/account/profile', 'PATCH /v1/account/profile', 'POST /v1/account/kyc/documents', 'PUT /v1/account/limits/deposit',
      'PUT /v1/account/limits/loss', 'POST /v1/account/self-exclusion', 'GET /v1/admin/kyc', 'GET /v1/admin/users/{accountId}/profile',
      'POST /v1/admin/users/{accountId}/kyc',
      'GET /v1/admin/users', 'GET /v1/admin/users/{accountId}', 'POST /v1/admin/users/{accountId}/suspend', 'POST /v1/admin/users/{accountId}/freeze',
      'POST /v1/admin/users/{accountId}/reactivate', 'PUT /v1/admin/users/{accountId}/limits', 'GET /v1/admin/config', 'GET /v1/admin/config/history',
      'PUT /v1/admin/config',
      'POST /v1/admin/markets/{marketId}/resettle', 'POST /v1/account/disputes', 'GET /v1/account/disputes', 'GET /v1/account/disputes/{disputeId}',
      'GET /v1/admin/disputes', 'POST /v1/admin/disputes/{disputeId}/resolve',
    ];
    expect(listed.sort()).toEqual(expected.sort());
    const placeOrder = doc.paths['/v1/orders']?.['post'] as { responses: Record<string, unknown>; parameters: Array<{ name: string; in: string; required: boolean }> };
    expect(Object.keys(placeOrder.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '422', '429']));
    expect(placeOrder.parameters).toContainEqual(expect.objectContaining({ name: 'idempotency-key', in: 'header', required: true }));
    expect((await h.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('serves the WebSocket API as an AsyncAPI document', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/docs/asyncapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const doc = response.json() as { asyncapi: string; operations: Record<string, unknown>; channels: { exchange: { messages: Record<string, { payload: { properties: Record<string, unknown> } }> } } };
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.keys(doc.operations)).toEqual(expect.arrayContaining(['receive_place', 'send_result', 'send_market_delta']));
    expect(Object.keys(doc.channels.exchange.messages['place']?.payload.properties ?? {})).toEqual(expect.arrayContaining(['clientOrderId', 'stakeMinor', 'priceTicks']));
  });

  it('serves the WebSocket reference as markdown', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/docs/websocket' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/markdown/);
    expect(response.body).toBe(readFileSync(WEBSOCKET_DOC_PATH, 'utf8'));
  });

  it('answers unknown routes, oversize bodies and wrong media types in the one error format, with security headers', async () => {
    const missing = await h.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
    expect(missing.headers['strict-transport-security']).toBeDefined();
    const huge = await h.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(64 * 1024) }) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    const text = await h.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
  });
});

describe('migrations', () => {
  it('go down and up again on an empty database, in their own table', async () => {
    const server = await sharedPostgres();
    const url = await freshDatabase(server.url);
    const count = readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith('.js')).length;
    expect(count).toBeGreaterThanOrEqual(6);
    expect(await migrate(url)).toHaveLength(count);
    expect(await migrate(url)).toHaveLength(0);
    expect(await migrate(url, 'down')).toHaveLength(count);
    expect(await migrate(url)).toHaveLength(count);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const tables = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
    await client.end();
    expect(tables.rows.map((row) => row.table_name)).toEqual(['catalog_competitions', 'catalog_events', 'catalog_markets', 'catalog_runners', 'catalog_sports', 'gateway_api_keys', 'gateway_audit_log', 'gateway_deposits', 'gateway_disputes', 'gateway_idempotency_keys', 'gateway_kyc_documents', 'gateway_oidc_identities', 'gateway_oidc_logins', 'gateway_platform_config', 'gateway_profiles', 'gateway_refresh_tokens', 'gateway_users', MIGRATIONS_TABLE].sort());
    await server.release();
  });
});
