// Login through an external OpenID Connect provider, beside password login: present only when the
// gateway is configured with a provider (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
// OIDC_REDIRECT_URI). The callback answers the same token pair as POST /v1/auth/login.

import Type from 'typebox';
import type { OidcLogin } from '../../accounts/oidc.js';
import type { Role } from '../../accounts/roles.js';
import { hashPassword, randomSecret } from '../../accounts/secrets.js';
import { type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { NoQuery, object, TokenPair } from '../schemas.js';
import { createUser } from './auth-routes.js';

const QueryText = Type.Optional(Type.String({ maxLength: 2048 }));
const CallbackQuery = object({ code: QueryText, state: QueryText, iss: QueryText, session_state: QueryText, error: QueryText, error_description: QueryText });

export function oidcRoutes(app: RestApp, services: Services, oidc: OidcLogin): void {
  const authLimit = { rateLimit: { max: services.limits.authPerWindow, timeWindow: services.limits.windowMs, skipOnError: false } };

  app.get('/v1/auth/oidc/authorize', {
    config: authLimit,
    schema: {
      tags: ['auth'],
      summary: 'Start a login through the OpenID Connect provider: a redirect to its authorization page',
      querystring: NoQuery,
      response: { 302: Type.Null({ description: 'Location: the provider\'s authorization URL.' }), ...errorResponses(503) },
    },
  }, async (_request, reply) => reply.redirect((await oidc.start()).toString(), 302));

  app.get('/v1/auth/oidc/callback', {
    config: authLimit,
    schema: {
      tags: ['auth'],
      summary: 'Finish a login through the OpenID Connect provider (its redirect back): the access and refresh tokens',
      description: 'The identity is linked to the user it was linked to before, else to the user with the same email if the provider verified it, else to a new user (role bettor).',
      querystring: CallbackQuery,
      response: { 200: TokenPair, ...errorResponses(401, 403, 409, 503) },
    },
  }, async (request) => {
    const query = new URLSearchParams(Object.entries(request.query).flatMap(([key, value]): Array<[string, string]> => (value === undefined ? [] : [[key, value]])));
    if (query.has('error')) throw new ApiError('oidc_failed', `the provider answered ${query.get('error')}`);
    const identity = await oidc.finish(query);
    let accountId = await oidc.linkedAccount(identity);
    if (accountId === null) {
      if (identity.email === null) throw new ApiError('oidc_failed', 'the provider gave no email');
      const existing = await services.users.byEmail(identity.email);
      if (existing !== null) {
        if (!identity.emailVerified) throw new ApiError('email_taken', 'the email is registered and the provider did not verify it');
        accountId = existing.accountId;
      } else {
        const role: Role = services.adminEmails.has(identity.email.toLowerCase()) ? 'admin' : 'bettor';
        // No password: the hash is of a random secret nobody knows.
        accountId = (await createUser(services, identity.email, await hashPassword(randomSecret()), role)).accountId;
      }
      await oidc.link(identity, accountId);
    }
    const user = await services.users.byAccountId(accountId);
    if (user === null) throw new ApiError('oidc_failed', 'the linked user no longer exists');
    return {
      accessToken: await services.accessTokens.sign(user.accountId, user.role),
      tokenType: 'Bearer' as const,
      expiresInSeconds: services.accessTokens.options.ttlSeconds,
      refreshToken: await services.refreshTokens.issue(user.accountId),
      refreshExpiresInSeconds: services.refreshTokenTtlSeconds,
      accountId: user.accountId,
      role: user.role,
    };
  });
}
