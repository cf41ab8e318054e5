// Resettlement and disputes end to end on the embedded shape: the partition publishes to its events
// log, the settlement worker posts it to the ledger tables in the gateway's database, and the
// routes read the ledger for a market's result. A back and a lay are matched and settled; the
// layer disputes, an admin resolves by resettling; the backer disputes the new result and it is
// upheld; the market is voided and un-voided through the admin route. Every step is audited.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STANDARD_LADDER, tickOfPriceX100 } from '@playchacha/protocol';
import { checkInvariants } from '../../../settlement/src/invariants.js';
import { compareFigures, ledgerFigures } from '../../../settlement/src/reconcile.js';
import { ADMIN_EMAIL, registerAndLogin, startRestHarness, type RestHarness, type Session } from '../testing/rest-harness.js';
import { startInProcessLedger, type InProcessLedger } from '../testing/in-process-ledger.js';

interface DisputeBody {
  disputeId: number;
  accountId: number;
  marketId: number;
  reason: string;
  status: string;
  resolvedBy: number | null;
  resolutionReason: string | null;
  resolutionWinners: unknown;
}

const MARKET = 90;
const OPEN_MARKET = 91;
const HOUR_MS = 3_600_000;

let h: RestHarness;
let ledger: InProcessLedger;
let admin: Session;
let alice: Session;
let bob: Session;
let carol: Session;

const post = (session: Session | null, url: string, payload: object, key?: string) =>
  h.app.inject({ method: 'POST', url, headers: { ...(session?.headers ?? {}), ...(key === undefined ? {} : { 'idempotency-key': key }) }, payload });
const get = (session: Session, url: string) => h.app.inject({ method: 'GET', url, headers: session.headers });
const balance = async (session: Session): Promise<number> => ((await get(session, '/v1/account')).json() as { balanceMinor: number }).balanceMinor;

const ledgerCaughtUp = (): Promise<void> => ledger.caughtUp();

beforeAll(async () => {
  h = await startRestHarness({}, { eventLog: true });
  ledger = await startInProcessLedger(h);

  admin = await registerAndLogin(h.app, ADMIN_EMAIL);
  alice = await registerAndLogin(h.app, 'alice.disputes@example.com');
  bob = await registerAndLogin(h.app, 'bob.disputes@example.com');
  carol = await registerAndLogin(h.app, 'carol.disputes@example.com');
  for (const session of [alice, bob, carol]) expect((await post(session, '/v1/deposits/test', { amountMinor: 100_00 }, `dep-${session.accountId}`)).statusCode).toBe(201);
  for (const marketId of [MARKET, OPEN_MARKET]) expect((await post(admin, '/v1/admin/markets', { marketId, runnerCount: 2, commissionBps: 500 })).statusCode).toBe(201);
  // Alice backs runner 0 for 10.00 at 3.0 against Bob; runner 0 wins: Alice +20.00 − 1.00, Bob −20.00.
  const priceTicks = tickOfPriceX100(STANDARD_LADDER, 300);
  expect((await post(alice, '/v1/orders', { marketId: MARKET, runnerIndex: 0, side: 'back', priceTicks, stakeMinor: 10_00 }, 'a1')).statusCode).toBe(201);
  expect((await post(bob, '/v1/orders', { marketId: MARKET, runnerIndex: 0, side: 'lay', priceTicks, stakeMinor: 10_00 }, 'b1')).statusCode).toBe(201);
  expect((await post(admin, `/v1/admin/markets/${MARKET}/close`, { reason: 'full time' })).statusCode).toBe(200);
  expect((await post(admin, `/v1/admin/markets/${MARKET}/settle`, { winners: [{ runnerIndex: 0 }], reason: 'home win' })).statusCode).toBe(200);
  await ledgerCaughtUp();
  expect([await balance(alice), await balance(bob)]).toEqual([119_00, 80_00]);
});

afterAll(async () => {
  await ledger?.stop();
  await h?.stop();
});

