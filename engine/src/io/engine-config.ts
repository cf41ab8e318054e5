// The engine process's configuration, from the environment. Without REDIS_URL the engine runs
// on its embedded defaults: a file journal and file snapshots under DATA_DIR (by default `.data`
// at the root of the repository, whichever workspace the process was started from).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA_DIR_DEFAULT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '.data');

export interface EngineConfig {
  readonly partition: string;
  readonly redisUrl: string | null;
  /** Replicas that must acknowledge each journal frame (WAIT) when Redis has replicas. */
  readonly redisReplicas: number;
  readonly dataDir: string;
  readonly httpPort: number;
  readonly httpHost: string;
  readonly leaseMs: number;
  readonly snapshotEveryCommands: number;
  readonly snapshotEveryMs: number;
  readonly standbyPollMs: number;
  /** Seed a demo market with a quoting market maker when the journal is empty (embedded default). */
  readonly demo: boolean;
  readonly logLevel: string;
}

/** A non-negative integer from the environment, or `fallback` when unset; throws on anything else. */
export function envInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${text}`);
  return value;
}

export function engineConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const redisUrl = env['REDIS_URL'] ?? null;
  return {
    partition: env['PARTITION'] ?? 'p0',
    redisUrl: redisUrl === '' ? null : redisUrl,
    redisReplicas: envInteger(env, 'REDIS_REPLICAS', 0),
    dataDir: env['DATA_DIR'] ?? DATA_DIR_DEFAULT,
    httpPort: envInteger(env, 'ENGINE_HTTP_PORT', 8081),
    httpHost: env['ENGINE_HTTP_HOST'] ?? '127.0.0.1',
    leaseMs: envInteger(env, 'LEASE_MS', 600),
    snapshotEveryCommands: envInteger(env, 'SNAPSHOT_EVERY_COMMANDS', 100_000),
    snapshotEveryMs: envInteger(env, 'SNAPSHOT_EVERY_MS', 60_000),
    standbyPollMs: envInteger(env, 'STANDBY_POLL_MS', 50),
    demo: (env['DEMO'] ?? (redisUrl === null || redisUrl === '' ? '1' : '0')) === '1',
    logLevel: env['LOG_LEVEL'] ?? 'info',
  };
}
