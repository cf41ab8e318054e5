// Operator routes over the catalog: create and edit events and markets, record results (which
// settle or void the markets), settle one market with explicit winners and dead-heat factors,
// import a feed, and the risk views. Admin role only (403 otherwise); every action is audited with
// who, what, when and why (the catalog service records each change and each engine command).

import { randomUUID } from 'node:crypto';
import { isId } from '@playchacha/protocol';
import type { FastifyRequest } from 'fastify';
import { FeedRejectedError, type Actor } from '../../catalog/catalog-service.js';
import { parseFeed } from '../../catalog/feed.js';
import { DEFAULT_MARKET_TYPES } from '../../catalog/market-types.js';
import { principalOf, requireAuth, requireRole, SECURED, type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { MarketParams } from '../schemas.js';
import {
  AddMarketBody,
  CatalogEventDetail,
  CatalogMarketDetail,
  CreateEventBody,
  EventParams,
  EventResultBody,
  FEED_BODY_BYTES_MAX,
  FeedErrorBody,
  ImportFeedBody,
  ImportReport,
  MarketResultBody,
  MarketRiskBody,
  RiskOverview,
  RiskQuery,
  UpdateEventBody,
  UpdateMarketBody,
} from './catalog-schemas.js';
import { eventDetail, marketDetail } from './catalog-routes.js';

function parameters(body: { betDelayMs?: number; commissionBps?: number; minStakeMinor?: number; persistenceAllowed?: boolean }) {
  return {
    ...(body.betDelayMs === undefined ? {} : { betDelayMs: body.betDelayMs }),
    ...(body.commissionBps === undefined ? {} : { commissionBps: body.commissionBps }),
    ...(body.minStakeMinor === undefined ? {} : { minStakeMinor: body.minStakeMinor }),
    ...(body.persistenceAllowed === undefined ? {} : { persistenceAllowed: body.persistenceAllowed }),
  };
}

export function adminCatalogRoutes(app: RestApp, services: Services): void {
  const adminOnly = [requireAuth(services), requireRole('admin')];
  const errors = errorResponses(400, 401, 403, 404, 409, 422, 503);
  const actor = (request: FastifyRequest, reason: string): Actor => ({ accountId: principalOf(request).accountId, reason });

  app.post('/v1/admin/catalog/events', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'Create an event with its markets; they are created in the engine at once',
      description: 'A repeat with the same key returns the existing event (200) and creates nothing.',
      security: SECURED,
      body: CreateEventBody,
      response: { 200: CatalogEventDetail, 201: CatalogEventDetail, ...errors },
    },
  }, async (request, reply) => {
    const body = request.body;
    if (body.home === body.away) throw new ApiError('invalid_request', 'home and away are the same');
    const { eventId, created } = await services.catalog.createEvent({
      key: body.key ?? `admin:${randomUUID()}`,
      sportId: body.sportId,
      ...(body.sportName === undefined ? {} : { sportName: body.sportName }),
      competition: { sportId: body.sportId, code: body.competition.code, name: body.competition.name, country: body.competition.country ?? null },
      home: body.home,
      away: body.away,
      startsAtMs: Date.parse(body.startsAt),
      marketTypes: body.markets ?? DEFAULT_MARKET_TYPES,
      parameters: parameters(body),
    }, actor(request, body.reason));
    return reply.code(created ? 201 : 200).send(await eventDetail(services, eventId));
  });

  app.patch('/v1/admin/catalog/events/:eventId', {
    preValidation: adminOnly,
    schema: { tags: ['admin'], summary: 'Reschedule (before the start) or rename an event', security: SECURED, params: EventParams, body: UpdateEventBody, response: { 200: CatalogEventDetail, ...errors } },
  }, async (request) => {
    const eventId = Number(request.params.eventId);
    const body = request.body;
    await services.catalog.updateEvent(eventId, {
      ...(body.startsAt === undefined ? {} : { startsAtMs: Date.parse(body.startsAt) }),
      ...(body.home === undefined ? {} : { home: body.home }),
      ...(body.away === undefined ? {} : { away: body.away }),
    }, actor(request, body.reason));
    return eventDetail(services, eventId);
  });

  app.post('/v1/admin/catalog/events/:eventId/result', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'Record an event\'s result: finished with the score (its markets are closed and settled from it), postponed or abandoned (its markets are voided)',
      security: SECURED,
      params: EventParams,
      body: EventResultBody,
      response: { 200: CatalogEventDetail, ...errors },
    },
  }, async (request) => {
    const eventId = Number(request.params.eventId);
    const { status, homeGoals, awayGoals, reason } = request.body;
    const finished = status === 'finished';
    if (finished !== (homeGoals !== undefined && awayGoals !== undefined) || (!finished && (homeGoals !== undefined || awayGoals !== undefined))) {
      throw new ApiError('invalid_request', 'a finished result needs homeGoals and awayGoals; a postponed or abandoned one has none');
    }
    await services.catalog.setResult(eventId, { status, homeGoals: homeGoals ?? null, awayGoals: awayGoals ?? null }, actor(request, reason));
    return eventDetail(services, eventId);
  });

  app.post('/v1/admin/catalog/events/:eventId/markets', {
    preValidation: adminOnly,
    schema: { tags: ['admin'], summary: 'Add a market of a type the event does not have yet', security: SECURED, params: EventParams, body: AddMarketBody, response: { 200: CatalogMarketDetail, 201: CatalogMarketDetail, ...errors } },
  }, async (request, reply) => {
    const body = request.body;
    const { marketId, created } = await services.catalog.addMarket(Number(request.params.eventId), body.marketType, parameters(body), actor(request, body.reason));
    return reply.code(created ? 201 : 200).send(await marketDetail(services, marketId));
  });

  app.patch('/v1/admin/catalog/markets/:marketId', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'Change a catalog market\'s bet delay (applied at once in play), or, before the engine market exists, its commission, minimum stake and persistence',
      security: SECURED,
      params: MarketParams,
      body: UpdateMarketBody,
      response: { 200: CatalogMarketDetail, ...errors },
    },
  }, async (request) => {
    const marketId = Number(request.params.marketId);
    await services.catalog.updateMarket(marketId, parameters(request.body), actor(request, request.body.reason));
    return marketDetail(services, marketId);
  });

  app.post('/v1/admin/catalog/markets/:marketId/result', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'Settle one catalog market with explicit winners and dead-heat factors (it is closed first)',
      security: SECURED,
      params: MarketParams,
      body: MarketResultBody,
      response: { 200: CatalogMarketDetail, ...errors },
    },
  }, async (request) => {
    const marketId = Number(request.params.marketId);
    const winners = request.body.winners.map((winner) => ({ runnerIndex: winner.runnerIndex, factorNumerator: winner.factorNumerator ?? 1, factorDenominator: winner.factorDenominator ?? 1 }));
    await services.catalog.settleMarket(marketId, winners, actor(request, request.body.reason));
    return marketDetail(services, marketId);
  });

  app.post('/v1/admin/catalog/feeds', {
    preValidation: adminOnly,
    bodyLimit: FEED_BODY_BYTES_MAX,
    schema: {
      tags: ['admin'],
      summary: 'Import a fixtures and results feed (the JSON format or the football-data CSV layout); importing it again changes nothing',
      security: SECURED,
      body: ImportFeedBody,
      response: { 200: ImportReport, ...errors, 422: FeedErrorBody },
    },
  }, async (request, reply) => {
    const parsed = parseFeed(request.body.content, request.body.format);
    const rejected = (rows: FeedRejectedError['rows']) => {
      const error = new FeedRejectedError(rows);
      return reply.code(422).send({ error: { code: 'feed_invalid' as const, message: error.message, rows: [...rows] } });
    };
    if (!parsed.ok) return rejected(parsed.errors);
    try {
      return await services.catalog.importFeed(parsed.feed, actor(request, request.body.reason));
    } catch (error) {
      if (error instanceof FeedRejectedError) return rejected(error.rows);
      throw error;
    }
  });

  // ----- Risk ---------------------------------------------------------------------------------------

  async function emails(accountIds: readonly number[]): Promise<Map<number, string>> {
    if (accountIds.length === 0) return new Map();
    const { rows } = await services.catalog.store.pool.query<{ account_id: string; email: string }>(`SELECT account_id, email FROM gateway_users WHERE account_id = ANY($1::bigint[])`, [accountIds]);
    return new Map(rows.map((row) => [Number(row.account_id), row.email]));
  }

  async function marketNames(marketIds: readonly number[]): Promise<Map<number, string>> {
    if (marketIds.length === 0) return new Map();
    const { rows } = await services.catalog.store.pool.query<{ market_id: string; name: string }>(
      `SELECT m.market_id, e.name || ' — ' || m.name AS name FROM catalog_markets m JOIN catalog_events e ON e.event_id = m.event_id WHERE m.market_id = ANY($1::bigint[])`,
      [marketIds],
    );
    return new Map(rows.map((row) => [Number(row.market_id), row.name]));
  }

  app.get('/v1/admin/markets/:marketId/risk', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'A market\'s liability per outcome (what users stand to win or lose in each result), money per runner (matched and unmatched), and its most exposed accounts',
      security: SECURED,
      params: MarketParams,
      querystring: RiskQuery,
      response: { 200: MarketRiskBody, ...errors },
    },
  }, async (request) => {
    const marketId = Number(request.params.marketId);
    const header = isId(marketId) ? services.readModels.markets.snapshot(marketId)?.header : undefined;
    const risk = header === undefined ? undefined : services.risk?.risk(marketId, request.query.top === undefined ? 10 : Number(request.query.top));
    if (header === undefined || risk === undefined) throw new ApiError('market_not_found');
    const market = await services.catalog.store.market(services.catalog.store.pool, marketId);
    const event = market === null ? null : await services.catalog.store.event(services.catalog.store.pool, market.eventId);
    const known = await emails(risk.topAccounts.map((account) => account.accountId));
    return {
      marketId,
      name: market === null || event === null ? null : `${event.name} — ${market.name}`,
      status: header.status,
      inPlay: header.inPlay,
      numberOfWinners: risk.numberOfWinners,
      accounts: risk.accounts,
      totalExposureMinor: risk.totalExposureMinor,
      runners: risk.runners.map((runner) => ({ ...runner, name: market?.runners[runner.runnerIndex]?.name ?? null })),
      outcomes: risk.outcomes.map((outcome) => ({ ...outcome, winners: [...outcome.winners] })),
      topAccounts: risk.topAccounts.map((account) => ({ ...account, email: known.get(account.accountId) ?? null })),
    };
  });

  app.get('/v1/admin/risk', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'Markets by total exposure, and the accounts with the most exposure over all markets',
      security: SECURED,
      querystring: RiskQuery,
      response: { 200: RiskOverview, ...errors },
    },
  }, async (request) => {
    const top = request.query.top === undefined ? 10 : Number(request.query.top);
    const markets = (services.risk?.marketsByExposure() ?? []).slice(0, top);
    const accounts = services.risk?.accountsByExposure(top) ?? [];
    const names = await marketNames(markets.map((market) => market.marketId));
    const known = await emails(accounts.map((account) => account.accountId));
    return {
      markets: markets.map((market) => ({ ...market, name: names.get(market.marketId) ?? null })),
      topAccounts: accounts.map((account) => ({ ...account, email: known.get(account.accountId) ?? null })),
    };
  });
}
