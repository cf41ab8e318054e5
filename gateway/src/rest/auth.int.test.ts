// Register, login, refresh rotation and reuse detection, logout, roles, API keys (REST and the
// WebSocket upgrade), bad tokens, strict bodies and the login rate limit — against real
// PostgreSQL, Redis and an in-process engine.

import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreAuthenticator } from '../store-authenticator.js';
import { ApiKeyStore } from '../accounts/api-key-store.js';
import { ADMIN_EMAIL, login, PASSWORD, registerAndLogin, startRestHarness, type RestHarness } from '../testing/rest-harness.js';
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, upgradeStatus } from '../testing/ws-harness.js';
import { WS_PATH, WsServer } from '../ws-server.js';

let h: RestHarness;

beforeAll(async () => {
  h = await startRestHarness();
});
afterAll(async () => {
  await h?.stop();
});

function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
  return h.app.inject({ method: 'POST', url, payload: payload as object, headers });
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('register and login', () => {
  it('registers a bettor with an argon2id hash and opens its exchange account', async () => {
    const response = await post('/v1/auth/register', { email: 'ann@example.com', password: PASSWORD });
    expect(response.statusCode).toBe(201);
    const body = response.json() as { accountId: number; role: string };
    expect(body.role).toBe('bettor');
    const stored = await h.pool.query<{ password_hash: string }>('SELECT password_hash FROM gateway_users WHERE account_id = $1', [body.accountId]);
    expect(stored.rows[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(h.readModels.accounts.get(body.accountId)).toMatchObject({ balanceMinor: 0 });
    const again = await post('/v1/auth/register', { email: 'ANN@example.com', password: PASSWORD });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ error: { code: 'email_taken', message: expect.any(String) } });
  });

  it('refuses fields the server owns and weak input', async () => {
    for (const field of ['accountId', 'userId', 'role', 'isAdmin']) {
      const response = await post('/v1/auth/register', { email: `x-${field}@example.com`, password: PASSWORD, [field]: field === 'role' ? 'admin' : 1 });
      expect(response.statusCode).toBe(400);
      expect((response.json() as { error: { code: string } }).error.code).toBe('forbidden_field');
    }
    expect((await post('/v1/auth/register', { email: 'y@example.com', password: PASSWORD, nickname: 'y' })).json()).toMatchObject({ error: { code: 'unknown_field' } });
    expect((await post('/v1/auth/register', { email: 'not-an-email', password: PASSWORD })).statusCode).toBe(400);
    expect((await post('/v1/auth/register', { email: 'z@example.com', password: 'short' })).statusCode).toBe(400);
    expect((await h.app.inject({ method: 'POST', url: '/v1/auth/register', headers: { 'content-type': 'application/json' }, payload: '{"email":' })).json()).toMatchObject({ error: { code: 'malformed_json' } });
  });

  it('logs in with a token the WebSocket authenticator accepts, and refuses a wrong password alike for unknown emails', async () => {
    const session = await registerAndLogin(h.app, 'ben@example.com');
    const ws = new StoreAuthenticator({ secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE }, new ApiKeyStore(h.pool));
    expect(await ws.authenticate({ bearerToken: session.accessToken, apiKey: null })).toMatchObject({ ok: true, principal: { accountId: session.accountId, method: 'jwt' } });
    const wrong = await post('/v1/auth/login', { email: 'ben@example.com', password: 'not the password at all' });
    const unknown = await post('/v1/auth/login', { email: 'nobody@example.com', password: PASSWORD });
    expect([wrong.statusCode, unknown.statusCode]).toEqual([401, 401]);
    expect(wrong.json()).toEqual(unknown.json());
  });

  it('gives the admin role to configured emails', async () => {
    const admin = await registerAndLogin(h.app, ADMIN_EMAIL);
    const [, payload] = admin.accessToken.split('.');
    expect(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())).toMatchObject({ role: 'admin', sub: String(admin.accountId), iss: JWT_ISSUER, aud: JWT_AUDIENCE });
  });
});

