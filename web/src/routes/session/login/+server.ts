// Log in: email and password → the session (access token in the answer, refresh token in a cookie).

import type { RequestHandler } from './$types';
import { errorResponse } from '$lib/server/gateway';
import { exchangeForSession } from '$lib/server/session';

export const POST: RequestHandler = async ({ request, cookies, url, getClientAddress }) => {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return errorResponse(400, 'malformed_json', 'The body is not valid JSON.');
  }
  return exchangeForSession({ path: '/v1/auth/login', body, cookies, secure: url.protocol === 'https:', clientAddress: getClientAddress(), fetch: globalThis.fetch });
};
