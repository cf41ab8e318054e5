// The login session on the web server: the gateway's refresh token is kept in an httpOnly cookie
// (never visible to scripts), and the browser receives only the short-lived access token.

import { createHash } from 'node:crypto';
import type { Cookies } from '@sveltejs/kit';
import { errorResponse, gatewayRestUrl, REFRESH_COOKIE, REFRESH_COOKIE_PATH } from './gateway';

export interface TokenPair {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
  readonly refreshToken: string;
  readonly refreshExpiresInSeconds: number;
  readonly accountId: number;
  readonly role: string;
}

/**
 * Refresh tokens rotate on every use, and the gateway revokes the whole login when a rotated token
 * is presented again. Two tabs opened together both present the same cookie, and a page that
 * navigates away while its refresh is in flight never stores the rotated cookie; so a rotation (in
 * flight or done) is shared with a repeat of the same token for up to a minute, and forgotten as
 * soon as its successor token is presented (the browser has it). Keyed by the token's hash; per
 * web server process.
 */
const ROTATION_GRACE_MS = 60_000;
type Rotation = { readonly ok: true; readonly pair: TokenPair } | { readonly ok: false; readonly response: Response };
const rotations = new Map<string, { readonly rotation: Promise<Rotation>; readonly untilMs: number }>();
/** The key of the token each rotated token replaced. */
const predecessors = new Map<string, string>();

function tokenKey(refreshToken: string): string {
  return createHash('sha256').update(refreshToken).digest('base64url');
}

/** Forgets a rotation that produced this refresh token (at logout). */
export function forgetRotationsTo(refreshToken: string): void {
  const nowMs = Date.now();
  for (const [key, entry] of rotations) if (entry.untilMs <= nowMs) rotations.delete(key);
  void Promise.all(
    [...rotations].map(async ([key, entry]) => {
      const rotation = await entry.rotation;
      if (rotation.ok && rotation.pair.refreshToken === refreshToken) rotations.delete(key);
    }),
  );
}

/** Calls a gateway auth route and, on success, stores the refresh token and answers the session. */
export async function exchangeForSession(options: {
  readonly path: '/v1/auth/login' | '/v1/auth/refresh';
  readonly body: unknown;
  readonly cookies: Cookies;
  readonly secure: boolean;
  readonly clientAddress: string;
  readonly fetch: typeof fetch;
}): Promise<Response> {
  if (options.path === '/v1/auth/refresh') {
    const key = tokenKey((options.body as { refreshToken: string }).refreshToken);
    const nowMs = Date.now();
    for (const [stale, entry] of rotations) {
      if (entry.untilMs > nowMs) continue;
      rotations.delete(stale);
      for (const [successor, predecessor] of predecessors) if (predecessor === stale) predecessors.delete(successor);
    }
    const predecessor = predecessors.get(key);
    if (predecessor !== undefined) {
      rotations.delete(predecessor);
      predecessors.delete(key);
    }
    let entry = rotations.get(key);
    if (entry === undefined) {
      const rotation = callGateway(options);
      entry = { rotation, untilMs: nowMs + ROTATION_GRACE_MS };
      rotations.set(key, entry);
      void rotation.then((done) => {
        if (done.ok) predecessors.set(tokenKey(done.pair.refreshToken), key);
      });
    }
    const rotation = await entry.rotation;
    if (!rotation.ok) {
      rotations.delete(key);
      if (rotation.response.status === 401) options.cookies.delete(REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH });
      return rotation.response.clone();
    }
    return answer(rotation.pair, options);
  }
  const rotation = await callGateway(options);
  if (!rotation.ok) return rotation.response;
  return answer(rotation.pair, options);
}

async function callGateway(options: { readonly path: string; readonly body: unknown; readonly clientAddress: string; readonly fetch: typeof fetch }): Promise<Rotation> {
  let response: Response;
  try {
    response = await options.fetch(`${gatewayRestUrl()}${options.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': options.clientAddress },
      body: JSON.stringify(options.body),
    });
  } catch {
    return { ok: false, response: errorResponse(503, 'gateway_unavailable', 'The exchange cannot be reached; try again shortly.') };
  }
  const text = await response.text();
  if (!response.ok) {
    return { ok: false, response: new Response(text, { status: response.status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } }) };
  }
  return { ok: true, pair: JSON.parse(text) as TokenPair };
}

/** Keeps a token pair's refresh token in the session cookie. */
export function storeRefreshToken(pair: TokenPair, options: { readonly cookies: Cookies; readonly secure: boolean }): void {
  options.cookies.set(REFRESH_COOKIE, pair.refreshToken, {
    path: REFRESH_COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict',
    secure: options.secure,
    maxAge: pair.refreshExpiresInSeconds,
  });
}

function answer(pair: TokenPair, options: { readonly cookies: Cookies; readonly secure: boolean }): Response {
  storeRefreshToken(pair, options);
  const session = { accessToken: pair.accessToken, expiresInSeconds: pair.expiresInSeconds, accountId: pair.accountId, role: pair.role };
  return new Response(JSON.stringify(session), { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}
