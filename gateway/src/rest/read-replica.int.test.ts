// Reads that may lag go to the read pool (a replica): the public catalog and the wallet history.
// The "replica" here is a second real database whose content differs from the primary's, so
// where each answer came from shows: an event exists only in the replica's catalog, and only the
// replica has the ledger tables. Without a read pool the same routes read the primary. Users,
// logins and the admin's writes stay on the primary.

import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate as migrateLedger } from '../../../settlement/src/db/migrate.js';
import { sharedPostgres, type SharedServer } from '../../../scripts/test-context.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { ADMIN_EMAIL, freshDatabase, registerAndLogin, startRestHarness, type RestHarness } from '../testing/rest-harness.js';
import type { RestApp } from './context.js';

let h: RestHarness;
let postgres: SharedServer;
let replicaPool: pg.Pool;
/** Over the primary, reading the replica. */
let withReplica: RestApp;
/** Over the replica's database as its primary: how content gets into the "replica". */
let onReplica: RestApp;
let eventId = 0;

beforeAll(async () => {
  h = await startRestHarness();
  postgres = await sharedPostgres();
  const replicaUrl = await freshDatabase(postgres.url);
  await migrate(replicaUrl);
  await migrateLedger(replicaUrl, 'up');
  replicaPool = createPool(replicaUrl, pino({ level: 'silent' }), 3);
  // Both databases drive the one engine: the replica's own accounts take ids the primary never will.
  await replicaPool.query('ALTER SEQUENCE gateway_account_ids RESTART WITH 5000000');
  withReplica = await h.buildApp({ readPool: replicaPool });
  onReplica = await h.buildApp({ pool: replicaPool });
  const admin = await registerAndLogin(onReplica, ADMIN_EMAIL);
  const created = await onReplica.inject({
    method: 'POST',
    url: '/v1/admin/catalog/events',
    headers: admin.headers,
    payload: {
      sportId: 'football',
      sportName: 'Football',
      competition: { code: 'RR1', name: 'Replica League' },
      home: 'Replica United',
      away: 'Lag Rovers',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      markets: ['match_odds'],
      reason: 'a fixture only the replica has',
    },
  });
  expect(created.statusCode, created.body).toBe(201);
  eventId = (created.json() as { eventId: number }).eventId;
});

afterAll(async () => {
  await h?.stop();
  await replicaPool?.end();
  await postgres?.release();
});

describe('the read pool', () => {
  it('serves the public catalog: sports, events and an event come from the replica', async () => {
    const events = await withReplica.inject({ method: 'GET', url: '/v1/catalog/events' });
    expect(events.statusCode, events.body).toBe(200);
    expect((events.json() as { events: Array<{ eventId: number; name: string }> }).events.map((e) => e.eventId)).toEqual([eventId]);
    const event = await withReplica.inject({ method: 'GET', url: `/v1/catalog/events/${eventId}` });
    expect(event.statusCode, event.body).toBe(200);
    expect(event.json()).toMatchObject({ eventId, home: 'Replica United', away: 'Lag Rovers' });
    const sports = await withReplica.inject({ method: 'GET', url: '/v1/catalog/sports' });
    expect((sports.json() as { sports: Array<{ sportId: string }> }).sports.map((s) => s.sportId)).toEqual(['football']);
  });

  it('without a read pool, the same routes read the primary, which has no such event', async () => {
    const events = await h.app.inject({ method: 'GET', url: '/v1/catalog/events' });
    expect(events.statusCode).toBe(200);
    expect((events.json() as { events: unknown[] }).events).toEqual([]);
    expect((await h.app.inject({ method: 'GET', url: `/v1/catalog/events/${eventId}` })).statusCode).toBe(404);
  });

  it('serves the wallet history (only the replica has the ledger), while users and logins stay on the primary', async () => {
    const email = `reader-${randomUUID().slice(0, 8)}@example.com`;
    const reader = await registerAndLogin(withReplica, email);
    const { rows } = await h.pool.query<{ count: string }>('SELECT count(*) FROM gateway_users WHERE email = $1', [email]);
    expect(Number(rows[0]?.count)).toBe(1);
    const replicaRows = await replicaPool.query<{ count: string }>('SELECT count(*) FROM gateway_users WHERE email = $1', [email]);
    expect(Number(replicaRows.rows[0]?.count)).toBe(0);
    const history = await withReplica.inject({ method: 'GET', url: '/v1/account/history', headers: reader.headers });
    expect(history.statusCode, history.body).toBe(200);
    expect(history.json()).toEqual({ entries: [] });
    const primaryHistory = await h.app.inject({ method: 'GET', url: '/v1/account/history', headers: reader.headers });
    expect(primaryHistory.statusCode).toBe(503);
    expect(primaryHistory.json()).toMatchObject({ error: { code: 'ledger_unavailable' } });
  });
});
