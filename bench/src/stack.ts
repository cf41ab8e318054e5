// The real stack for load benchmarks, started on this machine: Redis (AOF), PostgreSQL and the
// gateway process (REST + WebSocket, the engine partition in process journaling to Redis), with
// accounts registered and funded over REST. Loopback only; everything is stopped by stop().

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@playchacha/engine/testing';
import { startPostgres, startRedis } from '../../scripts/test-servers.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PASSWORD = 'correct horse battery staple';

export interface Stack {
  readonly api: string;
  readonly wsUrl: string;
  readonly redisUrl: string;
  /** Redis's data dir (the AOF lives here). */
  readonly redisDir: string;
  /** Registers and logs in an account; funds it when fundMinor is given. */
  account(email: string, fundMinor?: number): Promise<{ token: string }>;
  post(path: string, body: unknown, token?: string, idempotencyKey?: string): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startStack(options: { appendfsync: 'always' | 'everysec' }): Promise<Stack> {
  const redis = await startRedis({ appendfsync: options.appendfsync });
  const postgres = await startPostgres();
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-stack-'));
  const [httpPort, wsPort, enginePort] = [await freePort(), await freePort(), await freePort()];
  // BENCH_GATEWAY_CPU_PROF=<dir>: the gateway writes a V8 CPU profile there when it stops.
  const profileDir = process.env['BENCH_GATEWAY_CPU_PROF'];
  const profiling = profileDir === undefined || profileDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const gateway = spawn(process.execPath, [...profiling, '--import', 'tsx', join(repoRoot, 'gateway', 'src', 'main.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      JWT_SECRET: 'bench-secret-of-at-least-thirty-two-bytes',
      ADMIN_EMAILS: 'admin@bench.test',
      DATA_DIR: dataDir,
      DEMO: '0',
      LOG_LEVEL: 'warn',
      GATEWAY_HTTP_PORT: String(httpPort),
      GATEWAY_WS_PORT: String(wsPort),
      GATEWAY_METRICS_PORT: '0',
      ENGINE_HTTP_PORT: String(enginePort),
      SNAPSHOT_EVERY_COMMANDS: '100000000',
      REST_REQUESTS_PER_MINUTE: '100000000',
      AUTH_REQUESTS_PER_MINUTE: '100000000',
      WS_MESSAGES_PER_SECOND: '1000000',
      WS_MESSAGE_BURST: '1000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async (): Promise<void> => {
    const exited = new Promise((resolve) => gateway.once('exit', resolve));
    gateway.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, profiling.length > 0 ? 10_000 : 500))]);
    gateway.kill('SIGKILL');
    await redis.stop();
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForReady(gateway);
  } catch (error) {
    await stop();
    throw error;
  }
  const api = `http://127.0.0.1:${httpPort}`;
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
    wsUrl: `ws://127.0.0.1:${wsPort}/v1/ws`,
    redisUrl: redis.url,
    redisDir: redis.dir,
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

function waitForReady(child: ChildProcess): Promise<void> {
  let output = '';
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('READY ')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code}:\n${output}`)));
  });
}
