// The public catalog (no sign-in, like any exchange's browse pages): sports with their
// competitions, events with filters and search, an event with its markets, and one market — with
// runner names, the engine's state and the top of each runner's book.

import type pg from 'pg';
import type { Static } from 'typebox';
import type { CatalogEvent, CatalogMarket, EventStatus } from '../../catalog/catalog-store.js';
import type { RestApp, Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { MarketParams, NoQuery } from '../schemas.js';
import { marketSummary } from './market-routes.js';
import {
  CatalogEventDetail,
  CatalogEventList,
  CatalogEventQuery,
  CatalogMarket as CatalogMarketSchema,
  CatalogMarketDetail,
  CatalogSports,
  EventParams,
} from './catalog-schemas.js';

export type CatalogMarketView = Static<typeof CatalogMarketSchema>;

export function catalogMarketView(services: Services, market: CatalogMarket): CatalogMarketView {
  const summary = market.lifecycle === 'pending' ? undefined : marketSummary(services, market.marketId);
  const status = summary?.status ?? (market.lifecycle === 'settled' || market.lifecycle === 'voided' ? market.lifecycle : 'pending');
  return {
    marketId: market.marketId,
    eventId: market.eventId,
    marketType: market.marketType,
    name: market.name,
    status,
    inPlay: summary?.inPlay ?? false,
    betDelayMs: summary?.inPlay === true ? summary.betDelayMs : market.betDelayMs,
    numberOfWinners: market.numberOfWinners,
    ladderId: market.ladderId,
    minStakeMinor: market.minStakeMinor,
    commissionBps: market.commissionBps,
    persistenceAllowed: market.persistenceAllowed,
    seq: summary?.seq ?? null,
    winners: market.winners === null ? null : market.winners.map((w) => ({ runnerIndex: w.runnerIndex, factorNumerator: w.factorNumerator, factorDenominator: w.factorDenominator })),
    runners: market.runners.map((runner) => {
      const book = summary?.runners[runner.runnerIndex];
      return { runnerIndex: runner.runnerIndex, name: runner.name, back: book?.back ?? [], lay: book?.lay ?? [] };
    }),
  };
}

export function eventFields(event: CatalogEvent) {
  return {
    eventId: event.eventId,
    name: event.name,
    home: event.home,
    away: event.away,
    startsAt: new Date(event.startsAtMs).toISOString(),
    status: event.status,
    inPlay: event.status === 'in_play',
    homeGoals: event.homeGoals,
    awayGoals: event.awayGoals,
    sport: event.sport,
    competition: { competitionId: event.competition.competitionId, code: event.competition.code, name: event.competition.name, country: event.competition.country },
  };
}

/** An event with its markets, read from `db` (the primary by default; the public routes read the replica). */
export async function eventDetail(services: Services, eventId: number, db: pg.Pool = services.catalog.store.pool): Promise<Static<typeof CatalogEventDetail>> {
  const event = await services.catalog.store.event(db, eventId);
  if (event === null) throw new ApiError('event_not_found');
  const markets = await services.catalog.store.marketsOfEvents(db, [eventId]);
  return { ...eventFields(event), markets: markets.map((market) => catalogMarketView(services, market)) };
}

export async function marketDetail(services: Services, marketId: number, db: pg.Pool = services.catalog.store.pool): Promise<Static<typeof CatalogMarketDetail>> {
  const market = await services.catalog.store.market(db, marketId);
  const event = market === null ? null : await services.catalog.store.event(db, market.eventId);
  if (market === null || event === null) throw new ApiError('market_not_found');
  return { ...catalogMarketView(services, market), event: eventFields(event) };
}

export function catalogRoutes(app: RestApp, services: Services): void {
  app.get('/v1/catalog/sports', {
    schema: { tags: ['catalog'], summary: 'Sports with their competitions and counts of events open for betting', querystring: NoQuery, response: { 200: CatalogSports, ...errorResponses() } },
  }, async () => ({
    sports: (await services.catalog.store.sports()).map((sport) => ({
      sportId: sport.sportId,
      name: sport.name,
      eventCount: sport.eventCount,
      inPlayCount: sport.inPlayCount,
      competitions: sport.competitions.map(({ competitionId, code, name, country, eventCount, inPlayCount }) => ({ competitionId, code, name, country, eventCount, inPlayCount })),
    })),
  }));

  app.get('/v1/catalog/events', {
    schema: {
      tags: ['catalog'],
      summary: 'Events, soonest first: by default those open for betting (scheduled or in play)',
      description: 'Filters: sport (id), competition (id), inPlay=true|false, startingWithinMinutes, q (search in event, participant and competition names), status. Each event carries its match odds market with the top of its book.',
      querystring: CatalogEventQuery,
      response: { 200: CatalogEventList, ...errorResponses() },
    },
  }, async (request) => {
    const query = request.query;
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    const offset = query.offset === undefined ? 0 : Number(query.offset);
    let statuses: EventStatus[] = ['scheduled', 'in_play'];
    if (query.inPlay === 'true') statuses = ['in_play'];
    else if (query.inPlay === 'false' || query.startingWithinMinutes !== undefined) statuses = ['scheduled'];
    if (query.status !== undefined) statuses = statuses.includes(query.status) || (query.inPlay === undefined && query.startingWithinMinutes === undefined) ? [query.status] : [];
    const { events, total } = await services.catalog.store.events({
      statuses,
      limit,
      offset,
      ...(query.sport === undefined ? {} : { sportId: query.sport }),
      ...(query.competition === undefined ? {} : { competitionId: Number(query.competition) }),
      ...(query.startingWithinMinutes === undefined ? {} : { startsBeforeMs: services.catalog.now() + Number(query.startingWithinMinutes) * 60_000 }),
      ...(query.q === undefined ? {} : { query: query.q }),
    });
    const markets = await services.catalog.store.marketsOfEvents(services.catalog.store.readPool, events.map((event) => event.eventId));
    return {
      events: events.map((event) => {
        const own = markets.filter((market) => market.eventId === event.eventId);
        const matchOdds = own.find((market) => market.marketType === 'match_odds');
        return { ...eventFields(event), marketCount: own.length, matchOdds: matchOdds === undefined ? null : catalogMarketView(services, matchOdds) };
      }),
      total,
      limit,
      offset,
    };
  });

  app.get('/v1/catalog/events/:eventId', {
    schema: { tags: ['catalog'], summary: 'One event with its markets (runner names, state, in-play, bet delay, top of book)', params: EventParams, querystring: NoQuery, response: { 200: CatalogEventDetail, ...errorResponses(404) } },
  }, async (request) => eventDetail(services, Number(request.params.eventId), services.catalog.store.readPool));

  app.get('/v1/catalog/markets/:marketId', {
    schema: { tags: ['catalog'], summary: 'One catalog market with its runner names and its event', params: MarketParams, querystring: NoQuery, response: { 200: CatalogMarketDetail, ...errorResponses(404) } },
  }, async (request) => marketDetail(services, Number(request.params.marketId), services.catalog.store.readPool));
}
