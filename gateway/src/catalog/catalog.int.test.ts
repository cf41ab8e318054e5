// The catalog end to end: feeds imported over the admin API (twice: nothing changes), the public
// browse routes, the scheduler turning markets in-play at the start (LAPSE orders lapse, the bet
// delay applies), results settling and voiding markets in the engine with the money that follows,
// dead heats, refused feeds that change nothing, the risk views, and the audit log.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STANDARD_LADDER, tickOfDecimalOdds, type Command, type EngineEvent } from '@playchacha/protocol';
import { AuditLog } from '../accounts/audit-log.js';
import { ADMIN_EMAIL, registerAndLogin, startRestHarness, type RestHarness, type Session } from '../testing/rest-harness.js';
import { CatalogService, SYSTEM_ACTOR } from './catalog-service.js';
import { CatalogScheduler } from './scheduler.js';

let h: RestHarness;
let admin: Session;
let bettor: Session;
let maker: Session;
let scheduler: CatalogScheduler;

const FEEDS = new URL('../../feeds/', import.meta.url);
const feedText = (name: string) => readFileSync(new URL(name, FEEDS), 'utf8');
const TICK_2_0 = tickOfDecimalOdds(STANDARD_LADDER, '2');
/** The catalog's clock: before every fixture of the example feeds. */
const NOW = Date.parse('2026-11-25T00:00:00Z');

interface MarketBody {
  marketId: number;
  marketType: string;
  status: string;
  inPlay: boolean;
  betDelayMs: number;
  winners: Array<{ runnerIndex: number; factorNumerator: number; factorDenominator: number }> | null;
  runners: Array<{ runnerIndex: number; name: string; back: Array<{ priceTicks: number; totalMinor: number }>; lay: Array<{ priceTicks: number; totalMinor: number }> }>;
}
interface EventBody { eventId: number; name: string; status: string; inPlay: boolean; startsAt: string; markets: MarketBody[] }

async function submit(command: Command): Promise<readonly EngineEvent[]> {
  return h.engine.submit(command);
}

const adminPost = (url: string, payload: Record<string, unknown>) => h.app.inject({ method: 'POST', url, headers: admin.headers, payload });
const get = async <T>(url: string): Promise<T> => {
  const response = await h.app.inject({ method: 'GET', url });
  expect({ url, status: response.statusCode }).toEqual({ url, status: 200 });
  return response.json() as T;
};

async function deposit(session: Session, amountMinor: number): Promise<void> {
  const response = await h.app.inject({ method: 'POST', url: '/v1/deposits/test', headers: { ...session.headers, 'idempotency-key': `dep-${session.accountId}-${amountMinor}` }, payload: { amountMinor } });
  expect(response.statusCode).toBe(201);
}

const balance = (session: Session) => h.readModels.accounts.get(session.accountId)?.balanceMinor;

beforeAll(async () => {
  h = await startRestHarness({ now: () => NOW });
  admin = await registerAndLogin(h.app, ADMIN_EMAIL);
  bettor = await registerAndLogin(h.app, 'bettor@example.com');
  maker = await registerAndLogin(h.app, 'maker@example.com');
  await deposit(bettor, 1_000_00);
  await deposit(maker, 10_000_00);
  scheduler = new CatalogScheduler(new CatalogService(h.pool, h.engine.link, h.readModels.markets, new AuditLog(h.pool), () => NOW));
});
afterAll(async () => {
  await scheduler?.stop();
  await h?.stop();
});

