// Operator routes: create, suspend and resume markets, read any account's wallet, set a user's
// role. Every route needs the admin role (403 otherwise).

import { isId, type Command, type MarketId } from '@playchacha/protocol';
import { commandRejection, requireAuth, requireRole, SECURED, submit, type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { Account, CreateMarketBody, MarketParams, MarketSummary, RegisteredUser, RoleBody, UserParams } from '../schemas.js';
import { accountOf } from './account-routes.js';
import { marketSummary } from './market-routes.js';

export function adminRoutes(app: RestApp, services: Services): void {
  const preHandler = [requireAuth(services), requireRole('admin')];
  const errors = errorResponses(401, 403, 404, 409, 422, 503);

  async function apply(command: Command, marketId: MarketId) {
    const rejected = commandRejection(await submit(services.link, command));
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
    preHandler,
    schema: { tags: ['admin'], summary: 'Create a market', security: SECURED, body: CreateMarketBody, response: { 201: MarketSummary, ...errors } },
  }, async (request, reply) => reply.code(201).send(await apply({ type: 'CreateMarket', ...request.body }, request.body.marketId)));

  app.post('/v1/admin/markets/:marketId/suspend', {
    preHandler,
    schema: { tags: ['admin'], summary: 'Suspend a market (orders are refused; cancels are allowed)', security: SECURED, params: MarketParams, response: { 200: MarketSummary, ...errors } },
  }, async (request) => {
    const marketId = marketIdOf(request.params.marketId);
    return apply({ type: 'SuspendMarket', marketId }, marketId);
  });

  app.post('/v1/admin/markets/:marketId/resume', {
    preHandler,
    schema: { tags: ['admin'], summary: 'Resume a suspended market', security: SECURED, params: MarketParams, response: { 200: MarketSummary, ...errors } },
  }, async (request) => {
    const marketId = marketIdOf(request.params.marketId);
    return apply({ type: 'ResumeMarket', marketId }, marketId);
  });

  app.get('/v1/admin/accounts/:accountId', {
    preHandler,
    schema: { tags: ['admin'], summary: 'Any account\'s balance, exposure and available balance', security: SECURED, params: UserParams, response: { 200: Account, ...errors } },
  }, async (request) => {
    const accountId = Number(request.params.accountId);
    if (!isId(accountId)) throw new ApiError('account_not_found');
    return accountOf(services, accountId);
  });

  app.post('/v1/admin/users/:accountId/role', {
    preHandler,
    schema: { tags: ['admin'], summary: 'Set a user\'s role (effective at its next token refresh)', security: SECURED, params: UserParams, body: RoleBody, response: { 200: RegisteredUser, ...errors } },
  }, async (request) => {
    const accountId = Number(request.params.accountId);
    if (!isId(accountId) || !(await services.users.setRole(accountId, request.body.role))) throw new ApiError('user_not_found');
    const user = await services.users.byAccountId(accountId);
    if (user === null) throw new ApiError('user_not_found');
    return { accountId: user.accountId, email: user.email, role: user.role };
  });
}
