// Where the gateway is, from the server's environment (read at runtime, so one build serves any
// deployment): GATEWAY_URL is the REST base the server proxies to; GATEWAY_WS_URL is the
// WebSocket URL handed to browsers, which connect to it directly; PAYMENTS_URL, when set, the
// payments service that answers /v1/payments (unset: the gateway, which serves those routes
// itself on the embedded default).

import { env } from '$env/dynamic/private';

export function gatewayRestUrl(): string {
  return (env['GATEWAY_URL'] ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
}

/** The payments service (deposits through Stripe, withdrawals), served under /v1/payments as the ingress does; null when unset (the gateway's own). */
export function paymentsRestUrl(): string | null {
  const url = env['PAYMENTS_URL'];
  return url === undefined || url === '' ? null : url.replace(/\/+$/, '');
}

export function gatewayWsUrl(): string {
  return env['GATEWAY_WS_URL'] ?? 'ws://127.0.0.1:8082/v1/ws';
}

/** The refresh token lives only in this httpOnly cookie, scoped to the session routes. */
export const REFRESH_COOKIE = 'pc_refresh';
export const REFRESH_COOKIE_PATH = '/session';

/** Headers forwarded from the browser to the gateway (and nothing else: no cookies). */
const FORWARDED_REQUEST_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'accept'];

export function forwardedHeaders(request: Request, clientAddress: string): Headers {
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  headers.set('x-forwarded-for', clientAddress);
  return headers;
}

/** Response headers passed back to the browser. */
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'idempotent-replayed', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

export function answeredHeaders(response: Response): Headers {
  const headers = new Headers({ 'cache-control': 'no-store' });
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

/** A gateway-shaped error body for failures of the web server itself. */
export function errorResponse(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}