describe('feeds', () => {
  it('import the example JSON feed once: events and markets in PostgreSQL and the engine; a second import changes nothing', async () => {
    const first = await adminPost('/v1/admin/catalog/feeds', { content: feedText('example-fixtures.json'), reason: 'weekend fixtures' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ eventsCreated: 15, eventsRescheduled: 0, eventsUnchanged: 0, marketsCreated: 13 * 5 + 2 * 6, resultsApplied: 0, resultsUnchanged: 0 });
    const { rows } = await h.pool.query<{ market_id: string; lifecycle: string }>(`SELECT market_id, lifecycle FROM catalog_markets`);
    expect(rows).toHaveLength(77);
    // Every fixture is in the future as of NOW: each market exists in the engine, once.
    for (const row of rows) expect(h.readModels.markets.has(Number(row.market_id))).toBe(true);
    const engineMarkets = h.readModels.markets.marketIds().length;

    const second = await adminPost('/v1/admin/catalog/feeds', { content: feedText('example-fixtures.json'), reason: 'again' });
    expect(second.json()).toEqual({ eventsCreated: 0, eventsRescheduled: 0, eventsUnchanged: 15, marketsCreated: 0, resultsApplied: 0, resultsUnchanged: 0 });
    expect(h.readModels.markets.marketIds()).toHaveLength(engineMarkets);
    expect((await h.pool.query(`SELECT 1 FROM catalog_markets`)).rowCount).toBe(77);
  });

  it('refuse a feed with bad rows, listing every one, and import none of it', async () => {
    const csv = [
      'Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR',
      'E1,05/12/2026,15:00,Leeds,Burnley,,,',
      'E1,32/12/2026,15:00,Hull,Stoke,,,',
      'E1,05/12/2026,15:00,Derby,Derby,,,',
    ].join('\n');
    const refused = await adminPost('/v1/admin/catalog/feeds', { content: csv, reason: 'championship' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ error: { code: 'feed_invalid', rows: [{ row: 'line 3' }, { row: 'line 4' }] } });
    expect((await h.pool.query(`SELECT 1 FROM catalog_events WHERE home_name = 'Leeds'`)).rowCount).toBe(0);

    // A good new fixture with a result for an unknown event: the transaction is rolled back whole.
    const json = JSON.stringify({
      format: 'playchacha.feed.v1',
      competitions: [{ code: 'E1', sport: 'football', name: 'Championship' }],
      fixtures: [{ key: 'champ-1', competition: 'E1', home: 'Leeds', away: 'Burnley', startsAt: '2026-12-05T15:00:00Z' }],
      results: [{ key: 'no-such-event', status: 'finished', homeGoals: 1, awayGoals: 0 }],
    });
    const unknown = await adminPost('/v1/admin/catalog/feeds', { content: json, reason: 'championship' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ error: { code: 'feed_invalid', rows: [{ row: 'result no-such-event', message: 'no event with this key' }] } });
    expect((await h.pool.query(`SELECT 1 FROM catalog_events WHERE feed_key = 'champ-1'`)).rowCount).toBe(0);
    expect((await adminPost('/v1/admin/catalog/feeds', { content: json, reason: 'r', extra: 1 })).statusCode).toBe(400);
  });

  it('import a football-data CSV archive: past results settle at once without engine markets', async () => {
    const imported = await adminPost('/v1/admin/catalog/feeds', { content: feedText('football-data-example.csv'), reason: 'archive' });
    expect(imported.json()).toMatchObject({ eventsCreated: 13, resultsApplied: 10 });
    const search = await get<{ events: EventBody[]; total: number }>('/v1/catalog/events?status=finished&q=fulham');
    expect(search.total).toBe(1);
    const detail = await get<EventBody>(`/v1/catalog/events/${search.events[0]?.eventId}`);
    expect(detail).toMatchObject({ name: 'Man United v Fulham', status: 'finished', homeGoals: 1, awayGoals: 0 });
    const matchOdds = detail.markets.find((market) => market.marketType === 'match_odds');
    expect(matchOdds).toMatchObject({ status: 'settled', winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 1 }] });
    expect(h.readModels.markets.has(matchOdds?.marketId ?? 0)).toBe(false);
    const again = await adminPost('/v1/admin/catalog/feeds', { content: feedText('football-data-example.csv'), reason: 'archive again' });
    expect(again.json()).toEqual({ eventsCreated: 0, eventsRescheduled: 0, eventsUnchanged: 13, marketsCreated: 0, resultsApplied: 0, resultsUnchanged: 10 });
  });
});

