// Register, login, refresh (rotating, with reuse detection) and logout; API keys for market makers.

import Type from 'typebox';
import type { AccountId } from '@playchacha/protocol';
import { hashPassword, randomSecret, verifyPassword } from '../../accounts/secrets.js';
import { API_KEY_ROLES, type Role } from '../../accounts/roles.js';
import { EmailTakenError, type User } from '../../accounts/user-store.js';
import { accountLimitsOf } from '../../admin/platform-config.js';
import { commandRejection, principalOf, requireAuth, requireRole, SECURED, submit, type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { ApiKeyBody, ApiKeyIdParams, CreatedApiKey, Credentials, RefreshBody, RegisteredUser, TokenPair } from '../schemas.js';

/**
 * Creates a user and opens its exchange account with the platform's default account limits;
 * refused with registration_closed while the registrationOpen flag is off.
 */
export async function createUser(services: Services, email: string, passwordHash: string, role: Role): Promise<User> {
  const config = await services.platformConfig.current();
  if (!config.featureFlags.registrationOpen) throw new ApiError('registration_closed');
  const limits = accountLimitsOf(config.defaultAccountLimits);
  try {
    return await services.users.create(email, passwordHash, role, limits, async (accountId) => {
      const events = await submit(services.link, { type: 'OpenAccount', accountId, limits });
      const rejected = commandRejection(events);
      if (rejected !== null) throw new ApiError('internal_error', `the engine refused to open account ${accountId}: ${rejected.code}`);
    });
  } catch (error) {
    if (error instanceof EmailTakenError) throw new ApiError('email_taken');
    throw error;
  }
}

export function authRoutes(app: RestApp, services: Services): void {
  // Verified against when the email is unknown, so that a miss takes as long as a wrong password.
  const dummyHash = hashPassword(randomSecret());
  const authLimit = { rateLimit: { max: services.limits.authPerWindow, timeWindow: services.limits.windowMs, skipOnError: false } };

  async function tokenPair(accountId: AccountId, role: Role, refreshToken: string) {
    return {
      accessToken: await services.accessTokens.sign(accountId, role),
      tokenType: 'Bearer' as const,
      expiresInSeconds: services.accessTokens.options.ttlSeconds,
      refreshToken,
      refreshExpiresInSeconds: services.refreshTokenTtlSeconds,
      accountId,
      role,
    };
  }

  app.post('/v1/auth/register', {
    config: authLimit,
    schema: {
      tags: ['auth'],
      summary: 'Create a user and its exchange account (role bettor) with the platform\'s default account limits',
      body: Credentials,
      response: { 201: RegisteredUser, ...errorResponses(403, 409, 503) },
    },
  }, async (request, reply) => {
    const { email, password } = request.body;
    const role: Role = services.adminEmails.has(email.toLowerCase()) ? 'admin' : 'bettor';
    const user = await createUser(services, email, await hashPassword(password), role);
    return reply.code(201).send({ accountId: user.accountId, email: user.email, role: user.role });
  });

  app.post('/v1/auth/login', {
    config: authLimit,
    schema: {
      tags: ['auth'],
      summary: 'Exchange email and password for an access token and a refresh token',
      body: Credentials,
      response: { 200: TokenPair, ...errorResponses(401) },
    },
  }, async (request) => {
    const { email, password } = request.body;
    const user = await services.users.byEmail(email);
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash), password);
    if (user === null || !ok) throw new ApiError('invalid_credentials');
    return tokenPair(user.accountId, user.role, await services.refreshTokens.issue(user.accountId));
  });

  app.post('/v1/auth/refresh', {
    config: authLimit,
    schema: {
      tags: ['auth'],
      summary: 'Rotate a refresh token: a new access token and a new refresh token',
      body: RefreshBody,
      response: { 200: TokenPair, ...errorResponses(401) },
    },
  }, async (request) => {
    const rotated = await services.refreshTokens.rotate(request.body.refreshToken);
    if (!rotated.ok) throw new ApiError(rotated.reason === 'reused' ? 'refresh_token_reused' : 'invalid_refresh_token');
    const user = await services.users.byAccountId(rotated.accountId);
    if (user === null) throw new ApiError('invalid_refresh_token');
    return tokenPair(user.accountId, user.role, rotated.refreshToken);
  });

  app.post('/v1/auth/logout', {
    config: authLimit,
    schema: {
      tags: ['auth'],
      summary: 'Revoke the refresh token and every token rotated from the same login',
      body: RefreshBody,
      response: { 204: Type.Null(), ...errorResponses() },
    },
  }, async (request, reply) => {
    await services.refreshTokens.revokeFamily(request.body.refreshToken);
    return reply.code(204).send(null);
  });

  app.post('/v1/api-keys', {
    preValidation: [requireAuth(services), requireRole(...API_KEY_ROLES)],
    schema: {
      tags: ['auth'],
      summary: 'Create an API key for the WebSocket and REST APIs (market makers); the key is shown once',
      security: SECURED,
      body: ApiKeyBody,
      response: { 201: CreatedApiKey, ...errorResponses(401, 403) },
    },
  }, async (request, reply) => {
    const created = await services.apiKeys.create(principalOf(request).accountId, request.body.label ?? '');
    return reply.code(201).send(created);
  });

  app.delete('/v1/api-keys/:apiKeyId', {
    preValidation: [requireAuth(services)],
    schema: {
      tags: ['auth'],
      summary: 'Revoke one of the account\'s API keys',
      security: SECURED,
      params: ApiKeyIdParams,
      response: { 204: Type.Null(), ...errorResponses(401, 404) },
    },
  }, async (request, reply) => {
    if (!(await services.apiKeys.revoke(principalOf(request).accountId, request.params.apiKeyId))) throw new ApiError('not_found', 'no such API key');
    return reply.code(204).send(null);
  });
}
