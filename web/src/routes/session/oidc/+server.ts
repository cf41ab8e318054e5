// Log in through the OpenID Connect provider: the gateway starts the login and names the
// provider's authorization page; the browser goes there, carrying the login's state in a cookie
// of its own so that only this browser can finish it (/session/oidc/callback).

import { redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { gatewayRestUrl } from '$lib/server/gateway';
import { OIDC_STATE_COOKIE, OIDC_STATE_COOKIE_PATH, OIDC_STATE_TTL_SECONDS, oidcLoginEnabled } from '$lib/server/oidc';

export const GET: RequestHandler = async ({ cookies, url, getClientAddress }) => {
  if (!oidcLoginEnabled()) redirect(303, '/login?oidc_error=oidc_unavailable');
  let response: Response;
  try {
    response = await fetch(`${gatewayRestUrl()}/v1/auth/oidc/authorize`, { redirect: 'manual', headers: { 'x-forwarded-for': getClientAddress() } });
  } catch {
    redirect(303, '/login?oidc_error=gateway_unavailable');
  }
  const location = response.status === 302 ? response.headers.get('location') : null;
  const state = location === null ? null : new URL(location).searchParams.get('state');
  if (location === null || state === null) {
    const code = ((await response.json().catch(() => null)) as { error?: { code?: string } } | null)?.error?.code ?? 'oidc_unavailable';
    redirect(303, `/login?oidc_error=${encodeURIComponent(code)}`);
  }
  cookies.set(OIDC_STATE_COOKIE, state, { path: OIDC_STATE_COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: url.protocol === 'https:', maxAge: OIDC_STATE_TTL_SECONDS });
  redirect(302, location);
};
