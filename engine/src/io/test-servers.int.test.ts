// Self-test of the throwaway servers the integration tests run against (scripts/test-servers.ts):
// they start, answer, survive kill -9 with their data (Redis AOF, PostgreSQL WAL) and clean up.
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { psql, redisPing, startPostgres, startRedis, type PostgresServer, type RedisServer } from '../../../scripts/test-servers.js';
import '../../../scripts/test-context.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startRedis', () => {
  let server: RedisServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('starts, answers PING, survives kill -9 with its AOF, and stop() removes everything', async () => {
    server = await startRedis();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await redisPing(server.port)).toBe(true);
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await client.connect();
    try {
      expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
      await client.set('survives', 'kill -9');
    } finally {
      client.disconnect();
    }

    const firstPid = server.pid;
    await server.kill9();
    expect(processAlive(firstPid)).toBe(false);
    expect(await redisPing(server.port)).toBe(false);

    await server.restart();
    expect(server.pid).not.toBe(firstPid);
    const again = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await again.connect();
    try {
      expect(await again.get('survives')).toBe('kill -9');
    } finally {
      again.disconnect();
    }

    const { dir, pid } = server;
    await server.stop();
    server = undefined;
    expect(processAlive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('startPostgres', () => {
  let server: PostgresServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('starts with a database, answers SQL, and keeps committed rows across kill -9', async () => {
    server = await startPostgres({ database: 'selftest' });
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/selftest`);
    expect(await psql(server.url, 'SELECT 1')).toBe('1');
    await psql(server.url, 'CREATE TABLE t (v int); INSERT INTO t VALUES (41), (1)');

    await server.kill9();
    await expect(psql(server.url, 'SELECT 1')).rejects.toThrow(/psql failed/);
    await server.restart();
    expect(await psql(server.url, 'SELECT sum(v) FROM t')).toBe('42');

    const { dir } = server;
    await server.stop();
    server = undefined;
    expect(existsSync(dir)).toBe(false);
  });
});

describe('the global setup', () => {
  it('provides a shared Redis and PostgreSQL to integration runs', async () => {
    const redisUrl = inject('redisUrl');
    const databaseUrl = inject('databaseUrl');
    // TEST_SERVERS=never turns the shared servers off on purpose.
    if (process.env['TEST_SERVERS'] === 'never') {
      expect(redisUrl).toBe('');
      return;
    }
    expect(redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await redisPing(Number(new URL(redisUrl).port))).toBe(true);
    expect(databaseUrl).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/test$/);
    expect(await psql(databaseUrl, 'SELECT 2 + 2')).toBe('4');
  });
});
