// Operations routes, left out of the OpenAPI document: liveness (/healthz) and readiness (/readyz:
// the database answers and the engine link follows its partition), plus the request-duration
// histogram by route template and status code. The metrics themselves are served on a port of
// their own (metrics-http.ts), never on this internet-facing one.

import type { RestApp } from '../context.js';
import type { GatewayMetrics } from '../../gateway-metrics.js';

export interface OpsDeps {
  readonly metrics?: GatewayMetrics;
  /** Resolves with the names of the checks that fail (empty when ready). */
  readonly readiness?: () => Promise<string[]>;
}

export function opsRoutes(app: RestApp, deps: OpsDeps): void {
  const { metrics } = deps;
  if (metrics !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.httpRequestSeconds.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
  }

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const failing = deps.readiness === undefined ? [] : await deps.readiness().catch((error: unknown) => [`readiness check: ${String(error)}`]);
    return reply.code(failing.length === 0 ? 200 : 503).send({ status: failing.length === 0 ? 'ready' : 'not_ready', failing });
  });

}
