// The gateway's REST API under /api (same origin, so no CORS): /api/v1/markets → GATEWAY_URL/v1/markets.
// Only the request line, the body and a few headers cross; cookies never reach the gateway.

import type { RequestHandler } from './$types';
import { answeredHeaders, errorResponse, forwardedHeaders, gatewayRestUrl } from '$lib/server/gateway';

const proxy: RequestHandler = async ({ request, params, url, getClientAddress }) => {
  if (!params.path.startsWith('v1/')) return errorResponse(404, 'not_found', 'No such route.');
  const target = `${gatewayRestUrl()}/${params.path}${url.search}`;
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
  return new Response(response.status === 204 ? null : await response.arrayBuffer(), { status: response.status, headers: answeredHeaders(response) });
};

export const GET = proxy;
export const POST = proxy;
export const DELETE = proxy;
export const PUT = proxy;
export const PATCH = proxy;
