// Resettlement and disputes. An admin resettles a settled or void market (new winners, or null to
// void it; a void market given winners is un-voided): the engine reverses every account's result
// and applies the new one. An account opens a dispute on a market it had matched bets on, within
// the window after the market's result reached the ledger; it lists its own disputes (another
// account's is 404). Admins list disputes and resolve each by upholding the result or by
// resettling the market. Admin routes need the admin role (403 otherwise); the money-moving POSTs
// need an Idempotency-Key; every step is audited (who, what, which target, why, how it ended).

import Type from 'typebox';
import { DEAD_HEAT_DENOMINATOR_MAX, isId, REASON_LENGTH_MAX, RUNNERS_PER_MARKET_MAX, type DeadHeat, type MarketId } from '@playchacha/protocol';
import type { FastifyRequest } from 'fastify';
import type { Dispute, DisputeStore } from '../../accounts/dispute-store.js';
import { LedgerUnavailableError } from '../../accounts/ledger-history.js';
import { commandRejection, principalOf, requireAuth, requireRole, SECURED, submit, type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { idempotent } from '../idempotency.js';
import { EntityId, IdempotencyHeaders, IdParam, literals, MarketParams, MarketSummary, object, type MarketSummaryType } from '../schemas.js';
import { marketSummary } from './market-routes.js';

/** How long after a market's result an account may dispute it, by default: 72 hours. */
export const DISPUTE_WINDOW_MS_DEFAULT = 72 * 3_600_000;
const DISPUTE_REASON_LENGTH_MAX = 2_000;

const Reason = Type.String({ minLength: 1, maxLength: REASON_LENGTH_MAX, description: 'Why: kept in the audit log.' });
const Winner = object({
  runnerIndex: Type.Integer({ minimum: 0, maximum: RUNNERS_PER_MARKET_MAX - 1 }),
  factorNumerator: Type.Optional(Type.Integer({ minimum: 1, maximum: DEAD_HEAT_DENOMINATOR_MAX })),
  factorDenominator: Type.Optional(Type.Integer({ minimum: 1, maximum: DEAD_HEAT_DENOMINATOR_MAX })),
});
const Winners = Type.Union([Type.Array(Winner, { minItems: 0, maxItems: RUNNERS_PER_MARKET_MAX }), Type.Null()], {
  description: 'The new winners with their dead-heat factors (1/1 when omitted; runners not listed lose), or null to void the market.',
});
const ResettleBody = object({ winners: Winners, reason: Reason });
const DisputeParams = object({ disputeId: IdParam });
const OpenDisputeBody = object({
  marketId: EntityId,
  reason: Type.String({ minLength: 1, maxLength: DISPUTE_REASON_LENGTH_MAX, description: 'What the account says is wrong with the result.' }),
});
const ResolveDisputeBody = object({
  resolution: literals(['uphold', 'resettle']),
  reason: Reason,
  winners: Type.Optional(Winners),
}, 'uphold keeps the result; resettle needs winners (or null to void) and resettles the market with them.');
const DisputeStatus = literals(['open', 'upheld', 'resettled']);
const DeadHeatOut = object({ runnerIndex: Type.Integer({ minimum: 0 }), factorNumerator: Type.Integer({ minimum: 1 }), factorDenominator: Type.Integer({ minimum: 1 }) });
const DisputeOut = object({
  disputeId: EntityId,
  accountId: EntityId,
  marketId: EntityId,
  reason: Type.String(),
  status: DisputeStatus,
  resultAt: Type.String({ format: 'date-time', description: 'When the disputed result reached the ledger; the window runs from here.' }),
  openedAt: Type.String({ format: 'date-time' }),
  resolvedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  resolvedBy: Type.Union([EntityId, Type.Null()]),
  resolutionReason: Type.Union([Type.String(), Type.Null()]),
  resolutionWinners: Type.Union([Type.Array(DeadHeatOut), Type.Null()], { description: 'The winners the market was resettled with; null for a void or an upheld result.' }),
});
const DisputeList = object({ disputes: Type.Array(DisputeOut) });
const DisputeListQuery = object({
  status: Type.Optional(literals(['open', 'upheld', 'resettled', 'all'])),
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|1[0-9]{2}|200)$', description: '1–200, default 50.' })),
});
const AccountDisputeQuery = object({
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|1[0-9]{2}|200)$', description: '1–200, default 50.' })),
});

export interface DisputeOptions {
  /** How long after a market's result it may be disputed. */
  readonly windowMs: number;
  /** The gateway's clock. */
  readonly now: () => number;
}

function winnersOf(winners: ReadonlyArray<{ runnerIndex: number; factorNumerator?: number; factorDenominator?: number }> | null): DeadHeat[] | null {
  if (winners === null) return null;
  return winners.map((w) => ({ runnerIndex: w.runnerIndex, factorNumerator: w.factorNumerator ?? 1, factorDenominator: w.factorDenominator ?? 1 }));
}