describe('refresh tokens', () => {
  it('rotates on every use; reusing a rotated token revokes the whole login', async () => {
    const session = await registerAndLogin(h.app, 'cat@example.com');
    const first = await post('/v1/auth/refresh', { refreshToken: session.refreshToken });
    expect(first.statusCode).toBe(200);
    const second = first.json() as { refreshToken: string; accessToken: string };
    expect(second.refreshToken).not.toBe(session.refreshToken);
    const third = await post('/v1/auth/refresh', { refreshToken: second.refreshToken });
    expect(third.statusCode).toBe(200);
    const latest = (third.json() as { refreshToken: string }).refreshToken;

    const reuse = await post('/v1/auth/refresh', { refreshToken: session.refreshToken });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json()).toMatchObject({ error: { code: 'refresh_token_reused' } });
    const afterReuse = await post('/v1/auth/refresh', { refreshToken: latest });
    expect(afterReuse.json()).toMatchObject({ error: { code: 'invalid_refresh_token' } });
    const family = await h.pool.query<{ revoked: boolean }>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM gateway_refresh_tokens WHERE account_id = $1',
      [session.accountId],
    );
    expect(family.rows.map((row) => row.revoked)).toEqual([true, true, true]);
    const raw = await h.pool.query("SELECT 1 FROM gateway_refresh_tokens WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'", [latest]);
    expect(raw.rowCount).toBe(0);
  });

  it('logout revokes the refresh token; another login is unaffected', async () => {
    await registerAndLogin(h.app, 'dan@example.com');
    const a = await login(h.app, 'dan@example.com');
    const b = await login(h.app, 'dan@example.com');
    expect((await post('/v1/auth/logout', { refreshToken: a.refreshToken })).statusCode).toBe(204);
    expect((await post('/v1/auth/refresh', { refreshToken: a.refreshToken })).statusCode).toBe(401);
    expect((await post('/v1/auth/refresh', { refreshToken: b.refreshToken })).statusCode).toBe(200);
    expect((await post('/v1/auth/refresh', { refreshToken: 'made-up' })).json()).toMatchObject({ error: { code: 'invalid_refresh_token' } });
  });
});

describe('access tokens', () => {
  it('refuses alg:none, expired, wrong audience or issuer, tampered and missing tokens with 401', async () => {
    const session = await registerAndLogin(h.app, 'eve@example.com');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: String(session.accountId), role: 'admin', iss: JWT_ISSUER, aud: JWT_AUDIENCE, iat: now, exp: now + 300 };
    const sign = (payload: Record<string, unknown>) => new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(JWT_SECRET);
    const [header, payload, signature] = session.accessToken.split('.');
    const tokens = {
      none: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`,
      expired: await sign({ ...claims, iat: now - 1000, exp: now - 600 }),
      audience: await sign({ ...claims, aud: 'someone-else' }),
      issuer: await sign({ ...claims, iss: 'https://evil.example' }),
      otherSecret: await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('another-secret-another-secret-0123456')),
      tampered: `${header}.${b64url({ ...claims, role: 'admin' })}.${signature}`,
      noRole: await sign({ ...claims, role: undefined }),
    };
    expect(payload).toBeDefined();
    for (const [name, token] of Object.entries(tokens)) {
      const response = await h.app.inject({ method: 'GET', url: '/v1/account', headers: { authorization: `Bearer ${token}` } });
      expect({ name, status: response.statusCode }).toEqual({ name, status: 401 });
      expect(response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await h.app.inject({ method: 'GET', url: '/v1/account' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/v1/account', headers: session.headers })).statusCode).toBe(200);
  });
});

describe('API keys', () => {
  it('are for market makers: a bettor gets 403; a market maker gets a key once, usable on REST and the WebSocket until revoked', async () => {
    const bettor = await registerAndLogin(h.app, 'fay@example.com');
    expect((await post('/v1/api-keys', {}, bettor.headers)).statusCode).toBe(403);

    const admin = await login(h.app, ADMIN_EMAIL);
    const promoted = await post(`/v1/admin/users/${bettor.accountId}/role`, { role: 'market_maker', reason: 'quotes the football markets' }, admin.headers);
    expect(promoted.json()).toMatchObject({ role: 'market_maker' });
    const refreshed = (await post('/v1/auth/refresh', { refreshToken: bettor.refreshToken })).json() as { accessToken: string; role: string };
    expect(refreshed.role).toBe('market_maker');

    const created = await post('/v1/api-keys', { label: 'quoter' }, { authorization: `Bearer ${refreshed.accessToken}` });
    expect(created.statusCode).toBe(201);
    const key = created.json() as { apiKey: string; apiKeyId: string; keyPrefix: string };
    expect(key.apiKey.startsWith(key.keyPrefix)).toBe(true);
    const stored = await h.pool.query<{ key_hash: Buffer }>('SELECT key_hash FROM gateway_api_keys WHERE api_key_id = $1', [key.apiKeyId]);
    expect(stored.rows[0]?.key_hash.toString('utf8')).not.toContain(key.apiKey);

    const viaKey = await h.app.inject({ method: 'GET', url: '/v1/account', headers: { 'x-api-key': key.apiKey } });
    expect(viaKey.json()).toMatchObject({ accountId: bettor.accountId });

    const ws = await WsServer.start({ link: h.engine.link, authenticator: new StoreAuthenticator({ secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE }, new ApiKeyStore(h.pool)), port: 0 });
    try {
      const url = `ws://127.0.0.1:${ws.port}${WS_PATH}`;
      expect(await upgradeStatus(url, { 'x-api-key': key.apiKey })).toBe(101);
      expect(await upgradeStatus(url, { 'x-api-key': `${key.apiKey}x` })).toBe(401);
      const revoked = await h.app.inject({ method: 'DELETE', url: `/v1/api-keys/${key.apiKeyId}`, headers: { authorization: `Bearer ${refreshed.accessToken}` } });
      expect(revoked.statusCode).toBe(204);
      expect(await upgradeStatus(url, { 'x-api-key': key.apiKey })).toBe(401);
      expect((await h.app.inject({ method: 'GET', url: '/v1/account', headers: { 'x-api-key': key.apiKey } })).statusCode).toBe(401);
    } finally {
      await ws.close();
    }
  });
});

