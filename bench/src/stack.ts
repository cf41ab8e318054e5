// The real stack for load benchmarks, started on this machine: Redis (AOF), PostgreSQL and the
// gateway process (REST + WebSocket, the engine partition in process journaling to Redis), with
// accounts registered and funded over REST. Loopback only; everything is stopped by stop().

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayProcess } from '../../gateway/src/testing/gateway-process.js';
import { startPostgres, startRedis } from '../../scripts/test-servers.js';

const PASSWORD = 'correct horse battery staple';

export interface Stack {
  readonly api: string;
  readonly wsUrl: string;
  readonly redisUrl: string;
  /** Redis's data dir (the AOF lives here). */
  readonly redisDir: string;
  /** Process ids, to read what CPU each one used. */
  readonly pids: { readonly gateway: number; readonly redis: number };
  /** Registers and logs in an account; funds it when fundMinor is given. */
  account(email: string, fundMinor?: number): Promise<{ token: string }>;
  post(path: string, body: unknown, token?: string, idempotencyKey?: string): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startStack(options: { appendfsync: 'always' | 'everysec' }): Promise<Stack> {
  const redis = await startRedis({ appendfsync: options.appendfsync });
  const postgres = await startPostgres();
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-stack-'));
  let gateway: GatewayProcess | undefined;
  const stop = async (): Promise<void> => {
    await gateway?.stop();
    await redis.stop();
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const profileDir = process.env['BENCH_GATEWAY_CPU_PROF'];
    gateway = await GatewayProcess.start({
      env: {
        DATABASE_URL: postgres.url,
        REDIS_URL: redis.url,
        JWT_SECRET: 'bench-secret-of-at-least-thirty-two-bytes',
        ADMIN_EMAILS: 'admin@bench.test',
        DATA_DIR: dataDir,
        DEMO: '0',
        SNAPSHOT_EVERY_COMMANDS: '100000000',
        REST_REQUESTS_PER_MINUTE: '100000000',
        AUTH_REQUESTS_PER_MINUTE: '100000000',
        WS_MESSAGES_PER_SECOND: '1000000',
        WS_MESSAGE_BURST: '1000000',
      },
      // BENCH_GATEWAY_CPU_PROF=<dir>: the gateway writes a V8 CPU profile there when it stops.
      ...(profileDir === undefined || profileDir === '' ? {} : { cpuProfileDir: profileDir }),
      startTimeoutMs: 60_000,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const api = gateway.api;
  const post = async (path: string, body: unknown, token?: string, idempotencyKey?: string): Promise<unknown> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    const response = await fetch(`${api}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const answer: unknown = await response.json();
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  return {
    api,
    wsUrl: gateway.wsUrl,
    redisUrl: redis.url,
    redisDir: redis.dir,
    pids: { gateway: gateway.child.pid ?? 0, redis: redis.pid },
    post,
    account: async (email, fundMinor) => {
      await post('/v1/auth/register', { email, password: PASSWORD });
      const login = (await post('/v1/auth/login', { email, password: PASSWORD })) as { accessToken: string };
      if (fundMinor !== undefined) await post('/v1/deposits/test', { amountMinor: fundMinor }, login.accessToken, `fund-${email}`);
      return { token: login.accessToken };
    },
    stop,
  };
}
