// The gateway's REST API under /api (same origin, so no CORS): /api/v1/markets → GATEWAY_URL/v1/markets;
// /api/v1/payments/… → PAYMENTS_URL/v1/payments/… (the payments service, as the ingress routes it),
// or without PAYMENTS_URL to the gateway (which serves them on the embedded default, TEST payouts
// without Stripe keys), its 404 not_found answered as payments_unavailable where it does not.
// Only the request line, the body and a few headers cross; cookies never reach the gateway.

import type { RequestHandler } from './$types';
import { answeredHeaders, errorResponse, forwardedHeaders, gatewayRestUrl, paymentsRestUrl } from '$lib/server/gateway';
import { isPaymentsPath, paymentsNotServed } from '$lib/server/payments-route';

const proxy: RequestHandler = async ({ request, params, url, getClientAddress }) => {
  if (!params.path.startsWith('v1/')) return errorResponse(404, 'not_found', 'No such route.');
  const payments = isPaymentsPath(params.path);
  const paymentsUrl = payments ? paymentsRestUrl() : null;
  const target = `${paymentsUrl ?? gatewayRestUrl()}/${params.path}${url.search}`;
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'DELETE';
  let response: Response;
  try {
    response = await fetch(target, {
      method: request.method,
      headers: forwardedHeaders(request, getClientAddress()),
      ...(hasBody ? { body: await request.text() } : {}),
    });
  } catch {
    return errorResponse(503, 'gateway_unavailable', 'The exchange cannot be reached; try again shortly.');
  }
  const body = response.status === 204 ? null : await response.arrayBuffer();
  if (payments && paymentsUrl === null && paymentsNotServed(response.status, body)) {
    return errorResponse(404, 'payments_unavailable', 'Payments are not connected to this exchange.');
  }
  return new Response(body, { status: response.status, headers: answeredHeaders(response) });
};

export const GET = proxy;
export const POST = proxy;
export const DELETE = proxy;
export const PUT = proxy;
export const PATCH = proxy;
