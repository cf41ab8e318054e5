// Log out: revoke the login's tokens at the gateway and drop the cookie.

import type { RequestHandler } from './$types';
import { gatewayRestUrl, REFRESH_COOKIE, REFRESH_COOKIE_PATH } from '$lib/server/gateway';
import { forgetRotationsTo } from '$lib/server/session';

export const POST: RequestHandler = async ({ cookies }) => {
  const refreshToken = cookies.get(REFRESH_COOKIE);
  cookies.delete(REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH });
  if (refreshToken !== undefined && refreshToken !== '') {
    forgetRotationsTo(refreshToken);
    await fetch(`${gatewayRestUrl()}/v1/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    }).catch(() => undefined);
  }
  return new Response(null, { status: 204 });
};
