// The engine's HTTP side door: liveness, readiness, Prometheus metrics and a status document.
// /healthz answers while the event loop runs; /readyz only while this instance leads or stands by
// caught up; /status shows the partition's role, position and state hash.

import { createServer, type Server } from 'node:http';
import type { EngineMetrics } from './metrics.js';
import type { EnginePartition, PartitionCore } from './partition.js';

export function startEngineHttp(options: {
  partition: EnginePartition<PartitionCore & { stateHash(): string }>;
  metrics: EngineMetrics;
  host: string;
  port: number;
  extraStatus?: () => Record<string, unknown>;
}): Promise<Server> {
  const { partition, metrics } = options;
  const server = createServer((request, response) => {
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    switch (request.url) {
      case '/healthz':
        json(partition.role === 'halted' ? 503 : 200, { ok: partition.role !== 'halted', role: partition.role });
        return;
      case '/readyz': {
        const ready = partition.role === 'leader' || partition.role === 'standby';
        json(ready ? 200 : 503, { ready, role: partition.role });
        return;
      }
      case '/metrics':
        metrics.registry
          .metrics()
          .then((text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
          .catch((error: unknown) => json(500, { error: String(error) }));
        return;
      case '/':
      case '/status':
        json(200, {
          role: partition.role,
          epoch: partition.epoch,
          seq: partition.appliedSeq,
          stateHash: partition.core.stateHash(),
          ...options.extraStatus?.(),
        });
        return;
      default:
        json(404, { error: 'not_found' });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
