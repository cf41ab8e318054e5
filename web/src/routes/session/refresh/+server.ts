// A fresh access token from the refresh cookie (rotated on every use); 401 when there is no session.

import type { RequestHandler } from './$types';
import { errorResponse, REFRESH_COOKIE } from '$lib/server/gateway';
import { exchangeForSession } from '$lib/server/session';

export const POST: RequestHandler = async ({ cookies, url, getClientAddress }) => {
  const refreshToken = cookies.get(REFRESH_COOKIE);
  if (refreshToken === undefined || refreshToken === '') return errorResponse(401, 'no_session', 'Not logged in.');
  return exchangeForSession({ path: '/v1/auth/refresh', body: { refreshToken }, cookies, secure: url.protocol === 'https:', clientAddress: getClientAddress(), fetch: globalThis.fetch });
};
