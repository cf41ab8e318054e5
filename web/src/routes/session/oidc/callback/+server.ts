// The OpenID Connect provider's redirect back: checked against this browser's login state, then
// handed to the gateway, whose token pair becomes the session (refresh token in the cookie). The
// page then restores the session as on any load.

import { redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { gatewayRestUrl } from '$lib/server/gateway';
import { OIDC_STATE_COOKIE, OIDC_STATE_COOKIE_PATH } from '$lib/server/oidc';
import { storeRefreshToken, type TokenPair } from '$lib/server/session';

export const GET: RequestHandler = async ({ cookies, url, getClientAddress }) => {
  const expected = cookies.get(OIDC_STATE_COOKIE);
  cookies.delete(OIDC_STATE_COOKIE, { path: OIDC_STATE_COOKIE_PATH });
  const state = url.searchParams.get('state');
  if (expected === undefined || state === null || state !== expected) redirect(303, '/login?oidc_error=oidc_state');
  let response: Response;
  try {
    response = await fetch(`${gatewayRestUrl()}/v1/auth/oidc/callback${url.search}`, { headers: { 'x-forwarded-for': getClientAddress() } });
  } catch {
    redirect(303, '/login?oidc_error=gateway_unavailable');
  }
  if (!response.ok) {
    const code = ((await response.json().catch(() => null)) as { error?: { code?: string } } | null)?.error?.code ?? 'oidc_failed';
    redirect(303, `/login?oidc_error=${encodeURIComponent(code)}`);
  }
  storeRefreshToken((await response.json()) as TokenPair, { cookies, secure: url.protocol === 'https:' });
  redirect(303, '/');
};
