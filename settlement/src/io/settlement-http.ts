// The settlement worker's HTTP side door: liveness, readiness and Prometheus metrics.
// /healthz answers while the process runs and its worker has not failed; /readyz only while the
// worker consumes the events stream and both PostgreSQL and Redis answer; /metrics refreshes the
// consumer lag (the events stream's last seq less the ledger's) before it answers.

import { createServer, type Server } from 'node:http';
import type { Redis } from 'ioredis';
import { query, toMinor, type Db } from '../db/database.js';
import type { SettlementMetrics } from '../settlement-metrics.js';

export interface SettlementHttpOptions {
  readonly host: string;
  readonly port: number;
  readonly sql: Db;
  /** A connection of its own: the worker's is held by blocking stream reads. */
  readonly redis: Redis;
  /** The events stream followed, or every risk partition's over a partitioned engine (gauges summed). */
  readonly streamKey: string | readonly string[];
  readonly metrics: SettlementMetrics;
  /** True while the worker reads the events stream. */
  readonly consuming: () => boolean;
  /** False once the worker failed (the process is about to exit). */
  readonly healthy: () => boolean;
  readonly checkTimeoutMs?: number;
}

export async function readinessFailures(options: SettlementHttpOptions): Promise<string[]> {
  const timeoutMs = options.checkTimeoutMs ?? 2_000;
  const [database, redis] = await Promise.all([
    withTimeout(query(options.sql, 'SELECT 1'), timeoutMs),
    withTimeout(options.redis.ping(), timeoutMs),
  ]);
  const failing: string[] = [];
  if (!options.consuming()) failing.push('worker is not consuming');
  if (!database) failing.push('database');
  if (!redis) failing.push('redis');
  return failing;
}

/** Sets the lag gauge from the stream's newest entry and the ledger's cursor; leaves it on failure. */
export async function refreshLag(options: SettlementHttpOptions): Promise<void> {
  try {
    let ledgerSeqSum = 0;
    let lagCommands = 0;
    for (const streamKey of typeof options.streamKey === 'string' ? [options.streamKey] : options.streamKey) {
      const [newest] = await options.redis.xrevrange(streamKey, '+', '-', 'COUNT', 1);
      const streamSeq = newest === undefined ? 0 : Number(newest[0].split('-')[0]);
      const [cursor] = await query(options.sql, 'SELECT last_seq FROM stream_cursors WHERE stream_key = $1', [streamKey]);
      const ledgerSeq = cursor === undefined ? 0 : toMinor(cursor['last_seq']);
      ledgerSeqSum += ledgerSeq;
      lagCommands += Math.max(0, streamSeq - ledgerSeq);
    }
    options.metrics.ledgerSeq.set(ledgerSeqSum);
    options.metrics.consumerLagCommands.set(lagCommands);
  } catch {
    // The gauges keep their last values; /readyz reports the failing dependency.
  }
}

export function startSettlementHttp(options: SettlementHttpOptions): Promise<Server> {
  const server = createServer((request, response) => {
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    switch (request.url) {
      case '/healthz': {
        const ok = options.healthy();
        json(ok ? 200 : 503, { ok });
        return;
      }
      case '/readyz':
        readinessFailures(options)
          .then((failing) => json(failing.length === 0 ? 200 : 503, { ready: failing.length === 0, failing }))
          .catch((error: unknown) => json(503, { ready: false, failing: [String(error)] }));
        return;
      case '/metrics':
        refreshLag(options)
          .then(() => options.metrics.registry.metrics())
          .then((text) => response.writeHead(200, { 'content-type': options.metrics.registry.contentType }).end(text))
          .catch((error: unknown) => json(500, { error: String(error) }));
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

/** True when the promise settles successfully within the timeout. */
async function withTimeout(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([promise.then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
