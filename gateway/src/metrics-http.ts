// The gateway's metrics listener: Prometheus text at /metrics on a port of its own, so the scrape
// stays inside the cluster while the REST port faces the internet through the load balancer.

import { createServer, type Server } from 'node:http';
import type { GatewayMetrics } from './gateway-metrics.js';

export function startMetricsHttp(options: { metrics: GatewayMetrics; host: string; port: number }): Promise<Server> {
  const { registry } = options.metrics;
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found' }));
      return;
    }
    registry
      .metrics()
      .then((text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text))
      .catch((error: unknown) => response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) })));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
