// The caller's own wallet, and the test deposit (only when the gateway runs without Stripe).

import type { AccountId } from '@playchacha/protocol';
import { principalOf, requireAuth, SECURED, submit, commandRejection, type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { derivedId, idempotent } from '../idempotency.js';
import { Account, IdempotencyHeaders, NoQuery, TestDeposit, TestDepositBody } from '../schemas.js';

export function accountOf(services: Services, accountId: AccountId) {
  const money = services.readModels.accounts.get(accountId);
  if (money === undefined) throw new ApiError('account_not_found');
  return { accountId, balanceMinor: money.balanceMinor, exposureMinor: money.exposureMinor, availableMinor: money.availableMinor };
}

export function accountRoutes(app: RestApp, services: Services, testDeposits: boolean): void {
  const auth = requireAuth(services);

  app.get('/v1/account', {
    preValidation: auth,
    schema: {
      tags: ['account'],
      summary: 'The balance, exposure (worst case of open orders and matched bets) and available balance',
      security: SECURED,
      querystring: NoQuery,
      response: { 200: Account, ...errorResponses(401, 404) },
    },
  }, async (request) => accountOf(services, principalOf(request).accountId));

  if (!testDeposits) return;
  app.post('/v1/deposits/test', {
    preValidation: auth,
    schema: {
      tags: ['account'],
      summary: 'TEST ONLY (no Stripe configured): credit play money to the account',
      description: 'Exists only when the gateway runs without Stripe keys. Real deposits go through Stripe and the settlement worker.',
      security: SECURED,
      headers: IdempotencyHeaders,
      body: TestDepositBody,
      response: { 201: TestDeposit, ...errorResponses(401, 403, 409, 422, 503) },
    },
  }, async (request, reply) =>
    idempotent(services, request, reply, 'deposits/test', async (key) => {
      const { accountId } = principalOf(request);
      const transferId = derivedId('test-', accountId, key);
      // KYC caps, the account's deposit limit and self-exclusion are checked, and the deposit
      // recorded, under the profile's lock (accounts/profiles.ts).
      await services.profiles.deposit(accountId, transferId, request.body.amountMinor, async () => {
        const events = await submit(services.link, { type: 'Deposit', accountId, transferId, amountMinor: request.body.amountMinor });
        const rejected = commandRejection(events);
        if (rejected !== null) throw rejected;
      });
      const { balanceMinor, availableMinor } = accountOf(services, accountId);
      return { statusCode: 201, body: { transferId, amountMinor: request.body.amountMinor, balanceMinor, availableMinor, test: true } };
    }),
  );
}