describe('public catalog', () => {
  it('lists sports with competitions and counts, filters and pages events, and needs no sign-in', async () => {
    const sports = await get<{ sports: Array<{ sportId: string; eventCount: number; competitions: Array<{ code: string; name: string; eventCount: number }> }> }>('/v1/catalog/sports');
    const football = sports.sports.find((sport) => sport.sportId === 'football');
    expect(football?.competitions.find((c) => c.code === 'E0')).toMatchObject({ name: 'Premier League', eventCount: 6 + 3 });
    expect(football?.competitions.find((c) => c.code === 'UCL')).toMatchObject({ name: 'Champions League', eventCount: 2 });

    const madrid = await get<{ events: EventBody[]; total: number }>('/v1/catalog/events?q=madrid');
    expect(madrid.events.map((event) => event.name)).toEqual(['Real Madrid v Sevilla', 'Barcelona v Atletico Madrid', 'Liverpool v Real Madrid']);
    expect((await get<{ total: number }>('/v1/catalog/events?q=la%20liga')).total).toBe(2);
    expect((await get<{ total: number }>('/v1/catalog/events?q=%25')).total).toBe(0);
    const page = await get<{ events: EventBody[]; total: number; limit: number; offset: number }>('/v1/catalog/events?limit=2&offset=2&sport=football');
    expect(page).toMatchObject({ total: 18, limit: 2, offset: 2 });
    expect(page.events).toHaveLength(2);
    const all = await get<{ events: Array<EventBody & { matchOdds: MarketBody | null; marketCount: number }> }>('/v1/catalog/events?limit=100');
    expect(all.events.slice(2, 4).map((event) => event.eventId)).toEqual(page.events.map((event) => event.eventId));
    expect(all.events[0]?.matchOdds?.runners.map((runner) => runner.name)).toHaveLength(3);

    const competitionId = (await get<{ sports: Array<{ competitions: Array<{ competitionId: number; code: string }> }> }>('/v1/catalog/sports')).sports
      .flatMap((sport) => sport.competitions).find((c) => c.code === 'UCL')?.competitionId;
    expect((await get<{ events: EventBody[] }>(`/v1/catalog/events?competition=${competitionId}`)).events.map((e) => e.name)).toEqual(['Liverpool v Real Madrid', 'Bayern Munich v Paris SG']);
    for (const bad of ['?limit=0', '?limit=101', '?inPlay=yes', '?startingWithinMinutes=-5', '?unknown=1', '?competition=abc']) {
      expect((await h.app.inject({ method: 'GET', url: `/v1/catalog/events${bad}` })).statusCode).toBe(400);
    }
    expect((await h.app.inject({ method: 'GET', url: '/v1/catalog/events/999999' })).json()).toMatchObject({ error: { code: 'event_not_found' } });
    expect((await h.app.inject({ method: 'GET', url: '/v1/catalog/markets/999999' })).statusCode).toBe(404);
  });

  it('answers a market with runner names, its event and the live top of book', async () => {
    const event = (await get<{ events: EventBody[] }>('/v1/catalog/events?q=Tottenham&status=scheduled')).events[0];
    const detail = await get<EventBody>(`/v1/catalog/events/${event?.eventId}`);
    expect(detail.markets.map((market) => market.marketType)).toEqual(['match_odds', 'over_under_2_5', 'both_teams_to_score', 'correct_score', 'double_chance']);
    const matchOdds = detail.markets[0] as MarketBody;
    await submit({ type: 'PlaceOrder', accountId: maker.accountId, clientOrderId: 'q1', marketId: matchOdds.marketId, runnerIndex: 0, side: 'lay', priceTicks: TICK_2_0, stakeMinor: 25_00 });
    const market = await get<MarketBody & { event: { name: string } }>(`/v1/catalog/markets/${matchOdds.marketId}`);
    expect(market).toMatchObject({ marketType: 'match_odds', status: 'open', inPlay: false, event: { name: 'Man City v Tottenham' } });
    expect(market.runners[0]).toMatchObject({ name: 'Man City', lay: [{ priceTicks: TICK_2_0, totalMinor: 25_00 }] });
    expect(market.runners.map((runner) => runner.name)).toEqual(['Man City', 'Tottenham', 'The Draw']);
  });
});

