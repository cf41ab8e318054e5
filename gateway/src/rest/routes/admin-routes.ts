// Operator routes: create markets and move them through their life (suspend, resume, in-play,
// bet delay, close, settle, void), read any account's wallet, set a user's role, and read the
// audit log. Every route needs the admin role (403 otherwise); every action is audited with who,
// what, which target, why and how it ended (including refusals).

import { isId, type Command, type MarketId } from '@playchacha/protocol';
import type { FastifyRequest } from 'fastify';
import { commandRejection, principalOf, requireAuth, requireRole, SECURED, submit, type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import {
  Account,
  AuditList,
  AuditQuery,
  BetDelayBody,
  CreateMarketBody,
  MarketParams,
  MarketSummary,
  ReasonBody,
  RegisteredUser,
  RoleBody,
  SettleBody,
  UserParams,
} from '../schemas.js';
import { accountOf } from './account-routes.js';
import { marketSummary } from './market-routes.js';

export function adminRoutes(app: RestApp, services: Services): void {
  const adminOnly = [requireAuth(services), requireRole('admin')];
  const errors = errorResponses(400, 401, 403, 404, 409, 422, 503);

  /** Submits a market command, audits it (also when refused) and answers the market's summary. */
  async function apply(request: FastifyRequest, command: Command & { marketId: MarketId }, reason: string) {
    const { type, marketId, ...details } = command;
    const audit = (outcome: string) =>
      services.audit.record({ actorAccountId: principalOf(request).accountId, action: type, target: `market:${marketId}`, reason, details, outcome });
    let rejected: ApiError | null;
    try {
      rejected = commandRejection(await submit(services.link, command));
    } catch (error) {
      await audit(error instanceof ApiError ? error.code : 'internal_error');
      throw error;
    }
    await audit(rejected?.code ?? 'ok');
    if (rejected !== null) throw rejected.code === 'unknown_market' ? new ApiError('market_not_found') : rejected;
    const summary = marketSummary(services, marketId);
    if (summary === undefined) throw new ApiError('market_not_found');
    return summary;
  }

  function marketIdOf(text: string): MarketId {
    const marketId = Number(text);
    if (!isId(marketId)) throw new ApiError('market_not_found');
    return marketId;
  }

  app.post('/v1/admin/markets', {
    preValidation: adminOnly,
    schema: { tags: ['admin'], summary: 'Create a market', security: SECURED, body: CreateMarketBody, response: { 201: MarketSummary, ...errors } },
  }, async (request, reply) => {
    const commissionBps = request.body.commissionBps ?? (await services.platformConfig.current()).defaultCommissionBps;
    return reply.code(201).send(await apply(request, { type: 'CreateMarket', ...request.body, commissionBps }, 'new market'));
  });

  const transition = (path: string, summary: string, command: (marketId: MarketId) => Command & { marketId: MarketId }) =>
    app.post(`/v1/admin/markets/:marketId/${path}`, {
      preValidation: adminOnly,
      schema: { tags: ['admin'], summary, security: SECURED, params: MarketParams, body: ReasonBody, response: { 200: MarketSummary, ...errors } },
    }, async (request) => {
      const marketId = marketIdOf(request.params.marketId);
      return apply(request, command(marketId), request.body.reason);
    });

  transition('suspend', 'Suspend a market (orders are refused; cancels are allowed)', (marketId) => ({ type: 'SuspendMarket', marketId }));
  transition('resume', 'Resume a suspended market', (marketId) => ({ type: 'ResumeMarket', marketId }));
  transition('close', 'Close a market to betting (open orders are cancelled); it awaits settlement', (marketId) => ({ type: 'CloseMarket', marketId }));

  app.post('/v1/admin/markets/:marketId/in-play', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'Turn a market in-play: LAPSE orders are cancelled and the bet delay applies from now on',
      security: SECURED,
      params: MarketParams,
      body: BetDelayBody,
      response: { 200: MarketSummary, ...errors },
    },
  }, async (request) => {
    const marketId = marketIdOf(request.params.marketId);
    return apply(request, { type: 'TurnInPlay', marketId, betDelayMs: request.body.betDelayMs }, request.body.reason);
  });

  app.post('/v1/admin/markets/:marketId/bet-delay', {
    preValidation: adminOnly,
    schema: { tags: ['admin'], summary: 'Change an in-play market\'s bet delay', security: SECURED, params: MarketParams, body: BetDelayBody, response: { 200: MarketSummary, ...errors } },
  }, async (request) => {
    const marketId = marketIdOf(request.params.marketId);
    return apply(request, { type: 'SetBetDelay', marketId, betDelayMs: request.body.betDelayMs }, request.body.reason);
  });

  app.post('/v1/admin/markets/:marketId/settle', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'Settle a market: the winners, each with its dead-heat factor (1/1 for an outright winner); runners not listed lose',
      security: SECURED,
      params: MarketParams,
      body: SettleBody,
      response: { 200: MarketSummary, ...errors },
    },
  }, async (request) => {
    const marketId = marketIdOf(request.params.marketId);
    const winners = request.body.winners.map((winner) => ({
      runnerIndex: winner.runnerIndex,
      factorNumerator: winner.factorNumerator ?? 1,
      factorDenominator: winner.factorDenominator ?? 1,
    }));
    return apply(request, { type: 'SettleMarket', marketId, winners }, request.body.reason);
  });

  app.post('/v1/admin/markets/:marketId/void', {
    preValidation: adminOnly,
    schema: { tags: ['admin'], summary: 'Void a market: every matched bet is returned and open orders are cancelled', security: SECURED, params: MarketParams, body: ReasonBody, response: { 200: MarketSummary, ...errors } },
  }, async (request) => {
    const marketId = marketIdOf(request.params.marketId);
    return apply(request, { type: 'VoidMarket', marketId, reason: request.body.reason }, request.body.reason);
  });

  app.get('/v1/admin/audit', {
    preValidation: adminOnly,
    schema: { tags: ['admin'], summary: 'The audit log, newest first', security: SECURED, querystring: AuditQuery, response: { 200: AuditList, ...errors } },
  }, async (request) => {
    const query = request.query;
    const beforeId = query.before === undefined ? undefined : Number(query.before);
    const actor = query.actor === undefined ? undefined : Number(query.actor);
    const entries = await services.audit.list({
      limit: query.limit === undefined ? 50 : Number(query.limit),
      ...(beforeId === undefined ? {} : { beforeId }),
      ...(query.target === undefined ? {} : { target: query.target }),
      ...(actor === undefined ? {} : { actorAccountId: actor }),
    });
    return { entries };
  });

  app.get('/v1/admin/accounts/:accountId', {
    preValidation: adminOnly,
    schema: { tags: ['admin'], summary: 'Any account\'s balance, exposure and available balance', security: SECURED, params: UserParams, response: { 200: Account, ...errors } },
  }, async (request) => {
    const accountId = Number(request.params.accountId);
    if (!isId(accountId)) throw new ApiError('account_not_found');
    return accountOf(services, accountId);
  });

  app.post('/v1/admin/users/:accountId/role', {
    preValidation: adminOnly,
    schema: { tags: ['admin'], summary: 'Set a user\'s role (effective at its next token refresh)', security: SECURED, params: UserParams, body: RoleBody, response: { 200: RegisteredUser, ...errors } },
  }, async (request) => {
    const accountId = Number(request.params.accountId);
    if (!isId(accountId) || !(await services.users.setRole(accountId, request.body.role))) throw new ApiError('user_not_found');
    await services.audit.record({
      actorAccountId: principalOf(request).accountId,
      action: 'SetRole',
      target: `account:${accountId}`,
      reason: request.body.reason,
      details: { role: request.body.role },
      outcome: 'ok',
    });
    const user = await services.users.byAccountId(accountId);
    if (user === null) throw new ApiError('user_not_found');
    return { accountId: user.accountId, email: user.email, role: user.role };
  });
}
