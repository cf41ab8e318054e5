// Login through an OpenID Connect provider end to end, against a local oidc-provider: the
// authorization code flow with PKCE through the provider's login and consent pages, a new user for
// a new identity, the same user at the next login, linking to a password user by a verified email,
// refusing an unverified one, and a callback replayed or forged refused.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAndLogin, startRestHarness, type RestHarness } from '../testing/rest-harness.js';

const REDIRECT_URI = 'http://127.0.0.1:3000/auth/callback';
let h: RestHarness;
let server: Server;
let issuer: string;

beforeAll(async () => {
  let handler: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.end();
  server = createServer((request, response) => handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'playchacha', client_secret: 'playchacha-test-secret', redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code'], response_types: ['code'] }],
    findAccount: (_context: unknown, subject: string) => ({
      accountId: subject,
      claims: () => ({ sub: subject, email: `${subject}@idp.example`, email_verified: !subject.startsWith('unverified') }),
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['oidc-test-cookie-key-0123456789'] },
  });
  handler = provider.callback();
  h = await startRestHarness({ oidc: { issuer, clientId: 'playchacha', clientSecret: 'playchacha-test-secret', redirectUri: REDIRECT_URI } });
});
afterAll(async () => {
  await h?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

/** Signs in at the provider as `subject` (its login and consent pages) and answers the redirect back's query. */
async function signInAtProvider(subject: string): Promise<URLSearchParams> {
  const start = await h.app.inject({ method: 'GET', url: '/v1/auth/oidc/authorize' });
  expect(start.statusCode).toBe(302);
  let url = new URL(String(start.headers.location));
  expect(url.origin).toBe(issuer);
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  const cookies = new Map<string, string>();
  const send = async (target: URL, init: RequestInit = {}) => {
    const response = await fetch(target, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string> | undefined), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = (pair ?? '').indexOf('=');
      cookies.set((pair ?? '').slice(0, index), (pair ?? '').slice(index + 1));
    }
    return response;
  };
  for (let step = 0; step < 12; step++) {
    let response = await send(url);
    if (response.status === 200) {
      const page = await response.text();
      const prompt = page.includes('name="prompt" value="login"') ? 'login' : 'consent';
      response = await send(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ prompt, login: subject, password: 'any' }).toString() });
    }
    const location = response.headers.get('location');
    if (location === null) throw new Error(`the provider answered ${response.status} at ${url.pathname}`);
    url = new URL(location, url);
    if (url.href.startsWith(REDIRECT_URI)) return url.searchParams;
  }
  throw new Error('too many redirects');
}

const callback = (query: URLSearchParams) => h.app.inject({ method: 'GET', url: `/v1/auth/oidc/callback?${query.toString()}` });

describe('OpenID Connect login', () => {
  it('creates a user for a new identity, and logs the same user in next time', async () => {
    const first = await callback(await signInAtProvider('newbie'));
    expect(first.statusCode).toBe(200);
    const tokens = first.json() as { accessToken: string; refreshToken: string; accountId: number; role: string };
    expect(tokens.role).toBe('bettor');
    const account = await h.app.inject({ method: 'GET', url: '/v1/account', headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(account.json()).toMatchObject({ accountId: tokens.accountId, balanceMinor: 0 });
    const refreshed = await h.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: tokens.refreshToken } });
    expect(refreshed.json()).toMatchObject({ accountId: tokens.accountId });

    const again = await callback(await signInAtProvider('newbie'));
    expect(again.json()).toMatchObject({ accountId: tokens.accountId });
    const { rows } = await h.pool.query(`SELECT email FROM gateway_users WHERE account_id = $1`, [tokens.accountId]);
    expect(rows).toEqual([{ email: 'newbie@idp.example' }]);
  });

  it('links a password user by a verified email, and refuses an unverified one', async () => {
    const password = await registerAndLogin(h.app, 'linked@idp.example');
    expect((await callback(await signInAtProvider('linked'))).json()).toMatchObject({ accountId: password.accountId });
    await registerAndLogin(h.app, 'unverified@idp.example');
    const refused = await callback(await signInAtProvider('unverified'));
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: { code: 'email_taken' } });
    expect((await h.pool.query(`SELECT 1 FROM gateway_oidc_identities WHERE subject = 'unverified'`)).rowCount).toBe(0);
  });

  it('refuses a replayed, forged or failed callback', async () => {
    const query = await signInAtProvider('replay');
    expect((await callback(query)).statusCode).toBe(200);
    const replayed = await callback(query);
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json()).toMatchObject({ error: { code: 'oidc_failed' } });
    const forged = await signInAtProvider('forged');
    forged.set('code', 'not-the-code');
    expect((await callback(forged)).json()).toMatchObject({ error: { code: 'oidc_failed' } });
    expect((await callback(new URLSearchParams({ error: 'access_denied', state: 'x' }))).statusCode).toBe(401);
    expect((await callback(new URLSearchParams({ code: 'c', state: 's', extra: '1' }))).statusCode).toBe(400);
  });
});
