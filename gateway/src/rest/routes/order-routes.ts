// The caller's orders: list, place (with an Idempotency-Key) and cancel. Another account's order is
// answered exactly like a missing one (404), so its existence is not revealed.

import { isId, type Instruction, type PlaceInstruction } from '@playchacha/protocol';
import { resultsOf } from '../../order-commands.js';
import { principalOf, requireAuth, SECURED, submit, type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { derivedId, idempotent } from '../idempotency.js';
import { requestTraceparent, tracedRoute } from '../request-spans.js';
import { CancelledOrder, IdempotencyHeaders, OrderList, OrderParams, OrderQuery, PlacedOrder, PlaceOrderBody } from '../schemas.js';

export function orderRoutes(app: RestApp, services: Services): void {
  const auth = requireAuth(services);

  app.get('/v1/orders', {
    preValidation: auth,
    schema: {
      tags: ['orders'],
      summary: 'The account\'s open orders and its recently closed ones',
      security: SECURED,
      querystring: OrderQuery,
      response: { 200: OrderList, ...errorResponses(401) },
    },
  }, async (request) => {
    const image = services.readModels.orders.image(principalOf(request).accountId);
    const marketId = request.query.marketId === undefined ? null : Number(request.query.marketId);
    if (marketId === null) return image;
    return { open: image.open.filter((o) => o.marketId === marketId), recentlyClosed: image.recentlyClosed.filter((o) => o.marketId === marketId) };
  });

  app.post('/v1/orders', {
    ...tracedRoute(services.tracer, 'POST /v1/orders'),
    preValidation: auth,
    schema: {
      tags: ['orders'],
      summary: 'Place an order; answered once the engine journaled it',
      description: 'Without clientOrderId, one is derived from the Idempotency-Key. 201: accepted (it may have matched or closed at once); 200: the client order id was used before (the first result); an engine rejection is an error with its reject code.',
      security: SECURED,
      headers: IdempotencyHeaders,
      body: PlaceOrderBody,
      response: { 200: PlacedOrder, 201: PlacedOrder, ...errorResponses(401, 404, 409, 422, 503) },
    },
  }, async (request, reply) =>
    idempotent(services, request, reply, 'orders', async (key) => {
      const { accountId } = principalOf(request);
      const instruction: PlaceInstruction = { kind: 'place', ...request.body, clientOrderId: request.body.clientOrderId ?? derivedId('rest-', key) };
      const { kind: _kind, ...fields } = instruction;
      const events = await submit(services.link, { type: 'PlaceOrder', accountId, ...fields }, requestTraceparent(request));
      const [result] = resultsOf([instruction], events, accountId);
      if (result === undefined || result.status === 'rejected') throw new ApiError(result?.code ?? 'internal_error');
      if (result.status === 'duplicate') {
        return { statusCode: 200, body: { status: 'duplicate', orderId: result.orderId, clientOrderId: result.clientOrderId, code: result.code } };
      }
      if (result.status !== 'accepted') throw new ApiError('internal_error');
      const { status, orderId, clientOrderId, matchedMinor, remainingMinor, closeReason, delayed } = result;
      return {
        statusCode: 201,
        body: { status, orderId, clientOrderId, matchedMinor, remainingMinor, ...(closeReason === undefined ? {} : { closeReason }), ...(delayed === undefined ? {} : { delayed }) },
      };
    }),
  );

  app.delete('/v1/orders/:orderId', {
    ...tracedRoute(services.tracer, 'DELETE /v1/orders/:orderId'),
    preValidation: auth,
    schema: {
      tags: ['orders'],
      summary: 'Cancel one of the account\'s open orders',
      security: SECURED,
      params: OrderParams,
      response: { 200: CancelledOrder, ...errorResponses(401, 404, 409, 422, 503) },
    },
  }, async (request) => {
    const { accountId } = principalOf(request);
    const orderId = Number(request.params.orderId);
    const order = isId(orderId) ? services.readModels.orders.openOrder(accountId, orderId) : undefined;
    if (order === undefined) throw new ApiError('order_not_found');
    const instruction: Instruction = { kind: 'cancel', marketId: order.marketId, orderId };
    const events = await submit(services.link, { type: 'CancelOrder', accountId, marketId: order.marketId, orderId }, requestTraceparent(request));
    const [result] = resultsOf([instruction], events, accountId);
    if (result?.status === 'cancelled') return { status: 'cancelled' as const, orderId, marketId: order.marketId, matchedMinor: result.matchedMinor, cancelledMinor: result.cancelledMinor };
    if (result?.status === 'rejected' && result.code !== 'unknown_order') throw new ApiError(result.code);
    throw new ApiError('order_not_found');
  });
}
