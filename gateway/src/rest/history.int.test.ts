// The wallet history from the ledger of record, end to end on the embedded shape: the partition
// publishes to its events log, the settlement worker applies it to the ledger tables in the same
// database, and GET /v1/account/history reads them. A back and a lay are matched, the market is
// settled with commission, and each account's history sums to its engine balance.

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STANDARD_LADDER, tickOfPriceX100 } from '@playchacha/protocol';
import { sharedPostgres } from '../../../scripts/test-context.js';
import { createPool } from '../db/pool.js';
import { ADMIN_EMAIL, freshDatabase, login, registerAndLogin, startRestHarness, type RestHarness, type Session } from '../testing/rest-harness.js';
import { startInProcessLedger, type InProcessLedger } from '../testing/in-process-ledger.js';

interface HistoryEntry {
  transactionId: number;
  kind: string;
  marketId: number | null;
  availableDeltaMinor: number;
  heldDeltaMinor: number;
  escrowDeltaMinor: number;
  debtDeltaMinor: number;
}

let h: RestHarness;
let ledger: InProcessLedger;

beforeAll(async () => {
  h = await startRestHarness({}, { eventLog: true });
  ledger = await startInProcessLedger(h);
});
afterAll(async () => {
  await ledger?.stop();
  await h?.stop();
});

const post = (session: Session, url: string, payload: object, key?: string) =>
  h.app.inject({ method: 'POST', url, headers: { ...session.headers, ...(key === undefined ? {} : { 'idempotency-key': key }) }, payload });

async function history(session: Session, query = ''): Promise<HistoryEntry[]> {
  const response = await h.app.inject({ method: 'GET', url: `/v1/account/history${query}`, headers: session.headers });
  expect(response.statusCode, response.body).toBe(200);
  return (response.json() as { entries: HistoryEntry[] }).entries;
}

const ledgerCaughtUp = (): Promise<void> => ledger.caughtUp();