function marketIdOf(text: string): MarketId {
  const marketId = Number(text);
  if (!isId(marketId)) throw new ApiError('market_not_found');
  return marketId;
}

function disputeIdOf(text: string): number {
  const disputeId = Number(text);
  if (!isId(disputeId)) throw new ApiError('dispute_not_found');
  return disputeId;
}

function limitOf(text: string | undefined): number {
  return text === undefined ? 50 : Number(text);
}

export function disputeRoutes(app: RestApp, services: Services, disputes: DisputeStore, options: DisputeOptions): void {
  const authenticated = [requireAuth(services)];
  const admin = [requireAuth(services), requireRole('admin')];
  const errors = errorResponses(400, 401, 403, 404, 409, 422, 503);
  const audit = (request: FastifyRequest, action: string, target: string, reason: string, details: Record<string, unknown>, outcome: string) =>
    services.audit.record({ actorAccountId: principalOf(request).accountId, action, target, reason, details, outcome });

  /** The catalog market (if the market is one) follows the engine's new result. */
  async function followInCatalog(marketId: MarketId, winners: readonly DeadHeat[] | null, reason: string): Promise<void> {
    const store = services.catalog.store;
    if ((await store.market(store.pool, marketId)) === null) return;
    await store.updateMarket(store.pool, marketId, winners === null ? { lifecycle: 'voided', voidReason: reason } : { lifecycle: 'settled', winners });
  }

  /** Submits ResettleMarket; an engine refusal or failure is thrown as an ApiError. Audits nothing. */
  async function submitResettle(marketId: MarketId, winners: readonly DeadHeat[] | null, reason: string): Promise<void> {
    const rejected = commandRejection(await submit(services.link, { type: 'ResettleMarket', marketId, winners, reason }));
    if (rejected !== null) throw rejected.code === 'unknown_market' ? new ApiError('market_not_found') : rejected;
  }

  function summaryOf(marketId: MarketId): MarketSummaryType {
    const summary = marketSummary(services, marketId);
    if (summary === undefined) throw new ApiError('market_not_found');
    return summary;
  }

  app.post('/v1/admin/markets/:marketId/resettle', {
    preValidation: admin,
    schema: {
      tags: ['admin'],
      summary: 'Resettle a settled or void market: new winners (a void market is un-voided), or winners null to void a settled market',
      description: 'Each account\'s previous result and commission are reversed and the new ones applied, as new ledger entries. A balance may go below zero (the account owes what was clawed back: it can only lower its risk, and deposits repay the debt first). Needs an Idempotency-Key.',
      security: SECURED,
      headers: IdempotencyHeaders,
      params: MarketParams,
      body: ResettleBody,
      response: { 200: MarketSummary, ...errors },
    },
  }, async (request, reply) =>
    idempotent(services, request, reply, `admin.resettle.${request.params.marketId}`, async () => {
      const marketId = marketIdOf(request.params.marketId);
      const winners = winnersOf(request.body.winners);
      const reason = request.body.reason;
      try {
        await submitResettle(marketId, winners, reason);
      } catch (error) {
        await audit(request, 'ResettleMarket', `market:${marketId}`, reason, { winners }, error instanceof ApiError ? error.code : 'internal_error');
        throw error;
      }
      await audit(request, 'ResettleMarket', `market:${marketId}`, reason, { winners }, 'ok');
      await followInCatalog(marketId, winners, reason);
      return { statusCode: 200, body: summaryOf(marketId) };
    }));

  // ----- The account's disputes ----------------------------------------------------------------

  app.post('/v1/account/disputes', {
    preValidation: authenticated,
    schema: {
      tags: ['account'],
      summary: 'Dispute the result of a settled or void market the account had matched bets on, within the dispute window after the result',
      description: 'One open dispute per account and market. The window runs from when the market\'s current result (its settlement, void or latest resettlement) reached the ledger.',
      security: SECURED,
      body: OpenDisputeBody,
      response: { 201: DisputeOut, ...errors },
    },
  }, async (request, reply) => {
    const { accountId } = principalOf(request);
    const { marketId, reason } = request.body;
    let facts;
    try {
      facts = await disputes.marketResult(accountId, marketId);
    } catch (error) {
      if (error instanceof LedgerUnavailableError) throw new ApiError('ledger_unavailable');
      throw error;
    }
    const refuse = async (code: 'market_not_found' | 'market_not_settled' | 'no_matched_bets' | 'dispute_window_closed' | 'dispute_open') => {
      await audit(request, 'OpenDispute', `market:${marketId}`, reason, {}, code);
      throw new ApiError(code);
    };
    if (facts === null) return refuse(services.readModels.markets.ladderId(marketId) === undefined ? 'market_not_found' : 'market_not_settled');
    if (!facts.accountHadMatchedBets) return refuse('no_matched_bets');
    if (options.now() - facts.resultAtMs > options.windowMs) return refuse('dispute_window_closed');
    const dispute = await disputes.open(accountId, marketId, reason, facts.resultAtMs);
    if (dispute === null) return refuse('dispute_open');
    await audit(request, 'OpenDispute', `dispute:${dispute.disputeId}`, reason, { marketId }, 'ok');
    return reply.code(201).send(dispute);
  });

  app.get('/v1/account/disputes', {
    preValidation: authenticated,
    schema: { tags: ['account'], summary: 'The account\'s disputes and their status, newest first', security: SECURED, querystring: AccountDisputeQuery, response: { 200: DisputeList, ...errors } },
  }, async (request) => ({ disputes: await disputes.ofAccount(principalOf(request).accountId, limitOf(request.query.limit)) }));

  app.get('/v1/account/disputes/:disputeId', {
    preValidation: authenticated,
    schema: { tags: ['account'], summary: 'One of the account\'s disputes (another account\'s is 404)', security: SECURED, params: DisputeParams, response: { 200: DisputeOut, ...errors } },
  }, async (request) => {
    const dispute = await disputes.byId(disputeIdOf(request.params.disputeId));
    if (dispute === null || dispute.accountId !== principalOf(request).accountId) throw new ApiError('dispute_not_found');
    return dispute;
  });

  // ----- Admin --------------------------------------------------------------------------------------

  app.get('/v1/admin/disputes', {
    preValidation: admin,
    schema: { tags: ['admin'], summary: 'Disputes, oldest first; open ones unless status says otherwise', security: SECURED, querystring: DisputeListQuery, response: { 200: DisputeList, ...errors } },
  }, async (request) => {
    const status = request.query.status ?? 'open';
    return { disputes: await disputes.list(status === 'all' ? null : status, limitOf(request.query.limit)) };
  });

  app.post('/v1/admin/disputes/:disputeId/resolve', {
    preValidation: admin,
    schema: {
      tags: ['admin'],
      summary: 'Resolve an open dispute: uphold the result, or resettle the market with the given winners (null voids it)',
      description: 'A resettlement refused by the engine leaves the dispute open. Needs an Idempotency-Key.',
      security: SECURED,
      headers: IdempotencyHeaders,
      params: DisputeParams,
      body: ResolveDisputeBody,
      response: { 200: DisputeOut, ...errors },
    },
  }, async (request, reply) =>
    idempotent(services, request, reply, `admin.disputes.resolve.${request.params.disputeId}`, async () => {
      const disputeId = disputeIdOf(request.params.disputeId);
      const { resolution, reason } = request.body;
      const resolvedBy = principalOf(request).accountId;
      if (resolution === 'resettle' && request.body.winners === undefined) throw new ApiError('invalid_request', 'body.winners is required to resettle');
      if (resolution === 'uphold' && request.body.winners !== undefined) throw new ApiError('invalid_request', 'body.winners is only for resettle');
      const winners = resolution === 'resettle' ? winnersOf(request.body.winners ?? null) : null;
      let marketId: MarketId | null = null;
      let result: Dispute | 'not_found' | 'not_open';
      try {
        // The engine is asked under the dispute's row lock, so two admins cannot both act on it.
        result = await disputes.resolve(disputeId, async (dispute) => {
          marketId = dispute.marketId;
          if (resolution === 'resettle') await submitResettle(dispute.marketId, winners, reason);
          return { status: resolution === 'uphold' ? 'upheld' : 'resettled', resolvedBy, reason, winners };
        });
      } catch (error) {
        const code = error instanceof ApiError ? error.code : 'internal_error';
        if (marketId !== null) await audit(request, 'ResettleMarket', `market:${marketId}`, reason, { winners, disputeId }, code);
        await audit(request, 'ResolveDispute', `dispute:${disputeId}`, reason, { resolution, winners }, code);
        throw error;
      }
      if (result === 'not_found' || result === 'not_open') {
        const code = result === 'not_found' ? 'dispute_not_found' : 'dispute_not_open';
        await audit(request, 'ResolveDispute', `dispute:${disputeId}`, reason, { resolution }, code);
        throw new ApiError(code);
      }
      if (resolution === 'resettle') {
        await audit(request, 'ResettleMarket', `market:${result.marketId}`, reason, { winners, disputeId }, 'ok');
        await followInCatalog(result.marketId, winners, reason);
      }
      await audit(request, 'ResolveDispute', `dispute:${disputeId}`, reason, { marketId: result.marketId, resolution, winners }, 'ok');
      return { statusCode: 200, body: result };
    }));
}
