// Vitest global setup: one shared redis-server and one PostgreSQL for the integration tests
// (`*.int.test.ts`), handed to them with provide/inject as `redisUrl` and `databaseUrl`.
//
// They start only when the run includes at least one integration test file, so a pure run pays
// nothing. TEST_SERVERS=always|never overrides the check. Tests that need a server of their own to
// kill or restart call startRedis()/startPostgres() from ./test-servers.ts themselves.
import type { TestProject } from 'vitest/node';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from './test-servers.js';

// The ProvidedContext keys are declared in ./test-context.ts.
import type {} from './test-context.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers: { redis?: RedisServer; postgres?: PostgresServer } = {};
  const teardown = async (): Promise<void> => {
    await Promise.allSettled([servers.redis?.stop(), servers.postgres?.stop()]);
  };
  project.provide('redisUrl', '');
  project.provide('databaseUrl', '');
  if (!(await runIncludesIntegrationTests(project))) return teardown;

  try {
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    servers.redis = redis;
    servers.postgres = postgres;
    project.provide('redisUrl', redis.url);
    project.provide('databaseUrl', postgres.url);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

async function runIncludesIntegrationTests(project: TestProject): Promise<boolean> {
  const mode = process.env['TEST_SERVERS'];
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  // The CLI's file filters (`vitest run engine/src/io`) are set on the Vitest instance before the
  // global setup runs; globTestFiles applies them the same way the run does.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern ?? [];
  const { testFiles } = await project.globTestFiles(filters);
  return testFiles.some((file) => file.endsWith('.int.test.ts'));
}
