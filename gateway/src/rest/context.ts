// What the route modules share: the app type, the services built from the app's dependencies,
// the authenticated principal of a request, and engine submission with its failure mapped.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AccountId, Command, EngineEvent } from '@playchacha/protocol';
import type { AccessTokens } from '../accounts/access-tokens.js';
import type { ApiKeyStore } from '../accounts/api-key-store.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { IdempotencyStore } from '../accounts/idempotency-store.js';
import type { ProfileService } from '../accounts/profiles.js';
import type { RefreshTokenStore } from '../accounts/refresh-token-store.js';
import type { Role } from '../accounts/roles.js';
import type { UserStore } from '../accounts/user-store.js';
import type { PlatformConfigStore } from '../admin/platform-config.js';
import type { UserAdmin } from '../admin/user-admin.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import type { RiskReadModel } from '../catalog/risk-read-model.js';
import type { EngineLink } from '../engine-link.js';
import type { Tracer } from '../../../engine/src/io/tracing.js';
import { ApiError } from './errors.js';
import type { GatewayReadModels } from '../read-models.js';

export type RestApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface Services {
  readonly link: EngineLink;
  readonly readModels: GatewayReadModels;
  readonly users: UserStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly refreshTokenTtlSeconds: number;
  readonly apiKeys: ApiKeyStore;
  readonly audit: AuditLog;
  readonly idempotency: IdempotencyStore;
  readonly accessTokens: AccessTokens;
  /** Emails that are given the admin role when they register. */
  readonly adminEmails: ReadonlySet<string>;
  readonly limits: { readonly authPerWindow: number; readonly windowMs: number };
  /** Sports, competitions, events, markets and runners; drives catalog markets in the engine. */
  readonly catalog: CatalogService;
  /** Positions per market for the risk views; null when the engine's positions are not readable. */
  readonly risk: RiskReadModel | null;
  /** Profiles, KYC and responsible-gambling limits. */
  readonly profiles: ProfileService;
  /** The platform configuration's versions (default commission and account limits, feature flags). */
  readonly platformConfig: PlatformConfigStore;
  /** Admin user management: search, trading status and limits. */
  readonly userAdmin: UserAdmin;
  /** Order requests are traced when set (see request-spans.ts). */
  readonly tracer: Tracer | null;
}

export interface RestPrincipal {
  readonly accountId: AccountId;
  readonly role: Role;
  readonly method: 'jwt' | 'api_key';
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: RestPrincipal | null;
  }
}

/** The principal of a request that passed `requireAuth`. */
export function principalOf(request: FastifyRequest): RestPrincipal {
  if (request.principal === null) throw new ApiError('unauthorized');
  return request.principal;
}

/** preValidation (before the body is checked): a Bearer access token or an X-Api-Key; anything else is 401. */
export function requireAuth(services: Services) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const authorization = request.headers.authorization;
    const apiKey = request.headers['x-api-key'];
    if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) {
      const claims = await services.accessTokens.verify(authorization.slice(7).trim());
      if (claims !== null) request.principal = { accountId: claims.accountId, role: claims.role, method: 'jwt' };
    } else if (authorization === undefined && typeof apiKey === 'string') {
      const owner = await services.apiKeys.owner(apiKey);
      if (owner !== null) request.principal = { ...owner, method: 'api_key' };
    }
    if (request.principal === null) {
      reply.header('www-authenticate', 'Bearer');
      throw new ApiError('unauthorized');
    }
  };
}

/** After requireAuth, before the body is checked: refuses other roles with 403. */
export function requireRole(...roles: Role[]) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!roles.includes(principalOf(request).role)) throw new ApiError('forbidden');
  };
}

/** Submits a command (with the request's traceparent, if traced); a failure to journal it is engine_unavailable. */
export async function submit(link: EngineLink, command: Command, traceparent: string | null = null): Promise<readonly EngineEvent[]> {
  try {
    return await link.submit(command, traceparent);
  } catch {
    throw new ApiError('engine_unavailable');
  }
}

/** The CommandRejected code among a command's events, as an ApiError, or null. */
export function commandRejection(events: readonly EngineEvent[]): ApiError | null {
  for (const event of events) if (event.type === 'CommandRejected') return new ApiError(event.code);
  return null;
}

export const SECURED = [{ bearerAuth: [] }, { apiKey: [] }];