describe('lifecycle', () => {
  it('turns markets in-play at the start (LAPSE orders lapse, the bet delay applies) and settles them from the result', async () => {
    const startsAtMs = NOW + 3_600_000;
    const created = await adminPost('/v1/admin/catalog/events', {
      key: 'friendly-1', sportId: 'football', competition: { code: 'FR', name: 'Friendlies' }, home: 'Ajax', away: 'Celtic',
      startsAt: new Date(startsAtMs).toISOString(), markets: ['match_odds', 'over_under_2_5'], betDelayMs: 3_000, reason: 'friendly',
    });
    expect(created.statusCode).toBe(201);
    const event = created.json() as EventBody;
    expect(event.markets.map((market) => [market.status, market.inPlay, market.betDelayMs])).toEqual([['open', false, 3_000], ['open', false, 3_000]]);
    const repeat = await adminPost('/v1/admin/catalog/events', {
      key: 'friendly-1', sportId: 'football', competition: { code: 'FR', name: 'Friendlies' }, home: 'Ajax', away: 'Celtic',
      startsAt: new Date(startsAtMs).toISOString(), markets: ['match_odds', 'over_under_2_5'], betDelayMs: 3_000, reason: 'retry',
    });
    expect(repeat.statusCode).toBe(200);
    expect((repeat.json() as EventBody).markets.map((market) => market.marketId)).toEqual(event.markets.map((market) => market.marketId));

    const [matchOdds, overUnder] = event.markets as [MarketBody, MarketBody];
    // Bettor backs Ajax at 2.0 for 10.00, matched by the maker's lay; over 2.5 backed at 2.0 for 20.00.
    await submit({ type: 'PlaceOrder', accountId: maker.accountId, clientOrderId: 'l1', marketId: matchOdds.marketId, runnerIndex: 0, side: 'lay', priceTicks: TICK_2_0, stakeMinor: 10_00 });
    await submit({ type: 'PlaceOrder', accountId: bettor.accountId, clientOrderId: 'b1', marketId: matchOdds.marketId, runnerIndex: 0, side: 'back', priceTicks: TICK_2_0, stakeMinor: 10_00 });
    await submit({ type: 'PlaceOrder', accountId: maker.accountId, clientOrderId: 'l2', marketId: overUnder.marketId, runnerIndex: 1, side: 'lay', priceTicks: TICK_2_0, stakeMinor: 20_00, persistence: 'persist' });
    await submit({ type: 'PlaceOrder', accountId: bettor.accountId, clientOrderId: 'b2', marketId: overUnder.marketId, runnerIndex: 1, side: 'back', priceTicks: TICK_2_0, stakeMinor: 20_00 });
    // Open orders at the off: one LAPSE (lapses), one PERSIST (stays).
    await submit({ type: 'PlaceOrder', accountId: bettor.accountId, clientOrderId: 'b3', marketId: matchOdds.marketId, runnerIndex: 1, side: 'back', priceTicks: TICK_2_0 + 40, stakeMinor: 5_00 });
    await submit({ type: 'PlaceOrder', accountId: bettor.accountId, clientOrderId: 'b4', marketId: matchOdds.marketId, runnerIndex: 2, side: 'back', priceTicks: TICK_2_0 + 40, stakeMinor: 5_00, persistence: 'persist' });
    const before = balance(bettor) as number;

    // The risk view: Ajax winning pays the bettor 10.00 and costs the maker 10.00.
    const risk = await h.app.inject({ method: 'GET', url: `/v1/admin/markets/${matchOdds.marketId}/risk`, headers: admin.headers });
    expect(risk.statusCode).toBe(200);
    const riskBody = risk.json() as { outcomes: Array<{ winners: number[]; usersWinMinor: number; usersLoseMinor: number; worstCaseLoseMinor: number }>; runners: Array<{ name: string; netBackedStakeMinor: number; netLaidLiabilityMinor: number; unmatchedBackStakeMinor: number }>; topAccounts: Array<{ accountId: number; email: string | null; exposureMinor: number; matchedExposureMinor: number }> };
    expect(riskBody.outcomes).toEqual([
      // Ajax: the maker loses 10.00; the bettor's open backs on Celtic and the draw would cost what Ajax pays.
      { winners: [0], usersWinMinor: 10_00, usersLoseMinor: 10_00, worstCaseLoseMinor: 10_00 },
      // Celtic or the draw: the bettor loses 10.00 matched, and 5.00 more if the open back on the other fills.
      { winners: [1], usersWinMinor: 10_00, usersLoseMinor: 10_00, worstCaseLoseMinor: 15_00 },
      { winners: [2], usersWinMinor: 10_00, usersLoseMinor: 10_00, worstCaseLoseMinor: 15_00 },
    ]);
    expect(riskBody.runners[0]).toMatchObject({ name: 'Ajax', netBackedStakeMinor: 10_00, netLaidLiabilityMinor: 10_00, unmatchedBackStakeMinor: 0 });
    expect(riskBody.runners[1]).toMatchObject({ name: 'Celtic', unmatchedBackStakeMinor: 5_00 });
    expect(riskBody.topAccounts).toEqual([
      { accountId: bettor.accountId, email: 'bettor@example.com', exposureMinor: 15_00, matchedExposureMinor: 10_00 },
      { accountId: maker.accountId, email: 'maker@example.com', exposureMinor: 10_00, matchedExposureMinor: 10_00 },
    ]);
    const overview = await h.app.inject({ method: 'GET', url: '/v1/admin/risk?top=5', headers: admin.headers });
    expect((overview.json() as { topAccounts: Array<{ accountId: number }> }).topAccounts.map((a) => a.accountId)).toContain(bettor.accountId);

    expect(await scheduler.tick(startsAtMs - 1_000)).toMatchObject({ turnedInPlay: 0, failed: 0 });
    const kickOff = await scheduler.tick(startsAtMs + 1_000);
    expect(kickOff.turnedInPlay).toBeGreaterThanOrEqual(2);
    expect(kickOff.failed).toBe(0);
    const live = await get<EventBody>(`/v1/catalog/events/${event.eventId}`);
    expect(live).toMatchObject({ status: 'in_play', inPlay: true });
    expect(live.markets.map((market) => [market.status, market.inPlay, market.betDelayMs])).toEqual([['open', true, 3_000], ['open', true, 3_000]]);
    const open = h.engine.partition.core.openOrders().filter((order) => order.marketId === matchOdds.marketId);
    expect(open.map((order) => order.runnerIndex)).toEqual([2]);
    expect(await scheduler.tick(startsAtMs + 2_000)).toMatchObject({ turnedInPlay: 0, failed: 0 });

    // The bet delay can change in play; commission cannot once the engine market exists.
    const delay = await h.app.inject({ method: 'PATCH', url: `/v1/admin/catalog/markets/${matchOdds.marketId}`, headers: admin.headers, payload: { betDelayMs: 8_000, reason: 'red card' } });
    expect(delay.json()).toMatchObject({ betDelayMs: 8_000, inPlay: true });
    expect(h.engine.partition.core.market(matchOdds.marketId)?.betDelayMs).toBe(8_000);
    const commission = await h.app.inject({ method: 'PATCH', url: `/v1/admin/catalog/markets/${matchOdds.marketId}`, headers: admin.headers, payload: { commissionBps: 100, reason: 'promo' } });
    expect(commission.statusCode).toBe(409);
    expect(commission.json()).toMatchObject({ error: { code: 'market_definition_fixed' } });
    expect((await h.app.inject({ method: 'PATCH', url: `/v1/admin/catalog/events/${event.eventId}`, headers: admin.headers, payload: { startsAt: new Date().toISOString(), reason: 'late' } })).json())
      .toMatchObject({ error: { code: 'event_started' } });

    // Full time 2-1: Ajax win, over 2.5.
    const badResult = await adminPost(`/v1/admin/catalog/events/${event.eventId}/result`, { status: 'finished', homeGoals: 2, reason: 'ft' });
    expect(badResult.statusCode).toBe(400);
    const result = await adminPost(`/v1/admin/catalog/events/${event.eventId}/result`, { status: 'finished', homeGoals: 2, awayGoals: 1, reason: 'full time' });
    expect(result.statusCode).toBe(200);
    const finished = result.json() as EventBody;
    expect(finished.status).toBe('finished');
    expect(finished.markets.map((market) => [market.status, market.winners?.map((w) => w.runnerIndex)])).toEqual([['settled', [0]], ['settled', [1]]]);
    expect(h.engine.partition.core.market(matchOdds.marketId)?.status).toBe('settled');
    // Wins 10.00 and 20.00, less 5% commission on the net 30.00 over two markets (0.50 + 1.00); the
    // open PERSIST order was cancelled at the close and its 5.00 released.
    expect(balance(bettor)).toBe(before + 10_00 - 50 + 20_00 - 1_00);
    const conflict = await adminPost(`/v1/admin/catalog/events/${event.eventId}/result`, { status: 'finished', homeGoals: 0, awayGoals: 0, reason: 'correction' });
    expect(conflict.json()).toMatchObject({ error: { code: 'result_conflict' } });
    expect((await adminPost(`/v1/admin/catalog/events/${event.eventId}/result`, { status: 'finished', homeGoals: 2, awayGoals: 1, reason: 'repeat' })).statusCode).toBe(200);

    const audit = await h.app.inject({ method: 'GET', url: `/v1/admin/audit?target=market:${matchOdds.marketId}`, headers: admin.headers });
    const entries = (audit.json() as { entries: Array<{ action: string; outcome: string; actorAccountId: number; reason: string }> }).entries;
    expect(entries.map((e) => [e.action, e.outcome, e.actorAccountId, e.reason]).reverse()).toEqual([
      ['CreateMarket', 'ok', admin.accountId, 'friendly'],
      ['TurnInPlay', 'ok', SYSTEM_ACTOR, 'event started'],
      ['UpdateMarket', 'ok', admin.accountId, 'red card'],
      ['SetBetDelay', 'ok', admin.accountId, 'red card'],
      ['CloseMarket', 'ok', admin.accountId, 'full time'],
      ['SettleMarket', 'ok', admin.accountId, 'full time'],
    ]);
  });

  it('voids the markets of postponed and abandoned events, and settles finished ones, from a results feed; again changes nothing', async () => {
    const results = feedText('example-results.json');
    const first = await adminPost('/v1/admin/catalog/feeds', { content: results, reason: 'results' });
    expect(first.json()).toMatchObject({ resultsApplied: 5, resultsUnchanged: 0 });
    const event = async (q: string) => (await get<{ events: EventBody[] }>(`/v1/catalog/events?q=${q}&status=${q === 'Fulham' ? 'postponed' : q === 'Sevilla' ? 'abandoned' : 'finished'}`)).events[0];
    const postponed = await get<EventBody>(`/v1/catalog/events/${(await event('Fulham'))?.eventId}`);
    expect(postponed.markets.every((market) => market.status === 'voided')).toBe(true);
    const abandoned = await get<EventBody>(`/v1/catalog/events/${(await event('Sevilla'))?.eventId}`);
    expect(abandoned.markets.every((market) => market.status === 'voided')).toBe(true);
    expect(h.engine.partition.core.market(abandoned.markets[0]?.marketId ?? 0)?.status).toBe('voided');
    const draw = await get<EventBody>(`/v1/catalog/events/${(await event('Leverkusen'))?.eventId}`);
    expect(draw.markets.find((market) => market.marketType === 'match_odds')?.winners).toEqual([{ runnerIndex: 2, factorNumerator: 1, factorDenominator: 1 }]);
    expect(draw.markets.find((market) => market.marketType === 'double_chance')?.winners?.map((w) => w.runnerIndex)).toEqual([0, 1]);
    expect(draw.markets.find((market) => market.marketType === 'correct_score')?.winners?.map((w) => w.runnerIndex)).toEqual([2 * 4 + 2]);
    // The maker's lay on Man City (placed above) was cancelled when its market settled.
    const city = await get<EventBody>(`/v1/catalog/events/${(await event('Tottenham'))?.eventId}`);
    expect(city.markets.every((market) => market.status === 'settled')).toBe(true);

    const again = await adminPost('/v1/admin/catalog/feeds', { content: results, reason: 'results again' });
    expect(again.json()).toEqual({ eventsCreated: 0, eventsRescheduled: 0, eventsUnchanged: 0, marketsCreated: 0, resultsApplied: 0, resultsUnchanged: 5 });
    const contradiction = JSON.stringify({ format: 'playchacha.feed.v1', results: [{ key: 'epl-20261128-mci-tot', status: 'finished', homeGoals: 0, awayGoals: 0 }] });
    const refused = await adminPost('/v1/admin/catalog/feeds', { content: contradiction, reason: 'correction' });
    expect(refused.json()).toMatchObject({ error: { code: 'feed_invalid', rows: [{ row: 'result epl-20261128-mci-tot', message: 'contradicts the recorded result (finished 3-1)' }] } });
  });

  it('settles a market with a dead heat given by an operator', async () => {
    const created = await adminPost('/v1/admin/catalog/events', {
      sportId: 'football', competition: { code: 'FR', name: 'Friendlies' }, home: 'Porto', away: 'Benfica',
      startsAt: new Date(NOW + 7_200_000).toISOString(), markets: ['match_odds'], reason: 'friendly',
    });
    const market = (created.json() as EventBody).markets[0] as MarketBody;
    await submit({ type: 'PlaceOrder', accountId: maker.accountId, clientOrderId: 'dh-l', marketId: market.marketId, runnerIndex: 0, side: 'lay', priceTicks: TICK_2_0, stakeMinor: 10_00 });
    await submit({ type: 'PlaceOrder', accountId: bettor.accountId, clientOrderId: 'dh-b', marketId: market.marketId, runnerIndex: 0, side: 'back', priceTicks: TICK_2_0, stakeMinor: 10_00 });
    const before = balance(bettor) as number;
    const bad = await adminPost(`/v1/admin/catalog/markets/${market.marketId}/result`, { winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 2 }], reason: 'half' });
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_settlement' } });
    const settled = await adminPost(`/v1/admin/catalog/markets/${market.marketId}/result`, {
      winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 2 }, { runnerIndex: 1, factorNumerator: 1, factorDenominator: 2 }],
      reason: 'dead heat ruled by the organiser',
    });
    expect(settled.json()).toMatchObject({ status: 'settled', winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 2 }, { runnerIndex: 1, factorNumerator: 1, factorDenominator: 2 }] });
    // Half the stake wins at 2.0 (+5.00), half loses (−5.00): a result of 0, no commission.
    expect(balance(bettor)).toBe(before);
    expect((await adminPost(`/v1/admin/catalog/markets/${market.marketId}/result`, { winners: [{ runnerIndex: 0 }], reason: 'again' })).json()).toMatchObject({ error: { code: 'market_finished' } });
  });
});