describe('GET /v1/account/history', () => {
  it('shows deposits, matched bets and the settlement with commission, summing to the engine balance', async () => {
    const admin = await registerAndLogin(h.app, ADMIN_EMAIL);
    const alice = await registerAndLogin(h.app, 'alice.history@example.com');
    const bob = await registerAndLogin(h.app, 'bob.history@example.com');
    const carol = await registerAndLogin(h.app, 'carol.history@example.com');
    for (const session of [alice, bob]) expect((await post(session, '/v1/deposits/test', { amountMinor: 100_00 }, `dep-${session.accountId}`)).statusCode).toBe(201);
    expect((await post(admin, '/v1/admin/markets', { marketId: 70, runnerCount: 2, commissionBps: 500 })).statusCode).toBe(201);
    const priceTicks = tickOfPriceX100(STANDARD_LADDER, 300);
    expect((await post(alice, '/v1/orders', { marketId: 70, runnerIndex: 0, side: 'back', priceTicks, stakeMinor: 10_00 }, 'a1')).statusCode).toBe(201);
    expect((await post(bob, '/v1/orders', { marketId: 70, runnerIndex: 0, side: 'lay', priceTicks, stakeMinor: 10_00 }, 'b1')).statusCode).toBe(201);
    expect((await post(admin, '/v1/admin/markets/70/close', { reason: 'full time' })).statusCode).toBe(200);
    expect((await post(admin, '/v1/admin/markets/70/settle', { winners: [{ runnerIndex: 0 }], reason: 'home win' })).statusCode).toBe(200);
    await ledgerCaughtUp();

    // Alice backed 10.00 at 3.0 and won 20.00, less 5% commission: 100.00 + 19.00.
    // Bob laid it: his liability of 20.00 went to Alice.
    const expected = new Map([[alice.accountId, 119_00], [bob.accountId, 80_00]]);
    for (const session of [alice, bob]) {
      const entries = await history(session);
      expect(entries[0]?.kind).toBe('settlement');
      expect(entries.at(-1)).toMatchObject({ kind: 'deposit', availableDeltaMinor: 100_00, marketId: null });
      expect(entries.map((e) => e.transactionId)).toEqual([...entries.map((e) => e.transactionId)].sort((a, b) => b - a));
      const sum = (pick: (e: HistoryEntry) => number) => entries.reduce((total, e) => total + pick(e), 0);
      expect(sum((e) => e.availableDeltaMinor)).toBe(expected.get(session.accountId));
      expect(sum((e) => e.heldDeltaMinor)).toBe(0);
      expect(sum((e) => e.escrowDeltaMinor)).toBe(0);
      const wallet = (await h.app.inject({ method: 'GET', url: '/v1/account', headers: session.headers })).json() as { balanceMinor: number };
      expect(wallet.balanceMinor).toBe(expected.get(session.accountId));
      // While the bet was open its stake sat in escrow.
      expect(entries.some((e) => e.kind === 'position' && e.marketId === 70 && e.escrowDeltaMinor > 0)).toBe(true);
    }

    // Paging: newest first, then older than the last seen.
    const all = await history(alice);
    const first = await history(alice, '?limit=1');
    expect(first).toEqual(all.slice(0, 1));
    expect(await history(alice, `?limit=200&before=${first[0]?.transactionId}`)).toEqual(all.slice(1));
    expect(await history(carol)).toEqual([]);
    expect(all.every((e) => e.debtDeltaMinor === 0)).toBe(true);

    // Alice withdraws everything, then the market is resettled against her: she owes the 29.00 her
    // win and stake come to, which the ledger books as debt (available never goes below zero).
    await h.engine.submit({ type: 'Withdraw', accountId: alice.accountId, transferId: 'history-all-out', amountMinor: 119_00 });
    const resettled = await h.engine.submit({ type: 'ResettleMarket', marketId: 70, winners: [{ runnerIndex: 1, factorNumerator: 1, factorDenominator: 1 }], reason: 'corrected result' });
    expect(resettled.some((event) => event.type === 'CommandRejected'), JSON.stringify(resettled)).toBe(false);
    await ledgerCaughtUp();
    const owed = await history(alice);
    expect(owed.reduce((total, e) => total + e.availableDeltaMinor, 0)).toBe(0);
    expect(owed.reduce((total, e) => total + e.debtDeltaMinor, 0)).toBe(-29_00);
    expect(owed.find((e) => e.kind === 'resettlement')).toMatchObject({ marketId: 70, debtDeltaMinor: -29_00, availableDeltaMinor: 0 });
    expect(((await h.app.inject({ method: 'GET', url: '/v1/account', headers: alice.headers })).json() as { balanceMinor: number }).balanceMinor).toBe(-29_00);
    expect((await h.app.inject({ method: 'GET', url: '/v1/account/history?limit=0', headers: alice.headers })).statusCode).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: '/v1/account/history' })).statusCode).toBe(401);
  });

  it('lists the caller\'s settled and void markets with gross, commission and net, and no one else\'s', async () => {
    const admin = await login(h.app, ADMIN_EMAIL);
    const erin = await registerAndLogin(h.app, 'erin.settled@example.com');
    const frank = await registerAndLogin(h.app, 'frank.settled@example.com');
    const grace = await registerAndLogin(h.app, 'grace.settled@example.com');
    for (const session of [erin, frank, grace]) expect((await post(session, '/v1/deposits/test', { amountMinor: 100_00 }, `dep-s-${session.accountId}`)).statusCode).toBe(201);
    for (const marketId of [80, 81, 82]) expect((await post(admin, '/v1/admin/markets', { marketId, runnerCount: 2, commissionBps: 500 })).statusCode).toBe(201);
    const priceTicks = tickOfPriceX100(STANDARD_LADDER, 300);
    const bet = async (session: Session, marketId: number, side: 'back' | 'lay', key: string) =>
      expect((await post(session, '/v1/orders', { marketId, runnerIndex: 0, side, priceTicks, stakeMinor: 10_00 }, key)).statusCode).toBe(201);
    await bet(erin, 80, 'back', 'e80');
    await bet(frank, 80, 'lay', 'f80');
    await bet(erin, 81, 'back', 'e81');
    await bet(frank, 81, 'lay', 'f81');
    await bet(frank, 82, 'back', 'f82');
    await bet(grace, 82, 'lay', 'g82');
    for (const marketId of [80, 82]) {
      expect((await post(admin, `/v1/admin/markets/${marketId}/close`, { reason: 'full time' })).statusCode).toBe(200);
      expect((await post(admin, `/v1/admin/markets/${marketId}/settle`, { winners: [{ runnerIndex: marketId === 80 ? 0 : 1 }], reason: 'result' })).statusCode).toBe(200);
    }
    expect((await post(admin, '/v1/admin/markets/81/void', { reason: 'abandoned' })).statusCode).toBe(200);
    await ledgerCaughtUp();

    const settled = async (session: Session) => {
      const response = await h.app.inject({ method: 'GET', url: '/v1/account/settlements', headers: session.headers });
      expect(response.statusCode, response.body).toBe(200);
      return (response.json() as { markets: Array<Record<string, unknown>> }).markets;
    };
    // Erin backed 10.00 at 3.0 on the winner of 80: +20.00 gross, 1.00 commission; 81 was void.
    expect(await settled(erin)).toEqual([
      expect.objectContaining({ marketId: 81, outcome: 'voided', winners: null, grossMinor: 0, commissionMinor: 0, netMinor: 0 }),
      expect.objectContaining({
        marketId: 80, outcome: 'settled', commissionBps: 500, winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 1 }],
        grossMinor: 20_00, commissionMinor: 1_00, netMinor: 19_00,
      }),
    ]);
    // Frank laid 80 (lost his 20.00 liability, no commission on a loss), backed the loser of 82, then 81 was void.
    const franks = await settled(frank);
    expect(franks.map((market) => [market.marketId, market.grossMinor, market.commissionMinor, market.netMinor])).toEqual([
      [81, 0, 0, 0],
      [82, -10_00, 0, -10_00],
      [80, -20_00, 0, -20_00],
    ]);
    // Each result may be disputed for the window (72 hours by default) after it reached the ledger.
    for (const market of franks) {
      expect(Date.parse(market['disputeOpenUntil'] as string) - Date.parse(market['settledAt'] as string)).toBe(72 * 3_600_000);
    }
    // Grace sees only market 82, which she won as the layer: +10.00, less 0.50 commission.
    expect((await settled(grace)).map((market) => [market.marketId, market.grossMinor, market.commissionMinor, market.netMinor])).toEqual([[82, 10_00, 50, 9_50]]);
    const wallet = (await h.app.inject({ method: 'GET', url: '/v1/account', headers: grace.headers })).json() as { balanceMinor: number };
    expect(wallet.balanceMinor).toBe(109_50);

    expect((await h.app.inject({ method: 'GET', url: '/v1/account/settlements?limit=1', headers: frank.headers })).json()).toEqual({ markets: franks.slice(0, 1) });
    expect(franks.every((market) => market.resettled === false)).toBe(true);

    // Resettled: runner 1 won 80 after all; and 81 un-voided with runner 0 the winner. The figures
    // are as they stand now, newest first.
    for (const [marketId, runnerIndex] of [[80, 1], [81, 0]] as const) {
      const events = await h.engine.submit({ type: 'ResettleMarket', marketId, winners: [{ runnerIndex, factorNumerator: 1, factorDenominator: 1 }], reason: 'corrected result' });
      expect(events.some((event) => event.type === 'CommandRejected'), JSON.stringify(events)).toBe(false);
    }
    await ledgerCaughtUp();
    expect((await settled(erin)).map((market) => [market.marketId, market.outcome, market.resettled, market.grossMinor, market.commissionMinor, market.netMinor])).toEqual([
      [81, 'settled', true, 20_00, 1_00, 19_00],
      [80, 'settled', true, -10_00, 0, -10_00],
    ]);
    expect((await settled(frank)).map((market) => [market.marketId, market.grossMinor, market.commissionMinor, market.netMinor])).toEqual([
      [81, -20_00, 0, -20_00],
      [80, 10_00, 50, 9_50],
      [82, -10_00, 0, -10_00],
    ]);
    expect((await h.app.inject({ method: 'GET', url: '/v1/account/settlements?limit=201', headers: frank.headers })).statusCode).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: '/v1/account/settlements?accountId=1', headers: frank.headers })).statusCode).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: '/v1/account/settlements' })).statusCode).toBe(401);
  });

  it('answers 503 ledger_unavailable where the ledger lives in another database', async () => {
    const postgres = await sharedPostgres();
    const empty = createPool(await freshDatabase(postgres.url), pino({ level: 'silent' }), 2);
    try {
      const app = await h.buildApp({ ledgerPool: empty });
      const dave = await registerAndLogin(app, 'dave.history@example.com');
      const response = await app.inject({ method: 'GET', url: '/v1/account/history', headers: dave.headers });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ error: { code: 'ledger_unavailable' } });
    } finally {
      await empty.end();
      await postgres.release();
    }
  });
});
