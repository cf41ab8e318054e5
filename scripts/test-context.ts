// What integration tests import to reach the shared servers of the vitest global setup.
import { inject } from 'vitest';
import { startPostgres, startRedis } from './test-servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** redis://127.0.0.1:<port> of the shared test Redis (AOF, appendfsync always); '' when not started. */
    redisUrl: string;
    /** postgres://postgres@127.0.0.1:<port>/test of the shared test PostgreSQL; '' when not started. */
    databaseUrl: string;
  }
}

export interface SharedServer {
  readonly url: string;
  /** Stops the server if this call started it; a no-op for the global one. */
  release(): Promise<void>;
}

/** The global setup's Redis, or (when the setup did not start one) a private one. */
export async function sharedRedis(): Promise<SharedServer> {
  const url = inject('redisUrl');
  if (url !== '') return { url, release: async () => {} };
  const own = await startRedis();
  return { url: own.url, release: () => own.stop() };
}

/** The global setup's PostgreSQL, or (when the setup did not start one) a private one. */
export async function sharedPostgres(): Promise<SharedServer> {
  const url = inject('databaseUrl');
  if (url !== '') return { url, release: async () => {} };
  const own = await startPostgres();
  return { url: own.url, release: () => own.stop() };
}