describe('admin edits', () => {
  it('reschedules and renames an event (runner names follow), and adds a market once', async () => {
    const created = await adminPost('/v1/admin/catalog/events', {
      key: 'edit-1', sportId: 'football', competition: { code: 'FR', name: 'Friendlies' }, home: 'Lyon', away: 'Nice',
      startsAt: new Date(NOW + 86_400_000).toISOString(), markets: ['match_odds'], reason: 'new fixture',
    });
    const event = created.json() as EventBody;
    const later = new Date(NOW + 2 * 86_400_000).toISOString();
    const patched = await h.app.inject({ method: 'PATCH', url: `/v1/admin/catalog/events/${event.eventId}`, headers: admin.headers, payload: { startsAt: later, away: 'OGC Nice', reason: 'moved for TV' } });
    expect(patched.statusCode).toBe(200);
    const edited = patched.json() as EventBody;
    expect(edited).toMatchObject({ name: 'Lyon v OGC Nice', startsAt: later });
    expect(edited.markets[0]?.runners.map((runner) => runner.name)).toEqual(['Lyon', 'OGC Nice', 'The Draw']);
    expect((await h.app.inject({ method: 'PATCH', url: `/v1/admin/catalog/events/${event.eventId}`, headers: admin.headers, payload: { home: 'OGC Nice', reason: 'typo' } })).statusCode).toBe(400);

    const added = await adminPost(`/v1/admin/catalog/events/${event.eventId}/markets`, { marketType: 'over_under_1_5', betDelayMs: 0, reason: 'more markets' });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ marketType: 'over_under_1_5', status: 'open', betDelayMs: 0, runners: [{ name: 'Under 1.5 Goals' }, { name: 'Over 1.5 Goals' }] });
    const again = await adminPost(`/v1/admin/catalog/events/${event.eventId}/markets`, { marketType: 'over_under_1_5', reason: 'more markets' });
    expect(again.statusCode).toBe(200);
    expect((again.json() as MarketBody).marketId).toBe((added.json() as MarketBody).marketId);
    expect((await adminPost(`/v1/admin/catalog/events/${event.eventId}/markets`, { marketType: 'first_goalscorer', reason: 'x' })).statusCode).toBe(400);
    expect((await adminPost('/v1/admin/catalog/events/999999/markets', { marketType: 'match_odds', reason: 'x' })).json()).toMatchObject({ error: { code: 'event_not_found' } });

    const audit = (await h.app.inject({ method: 'GET', url: `/v1/admin/audit?target=event:${event.eventId}`, headers: admin.headers })).json() as { entries: Array<{ action: string; reason: string }> };
    expect(audit.entries.map((e) => [e.action, e.reason])).toEqual([['UpdateEvent', 'moved for TV'], ['CreateEvent', 'new fixture']]);
  });
});