describe('rate limits', () => {
  it('answers 429 with X-RateLimit-* and Retry-After headers to a login flood, counted in Redis', async () => {
    const app = await h.buildApp({ rateLimit: { perWindow: 1_000, authPerWindow: 5, windowMs: 60_000, nameSpace: `flood-${Date.now()}-` } });
    const statuses: number[] = [];
    let last = null as Awaited<ReturnType<typeof app.inject>> | null;
    for (let i = 0; i < 8; i++) {
      last = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'nobody@example.com', password: PASSWORD } });
      statuses.push(last.statusCode);
      if (i === 0) expect(last.headers['x-ratelimit-limit']).toBe('5');
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(last?.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(last?.json()).toMatchObject({ error: { code: 'rate_limited' } });
    const keys = await h.redis.keys('flood-*');
    expect(keys.length).toBeGreaterThan(0);
  });

  it('counts each client behind a trusted proxy apart, and ignores X-Forwarded-For from anyone else', async () => {
    const login = (app: Awaited<ReturnType<typeof h.buildApp>>, client: string) =>
      app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client }, payload: { email: 'nobody@example.com', password: PASSWORD } });
    const limits = (name: string) => ({ perWindow: 1_000, authPerWindow: 2, windowMs: 60_000, nameSpace: `${name}-${Date.now()}-` });
    const behindProxy = await h.buildApp({ trustProxy: '127.0.0.1', rateLimit: limits('proxied') });
    const statusesOf = async (app: Awaited<ReturnType<typeof h.buildApp>>, clients: string[]) => {
      const statuses: number[] = [];
      for (const client of clients) statuses.push((await login(app, client)).statusCode);
      return statuses;
    };
    // Two users behind the web server: each gets the whole allowance.
    expect(await statusesOf(behindProxy, ['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.2', '203.0.113.1'])).toEqual([401, 401, 401, 401, 429]);
    // Without trust the header is ignored: every request counts against the proxy's own address.
    const untrusted = await h.buildApp({ rateLimit: limits('direct') });
    expect(await statusesOf(untrusted, ['203.0.113.1', '203.0.113.2', '203.0.113.3'])).toEqual([401, 401, 429]);
  });
});
