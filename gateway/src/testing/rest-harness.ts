// Integration-test harness for the REST API: a fresh PostgreSQL database (migrated), the shared
// Redis with a private key prefix, the engine partition of ws-harness.ts (file journal in a temp
// dir), and the app built over them (tests call app.inject()).

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { sharedPostgres, sharedRedis } from '../../../scripts/test-context.js';
import { corePositions } from '../catalog/risk-read-model.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { buildApp, type AppDeps } from '../rest/app.js';
import type { RestApp } from '../rest/context.js';
import { GatewayReadModels } from '../read-models.js';
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, startHarness, type Harness } from './ws-harness.js';

export const ADMIN_EMAIL = 'admin@playchacha.test';
export const PASSWORD = 'correct horse battery staple';

export interface RestHarness {
  readonly engine: Harness;
  readonly app: RestApp;
  readonly pool: pg.Pool;
  readonly redis: Redis;
  readonly databaseUrl: string;
  readonly readModels: GatewayReadModels;
  /** Builds another app over the same engine, database and Redis (for other limits). */
  buildApp(overrides?: Partial<AppDeps>): Promise<RestApp>;
  stop(): Promise<void>;
}

/** Creates a database of its own on the shared server; returns its URL. */
export async function freshDatabase(serverUrl: string): Promise<string> {
  const name = `gw_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function startRestHarness(overrides: Partial<AppDeps> = {}, engineOptions: { eventLog?: boolean } = {}): Promise<RestHarness> {
  const postgres = await sharedPostgres();
  const redisServer = await sharedRedis();
  const databaseUrl = await freshDatabase(postgres.url);
  await migrate(databaseUrl);
  const logger = pino({ level: 'silent' });
  const pool = createPool(databaseUrl, logger, 5);
  const redis = new Redis(redisServer.url, { connectTimeout: 1_000, maxRetriesPerRequest: 1 });
  const engine = await startHarness({}, undefined, engineOptions);
  const readModels = new GatewayReadModels(engine.link);
  const apps: RestApp[] = [];
  const build = async (more: Partial<AppDeps> = {}): Promise<RestApp> => {
    const app = await buildApp({
      link: engine.link,
      readModels,
      pool,
      redis,
      accessTokens: { secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, ttlSeconds: 300 },
      testDeposits: true,
      adminEmails: [ADMIN_EMAIL],
      rateLimit: { perWindow: 10_000, authPerWindow: 1_000, nameSpace: `rl-${randomBytes(6).toString('hex')}-` },
      positions: corePositions(() => engine.partition.core),
      ...overrides,
      ...more,
    });
    apps.push(app);
    return app;
  };
  const app = await build();
  return {
    engine,
    app,
    pool,
    redis,
    databaseUrl,
    readModels,
    buildApp: build,
    stop: async () => {
      for (const each of apps) await each.close();
      readModels.stop();
      await engine.stop();
      await pool.end();
      redis.disconnect();
      await postgres.release();
      await redisServer.release();
    },
  };
}

export interface Session {
  readonly accountId: number;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly headers: { authorization: string };
}

export async function registerAndLogin(app: RestApp, email: string): Promise<Session> {
  const registered = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: PASSWORD } });
  if (registered.statusCode !== 201) throw new Error(`register ${email}: ${registered.statusCode} ${registered.body}`);
  return login(app, email);
}

export async function login(app: RestApp, email: string): Promise<Session> {
  const response = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } });
  if (response.statusCode !== 200) throw new Error(`login ${email}: ${response.statusCode} ${response.body}`);
  const body = response.json() as { accountId: number; accessToken: string; refreshToken: string };
  return { accountId: body.accountId, accessToken: body.accessToken, refreshToken: body.refreshToken, headers: { authorization: `Bearer ${body.accessToken}` } };
}