describe('admin catalog routes', () => {
  it('refuse a bettor with 403 and change nothing', async () => {
    const routes: Array<['GET' | 'POST' | 'PATCH', string, Record<string, unknown> | undefined]> = [
      ['POST', '/v1/admin/catalog/events', { sportId: 'football', competition: { code: 'X', name: 'X' }, home: 'A', away: 'B', startsAt: '2030-01-01T00:00:00Z', reason: 'r' }],
      ['PATCH', '/v1/admin/catalog/events/1', { reason: 'r' }],
      ['POST', '/v1/admin/catalog/events/1/result', { status: 'postponed', reason: 'r' }],
      ['POST', '/v1/admin/catalog/events/1/markets', { marketType: 'over_under_4_5', reason: 'r' }],
      ['PATCH', '/v1/admin/catalog/markets/1000000', { betDelayMs: 1, reason: 'r' }],
      ['POST', '/v1/admin/catalog/markets/1000000/result', { winners: [{ runnerIndex: 0 }], reason: 'r' }],
      ['POST', '/v1/admin/catalog/feeds', { content: feedText('example-results.json'), reason: 'r' }],
      ['GET', '/v1/admin/markets/1000000/risk', undefined],
      ['GET', '/v1/admin/risk', undefined],
    ];
    const audited = (await h.pool.query(`SELECT 1 FROM gateway_audit_log`)).rowCount;
    for (const [method, url, payload] of routes) {
      const response = await h.app.inject({ method, url, headers: bettor.headers, ...(payload === undefined ? {} : { payload }) });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 403 });
      expect((await h.app.inject({ method, url, ...(payload === undefined ? {} : { payload }) })).statusCode).toBe(401);
    }
    expect((await h.pool.query(`SELECT 1 FROM gateway_audit_log`)).rowCount).toBe(audited);
  });
});

