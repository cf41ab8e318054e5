// The market catalog: status, runners, the top of each runner's book and what traded, from the market read model.

import { isId, ladderById, priceX100OfTick, type MarketId } from '@playchacha/protocol';
import type { Level } from '../../market-book.js';
import { requireAuth, SECURED, type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { MarketList, MarketParams, NoQuery, MarketSummary, type MarketSummaryType } from '../schemas.js';

const DEPTH = 3;

export function marketSummary(services: Services, marketId: MarketId): MarketSummaryType | undefined {
  const snapshot = services.readModels.markets.snapshot(marketId);
  const ladderId = services.readModels.markets.ladderId(marketId);
  const ladder = ladderById(ladderId ?? '');
  if (snapshot === undefined || ladderId === undefined || ladder === undefined) return undefined;
  const levels = (side: readonly Level[]) =>
    side.slice(0, DEPTH).map(([priceTicks, totalMinor]) => ({ priceTicks, priceX100: priceX100OfTick(ladder, priceTicks), totalMinor }));
  return {
    ...snapshot.header,
    ladderId,
    seq: snapshot.seq,
    runners: snapshot.runners.map((runner) => ({
      runnerIndex: runner.runnerIndex,
      back: levels(runner.back),
      lay: levels(runner.lay),
      lastPriceTicks: snapshot.traded[runner.runnerIndex]?.lastPriceTicks ?? null,
      matchedMinor: snapshot.traded[runner.runnerIndex]?.matchedMinor ?? 0,
    })),
    matchedMinor: snapshot.matchedMinor,
  };
}

export function marketRoutes(app: RestApp, services: Services): void {
  const auth = requireAuth(services);

  app.get('/v1/markets', {
    preValidation: auth,
    schema: { tags: ['markets'], summary: 'Every market with its status and best prices', security: SECURED, querystring: NoQuery, response: { 200: MarketList, ...errorResponses(401) } },
  }, async () => ({
    markets: services.readModels.markets.marketIds().flatMap((marketId) => marketSummary(services, marketId) ?? []),
  }));

  app.get('/v1/markets/:marketId', {
    preValidation: auth,
    schema: {
      tags: ['markets'],
      summary: 'One market with its status and best prices',
      security: SECURED,
      params: MarketParams,
      response: { 200: MarketSummary, ...errorResponses(401, 404) },
    },
  }, async (request) => {
    const marketId = Number(request.params.marketId);
    const summary = isId(marketId) ? marketSummary(services, marketId) : undefined;
    if (summary === undefined) throw new ApiError('market_not_found');
    return summary;
  });
}
