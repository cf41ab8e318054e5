// The admin system panel through the REST API over a real engine partition and PostgreSQL: the
// health figures read from the gateway's metrics and the engine, a match counted in the matched
// volume series and the exposure it holds, and the panel refused to a bettor.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STANDARD_LADDER, tickOfPriceX100 } from '@playchacha/protocol';
import { createGatewayMetrics } from '../gateway-metrics.js';
import { login, registerAndLogin, ADMIN_EMAIL, startRestHarness, type RestHarness, type Session } from '../testing/rest-harness.js';

interface Health {
  engine: { followedSeq: number; appliedSeq: number | null; lagCommands: number | null };
  journal: { lagCommands: number | null };
  settlement: { lagCommands: number | null };
  connections: { accounts: number; anonymous: number };
  errors: { wsErrorsTotal: number; http5xxTotal: number };
  series: { intervalMs: number; samples: Array<{ atMs: number; exposureMinor: number; matchedMinor: number }> };
}

let h: RestHarness;
const metrics = createGatewayMetrics();

beforeAll(async () => {
  h = await startRestHarness({ metrics, engineSeq: () => h.engine.partition.appliedSeq, settlementLag: () => 7, journalLag: () => h.engine.partition.journalLagCommands });
});
afterAll(async () => h?.stop());

const post = (session: Session, url: string, payload: object, key?: string) =>
  h.app.inject({ method: 'POST', url, headers: { ...session.headers, ...(key === undefined ? {} : { 'idempotency-key': key }) }, payload });

describe('GET /v1/admin/system', () => {
  it('answers the health figures and counts a match in the series', async () => {
    const admin = await registerAndLogin(h.app, ADMIN_EMAIL);
    const read = async (): Promise<Health> => {
      const response = await h.app.inject({ method: 'GET', url: '/v1/admin/system', headers: admin.headers });
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as Health;
    };
    const before = await read();
    const matchedBefore = before.series.samples.reduce((sum, sample) => sum + sample.matchedMinor, 0);

    const alice = await registerAndLogin(h.app, 'alice.system@example.com');
    const bob = await registerAndLogin(h.app, 'bob.system@example.com');
    for (const session of [alice, bob]) expect((await post(session, '/v1/deposits/test', { amountMinor: 100_00 }, `sys-${session.accountId}`)).statusCode).toBe(201);
    expect((await post(admin, '/v1/admin/markets', { marketId: 90, runnerCount: 2 })).statusCode).toBe(201);
    const priceTicks = tickOfPriceX100(STANDARD_LADDER, 300);
    expect((await post(alice, '/v1/orders', { marketId: 90, runnerIndex: 0, side: 'back', priceTicks, stakeMinor: 10_00 }, 'sys-a')).statusCode).toBe(201);
    expect((await post(bob, '/v1/orders', { marketId: 90, runnerIndex: 0, side: 'lay', priceTicks, stakeMinor: 10_00 }, 'sys-b')).statusCode).toBe(201);
    metrics.wsConnections.inc({ kind: 'anonymous' });
    metrics.wsErrors.inc({ code: 'invalid_field' });

    const after = await read();
    const matchedAfter = after.series.samples.reduce((sum, sample) => sum + sample.matchedMinor, 0);
    expect(matchedAfter - matchedBefore).toBe(10_00);
    // Alice risks her 10.00 stake, Bob his 20.00 liability.
    expect(after.series.samples.at(-1)?.exposureMinor).toBe(30_00);
    expect(after.engine.appliedSeq).toBe(h.engine.partition.appliedSeq);
    expect(after.engine.followedSeq).toBeLessThanOrEqual(after.engine.appliedSeq ?? -1);
    expect(after.engine.lagCommands).toBe((after.engine.appliedSeq ?? 0) - after.engine.followedSeq);
    expect(after.settlement.lagCommands).toBe(7);
    // The harness's partition leads: it wrote everything its journal holds.
    expect(after.journal.lagCommands).toBe(0);
    expect(after.connections.anonymous).toBe(1);
    expect(after.errors.wsErrorsTotal).toBe(1);
    expect(after.series.intervalMs).toBeGreaterThan(0);
  });

  it('is for admins only', async () => {
    const bettor = await registerAndLogin(h.app, 'carol.system@example.com');
    expect((await h.app.inject({ method: 'GET', url: '/v1/admin/system', headers: bettor.headers })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/v1/admin/system' })).statusCode).toBe(401);
    const admin = await login(h.app, ADMIN_EMAIL);
    expect((await h.app.inject({ method: 'GET', url: '/v1/admin/system?x=1', headers: admin.headers })).statusCode).toBe(400);
  });
});
