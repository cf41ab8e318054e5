// The caller's wallet history from the ledger of record, newest first, paged by transaction id;
// and the caller's settled and void markets with the result, commission and net of each.

import Type from 'typebox';
import { LedgerHistory, LedgerUnavailableError } from '../../accounts/ledger-history.js';
import { principalOf, requireAuth, SECURED, type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { object } from '../schemas.js';

const HistoryQuery = object({
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|1[0-9]{2}|200)$', description: '1–200, default 50.' })),
  before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'Entries older than this transaction id.' })),
});
const Minor = Type.Integer({ description: 'Minor units; negative when money left that balance.' });
const HistoryList = object({
  entries: Type.Array(
    object({
      transactionId: Type.Integer({ minimum: 1 }),
      kind: Type.String({ description: 'deposit, withdrawal, position (orders placed, matched, cancelled), settlement' }),
      marketId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
      reference: Type.Union([Type.String(), Type.Null()]),
      createdAt: Type.String({ format: 'date-time' }),
      availableDeltaMinor: Minor,
      heldDeltaMinor: Minor,
      escrowDeltaMinor: Minor,
      debtDeltaMinor: Type.Integer({ description: 'Minor units owed after a resettlement clawed back more than the account had (negative: it owes more; positive: a deposit repaid it).' }),
    }),
  ),
});

const SettlementsQuery = object({
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|1[0-9]{2}|200)$', description: '1–200, default 50.' })),
});
const SettlementList = object({
  markets: Type.Array(
    object({
      marketId: Type.Integer({ minimum: 1 }),
      outcome: Type.Union([Type.Literal('settled'), Type.Literal('voided')]),
      winners: Type.Union([
        Type.Array(object({
          runnerIndex: Type.Integer({ minimum: 0 }),
          factorNumerator: Type.Integer({ minimum: 1 }),
          factorDenominator: Type.Integer({ minimum: 1 }),
        })),
        Type.Null(),
      ], { description: 'The winning runners with their dead-heat factors; null for a void.' }),
      commissionBps: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
      settledAt: Type.String({ format: 'date-time', description: 'When the market was settled, or last resettled.' }),
      disputeOpenUntil: Type.String({ format: 'date-time', description: 'The end of the window in which the account may dispute this result (POST /v1/account/disputes).' }),
      resettled: Type.Boolean({ description: 'Resettled (or un-voided) since; the figures are as they stand now.' }),
      grossMinor: Type.Integer({ description: 'The account\'s result on the market before commission (negative for a loss).' }),
      commissionMinor: Type.Integer({ minimum: 0, description: 'Commission charged on the net winnings.' }),
      netMinor: Type.Integer({ description: 'gross − commission.' }),
    }),
  ),
});

export function historyRoutes(app: RestApp, services: Services, history: LedgerHistory, disputeWindowMs: number): void {
  app.get('/v1/account/history', {
    preValidation: requireAuth(services),
    schema: {
      tags: ['account'],
      summary: 'The wallet history from the ledger: each transaction with its change to available, held and escrow',
      security: SECURED,
      querystring: HistoryQuery,
      response: { 200: HistoryList, ...errorResponses(400, 401, 503) },
    },
  }, async (request) => {
    const { limit, before } = request.query;
    try {
      const entries = await history.list(principalOf(request).accountId, {
        limit: limit === undefined ? 50 : Number(limit),
        ...(before === undefined ? {} : { beforeId: Number(before) }),
      });
      return { entries };
    } catch (error) {
      if (error instanceof LedgerUnavailableError) throw new ApiError('ledger_unavailable');
      throw error;
    }
  });

  app.get('/v1/account/settlements', {
    preValidation: requireAuth(services),
    schema: {
      tags: ['account'],
      summary: 'The caller\'s settled and void markets from the ledger, newest first, as they stand after any resettlement: the result, gross profit or loss, commission and net of each',
      security: SECURED,
      querystring: SettlementsQuery,
      response: { 200: SettlementList, ...errorResponses(400, 401, 503) },
    },
  }, async (request) => {
    const { limit } = request.query;
    try {
      const markets = await history.settledMarkets(principalOf(request).accountId, { limit: limit === undefined ? 50 : Number(limit) });
      return { markets: markets.map((market) => ({ ...market, disputeOpenUntil: new Date(Date.parse(market.settledAt) + disputeWindowMs).toISOString() })) };
    } catch (error) {
      if (error instanceof LedgerUnavailableError) throw new ApiError('ledger_unavailable');
      throw error;
    }
  });
}