describe('the import-feed command', () => {
  const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
  const cli = fileURLToPath(new URL('./import-feed-cli.ts', import.meta.url));
  const run = (args: string[]) => promisify(execFile)(tsx, [cli, ...args], { env: { ...process.env, DATABASE_URL: h.databaseUrl } });

  it('imports a file into the catalog once; the scheduler then creates its markets in the engine', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'feed-')), 'cup.json');
    writeFileSync(file, JSON.stringify({
      format: 'playchacha.feed.v1',
      competitions: [{ code: 'FAC', sport: 'football', name: 'FA Cup', country: 'England' }],
      fixtures: [{ key: 'fac-1', competition: 'FAC', home: 'Wrexham', away: 'Stockport', startsAt: '2026-12-06T15:00:00Z', markets: ['match_odds', 'over_under_3_5'] }],
    }));
    const first = await run([file]);
    expect(JSON.parse(first.stdout)).toEqual({ eventsCreated: 1, eventsRescheduled: 0, eventsUnchanged: 0, marketsCreated: 2, resultsApplied: 0, resultsUnchanged: 0 });
    const again = await run([file]);
    expect(JSON.parse(again.stdout)).toMatchObject({ eventsCreated: 0, eventsUnchanged: 1, marketsCreated: 0 });
    const { rows } = await h.pool.query<{ market_id: string; lifecycle: string }>(`SELECT m.market_id, m.lifecycle FROM catalog_markets m JOIN catalog_events e USING (event_id) WHERE e.feed_key = 'fac-1' ORDER BY 1`);
    expect(rows.map((row) => row.lifecycle)).toEqual(['pending', 'pending']);
    expect(await scheduler.tick(NOW)).toMatchObject({ marketsCreated: 2, failed: 0 });
    for (const row of rows) expect(h.engine.partition.core.market(Number(row.market_id))?.runnerCount).toBe(row === rows[0] ? 3 : 2);
    expect(await scheduler.tick(NOW)).toMatchObject({ marketsCreated: 0 });

    const bad = join(mkdtempSync(join(tmpdir(), 'feed-')), 'bad.csv');
    writeFileSync(bad, 'Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\nE0,01/13/2026,Leeds,Hull,,\n');
    await expect(run([bad])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('line 2: bad Date or Time') });
  });
});