describe('disputes and resettlement', () => {
  let bobsDispute: DisputeBody;

  it('lets an account with matched bets dispute a settled market once, and refuses everyone else', async () => {
    expect((await post(carol, '/v1/account/disputes', { marketId: MARKET, reason: 'I think it was a draw' })).json()).toMatchObject({ error: { code: 'no_matched_bets' } });
    expect((await post(bob, '/v1/account/disputes', { marketId: OPEN_MARKET, reason: 'not yet' })).json()).toMatchObject({ error: { code: 'market_not_settled' } });
    expect((await post(bob, '/v1/account/disputes', { marketId: 999, reason: 'no such market' })).statusCode).toBe(404);
    expect((await post(null, '/v1/account/disputes', { marketId: MARKET, reason: 'anonymous' })).statusCode).toBe(401);
    expect((await post(bob, '/v1/account/disputes', { marketId: MARKET, reason: '' })).statusCode).toBe(400);
    expect((await post(bob, '/v1/account/disputes', { marketId: MARKET, reason: 'x', accountId: alice.accountId })).json()).toMatchObject({ error: { code: 'forbidden_field' } });

    const opened = await post(bob, '/v1/account/disputes', { marketId: MARKET, reason: 'The away side won on penalties' });
    expect(opened.statusCode, opened.body).toBe(201);
    bobsDispute = opened.json() as DisputeBody;
    expect(bobsDispute).toMatchObject({ accountId: bob.accountId, marketId: MARKET, status: 'open', resolvedBy: null, resolutionReason: null });
    expect((await post(bob, '/v1/account/disputes', { marketId: MARKET, reason: 'again' })).json()).toMatchObject({ error: { code: 'dispute_open' } });

    expect((await get(bob, '/v1/account/disputes')).json()).toEqual({ disputes: [bobsDispute] });
    expect((await get(bob, `/v1/account/disputes/${bobsDispute.disputeId}`)).json()).toEqual(bobsDispute);
    // Another account's dispute does not exist for the caller.
    const foreign = await get(alice, `/v1/account/disputes/${bobsDispute.disputeId}`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ error: { code: 'dispute_not_found' } });
    expect((await get(alice, '/v1/account/disputes')).json()).toEqual({ disputes: [] });
  });

  it('closes the window after 72 hours by the gateway\'s clock', async () => {
    const later = await h.buildApp({ now: () => Date.now() + 72 * HOUR_MS + 60_000 });
    const response = await later.inject({ method: 'POST', url: '/v1/account/disputes', headers: alice.headers, payload: { marketId: MARKET, reason: 'too late' } });
    expect(response.json()).toMatchObject({ error: { code: 'dispute_window_closed' } });
    const shorter = await h.buildApp({ disputeWindowMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await shorter.inject({ method: 'POST', url: '/v1/account/disputes', headers: alice.headers, payload: { marketId: MARKET, reason: 'too late' } })).statusCode).toBe(409);
  });

  it('shows admins the open disputes and refuses the routes to anyone else', async () => {
    const listed = await get(admin, '/v1/admin/disputes');
    expect(listed.statusCode).toBe(200);
    expect((listed.json() as { disputes: DisputeBody[] }).disputes).toEqual([bobsDispute]);
    expect((await get(alice, '/v1/admin/disputes')).statusCode).toBe(403);
    const resolve = { resolution: 'uphold', reason: 'mine now' };
    expect((await post(bob, `/v1/admin/disputes/${bobsDispute.disputeId}/resolve`, resolve, 'r-bob')).statusCode).toBe(403);
    expect((await post(alice, `/v1/admin/markets/${MARKET}/resettle`, { winners: [{ runnerIndex: 1 }], reason: 'mine' }, 'x-alice')).statusCode).toBe(403);
  });

  it('resolves a dispute by resettling: the result is reversed and reapplied, answered again for the same key', async () => {
    const url = `/v1/admin/disputes/${bobsDispute.disputeId}/resolve`;
    expect((await post(admin, url, { resolution: 'resettle', reason: 'no winners given' }, 'res-0')).json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect((await post(admin, url, { resolution: 'resettle', winners: [{ runnerIndex: 1 }], reason: 'away win confirmed' })).json()).toMatchObject({ error: { code: 'missing_idempotency_key' } });
    // The engine refuses an invalid result: the dispute stays open.
    const refused = await post(admin, url, { resolution: 'resettle', winners: [{ runnerIndex: 0 }, { runnerIndex: 1 }], reason: 'both?' }, 'res-bad');
    expect(refused.json()).toMatchObject({ error: { code: 'invalid_settlement' } });
    expect(((await get(bob, `/v1/account/disputes/${bobsDispute.disputeId}`)).json() as DisputeBody).status).toBe('open');

    const body = { resolution: 'resettle', winners: [{ runnerIndex: 1 }], reason: 'away win confirmed' };
    const resolved = await post(admin, url, body, 'res-1');
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({
      status: 'resettled',
      resolvedBy: admin.accountId,
      resolutionReason: 'away win confirmed',
      resolutionWinners: [{ runnerIndex: 1, factorNumerator: 1, factorDenominator: 1 }],
    });
    // Bob now wins Alice's stake of 10.00 less 5%; Alice loses it.
    expect([await balance(alice), await balance(bob)]).toEqual([90_00, 109_50]);
    const replay = await post(admin, url, body, 'res-1');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(resolved.json());
    expect((await post(admin, url, body, 'res-2')).json()).toMatchObject({ error: { code: 'dispute_not_open' } });
    expect([await balance(alice), await balance(bob)]).toEqual([90_00, 109_50]);

    await ledgerCaughtUp();
    expect(compareFigures(h.engine.partition.core.accounts(), await ledgerFigures(ledger.sql))).toEqual([]);
    expect(await checkInvariants(ledger.sql)).toEqual([]);
  });

  it('lets the other side dispute the new result (a new window), and an admin uphold it', async () => {
    const opened = await post(alice, '/v1/account/disputes', { marketId: MARKET, reason: 'The first result was right' });
    expect(opened.statusCode, opened.body).toBe(201);
    const dispute = opened.json() as DisputeBody;
    const upheld = await post(admin, `/v1/admin/disputes/${dispute.disputeId}/resolve`, { resolution: 'uphold', reason: 'video review confirms the away win' }, 'uphold-1');
    expect(upheld.statusCode, upheld.body).toBe(200);
    expect(upheld.json()).toMatchObject({ status: 'upheld', resolvedBy: admin.accountId, resolutionWinners: null });
    expect([await balance(alice), await balance(bob)]).toEqual([90_00, 109_50]);
    expect((await get(admin, '/v1/admin/disputes')).json()).toEqual({ disputes: [] });
    const all = (await get(admin, '/v1/admin/disputes?status=all')).json() as { disputes: DisputeBody[] };
    expect(all.disputes.map((d) => d.status)).toEqual(['resettled', 'upheld']);
  });

  it('voids a settled market and un-voids it through the admin route', async () => {
    const url = `/v1/admin/markets/${MARKET}/resettle`;
    expect((await post(admin, url, { winners: null }, 'v-0')).statusCode).toBe(400);
    expect((await post(admin, url, { winners: null, reason: 'x', extra: 1 }, 'v-0b')).json()).toMatchObject({ error: { code: 'unknown_field' } });
    expect((await post(admin, `/v1/admin/markets/${OPEN_MARKET}/resettle`, { winners: null, reason: 'not finished' }, 'v-open')).json()).toMatchObject({ error: { code: 'invalid_transition' } });
    expect((await post(admin, '/v1/admin/markets/999/resettle', { winners: null, reason: 'nothing' }, 'v-none')).statusCode).toBe(404);

    const voided = await post(admin, url, { winners: null, reason: 'match abandoned after review' }, 'v-1');
    expect(voided.statusCode, voided.body).toBe(200);
    expect(voided.json()).toMatchObject({ marketId: MARKET, status: 'voided' });
    expect([await balance(alice), await balance(bob)]).toEqual([100_00, 100_00]);
    const unvoided = await post(admin, url, { winners: [{ runnerIndex: 0 }], reason: 'abandonment overturned' }, 'v-2');
    expect(unvoided.json()).toMatchObject({ status: 'settled' });
    expect([await balance(alice), await balance(bob)]).toEqual([119_00, 80_00]);

    await ledgerCaughtUp();
    expect(compareFigures(h.engine.partition.core.accounts(), await ledgerFigures(ledger.sql))).toEqual([]);
    expect(await checkInvariants(ledger.sql)).toEqual([]);
  });

  it('moves a catalog market\'s lifecycle and winners with the resettlement', async () => {
    const created = await post(admin, '/v1/admin/catalog/events', {
      sportId: 'football', sportName: 'Football', competition: { code: 'FR', name: 'Friendlies' }, home: 'Porto', away: 'Benfica',
      startsAt: new Date(Date.now() + 7_200_000).toISOString(), markets: ['match_odds'], reason: 'friendly',
    });
    expect(created.statusCode, created.body).toBe(201);
    const marketId = (created.json() as { markets: Array<{ marketId: number }> }).markets[0]?.marketId ?? 0;
    expect((await post(admin, `/v1/admin/catalog/markets/${marketId}/result`, { winners: [{ runnerIndex: 0 }], reason: 'home win' })).statusCode).toBe(200);
    const detail = async () => (await get(alice, `/v1/catalog/markets/${marketId}`)).json() as { status: string; winners: unknown };
    expect((await post(admin, `/v1/admin/markets/${marketId}/resettle`, { winners: null, reason: 'abandoned after all' }, `cat-${marketId}-1`)).statusCode).toBe(200);
    expect(await detail()).toMatchObject({ status: 'voided' });
    expect((await post(admin, `/v1/admin/markets/${marketId}/resettle`, { winners: [{ runnerIndex: 2 }], reason: 'away win' }, `cat-${marketId}-2`)).statusCode).toBe(200);
    expect(await detail()).toMatchObject({ status: 'settled', winners: [{ runnerIndex: 2, factorNumerator: 1, factorDenominator: 1 }] });
  });

  it('audits every step with who, what, which target, why and how it ended', async () => {
    const entries = async (target: string) =>
      ((await get(admin, `/v1/admin/audit?target=${target}`)).json() as { entries: Array<{ actorAccountId: number; action: string; reason: string; outcome: string }> }).entries
        .map((e) => [e.actorAccountId, e.action, e.reason, e.outcome]);
    expect(await entries(`dispute:${bobsDispute.disputeId}`)).toEqual([
      [admin.accountId, 'ResolveDispute', 'away win confirmed', 'dispute_not_open'],
      [admin.accountId, 'ResolveDispute', 'away win confirmed', 'ok'],
      [admin.accountId, 'ResolveDispute', 'both?', 'invalid_settlement'],
      [bob.accountId, 'OpenDispute', 'The away side won on penalties', 'ok'],
    ]);
    const market = await entries(`market:${MARKET}`);
    expect(market.filter(([, action]) => action === 'ResettleMarket')).toEqual([
      [admin.accountId, 'ResettleMarket', 'abandonment overturned', 'ok'],
      [admin.accountId, 'ResettleMarket', 'match abandoned after review', 'ok'],
      [admin.accountId, 'ResettleMarket', 'away win confirmed', 'ok'],
      [admin.accountId, 'ResettleMarket', 'both?', 'invalid_settlement'],
    ]);
    expect(market.filter(([, action]) => action === 'OpenDispute')).toEqual([
      [alice.accountId, 'OpenDispute', 'too late', 'dispute_window_closed'],
      [alice.accountId, 'OpenDispute', 'too late', 'dispute_window_closed'],
      [bob.accountId, 'OpenDispute', 'again', 'dispute_open'],
      [carol.accountId, 'OpenDispute', 'I think it was a draw', 'no_matched_bets'],
    ]);
  });

  it('is in the OpenAPI document', async () => {
    const document = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(document.paths['/v1/admin/markets/{marketId}/resettle'] ?? {})).toEqual(['post']);
    expect(Object.keys(document.paths['/v1/account/disputes'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.paths['/v1/account/disputes/{disputeId}'] ?? {})).toEqual(['get']);
    expect(Object.keys(document.paths['/v1/admin/disputes'] ?? {})).toEqual(['get']);
    expect(Object.keys(document.paths['/v1/admin/disputes/{disputeId}/resolve'] ?? {})).toEqual(['post']);
  });
});
