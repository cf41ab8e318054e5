// The REST API: fastify with the TypeBox type provider, strict Ajv (unknown fields are 400, no
// string to number conversion, a maximum on every amount), declared responses, one error format,
// security headers, a body limit, rate limits in Redis and the OpenAPI document at /docs/json.
// buildApp does not listen; the caller does (or tests call app.inject()).

import Fastify, { type FastifyPluginAsync } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import { AccessTokens, type AccessTokenOptions } from '../accounts/access-tokens.js';
import { ApiKeyStore } from '../accounts/api-key-store.js';
import { AuditLog } from '../accounts/audit-log.js';
import { IdempotencyStore } from '../accounts/idempotency-store.js';
import { OidcLogin, type OidcOptions } from '../accounts/oidc.js';
import { ProfileService } from '../accounts/profiles.js';
import { RefreshTokenStore } from '../accounts/refresh-token-store.js';
import { UserStore } from '../accounts/user-store.js';
import { PlatformConfigStore } from '../admin/platform-config.js';
import { UserAdmin } from '../admin/user-admin.js';
import { CatalogService } from '../catalog/catalog-service.js';
import { RiskReadModel, type PositionSource } from '../catalog/risk-read-model.js';
import type { EngineLink } from '../engine-link.js';
import type { RestApp, Services } from './context.js';
import { ApiError, errorHandler, sendError } from './errors.js';
import type { GatewayReadModels } from '../read-models.js';
import { accountRoutes } from './routes/account-routes.js';
import { adminCatalogRoutes } from './routes/admin-catalog-routes.js';
import { adminRoutes } from './routes/admin-routes.js';
import { adminUserRoutes } from './routes/admin-user-routes.js';
import { adminSystemRoutes } from './routes/admin-system-routes.js';
import { SystemStats } from '../system-stats.js';
import { authRoutes } from './routes/auth-routes.js';
import { catalogRoutes } from './routes/catalog-routes.js';
import { docsRoutes } from './routes/docs-routes.js';
import { opsRoutes } from './routes/ops-routes.js';
import { historyRoutes } from './routes/history-routes.js';
import { LedgerHistory } from '../accounts/ledger-history.js';
import { DisputeStore } from '../accounts/dispute-store.js';
import { DISPUTE_WINDOW_MS_DEFAULT, disputeRoutes } from './routes/dispute-routes.js';
import type { GatewayMetrics } from '../gateway-metrics.js';
import type { Tracer } from '../../../engine/src/io/tracing.js';
import { marketRoutes } from './routes/market-routes.js';
import { oidcRoutes } from './routes/oidc-routes.js';
import { orderRoutes } from './routes/order-routes.js';
import { profileRoutes } from './routes/profile-routes.js';

export interface AppDeps {
  /** Where the ledger of record is (the settlement worker's database); `pool` by default. */
  readonly ledgerPool?: pg.Pool;
  /** Request durations and /metrics; without them /metrics answers 404. */
  readonly metrics?: GatewayMetrics;
  /** /readyz: resolves with the names of the failing checks (empty when ready). */
  readonly readiness?: () => Promise<string[]>;
  readonly link: EngineLink;
  readonly readModels: GatewayReadModels;
  readonly pool: pg.Pool;
  /**
   * A read replica for the read-heavy public catalog and the wallet history (they may lag the
   * primary a little); `pool` when absent. Everything that writes, or reads to decide, uses `pool`.
   */
  readonly readPool?: pg.Pool;
  /** The rate limits' store; without it they are counted per process. */
  readonly redis?: Redis;
  readonly accessTokens: AccessTokenOptions;
  readonly refreshTokenTtlSeconds?: number;
  /** Without Stripe keys the gateway offers POST /v1/deposits/test. */
  readonly testDeposits: boolean;
  readonly adminEmails?: readonly string[];
  readonly rateLimit?: {
    /** Requests per window per client IP on every route. */
    readonly perWindow?: number;
    /** Requests per window per client IP on register, login, refresh and logout. */
    readonly authPerWindow?: number;
    readonly windowMs?: number;
    /** Redis key prefix (one per deployment; tests use one per app). */
    readonly nameSpace?: string;
  };
  readonly bodyLimitBytes?: number;
  readonly logger?: Logger;
  /** Behind a load balancer: trust X-Forwarded-For for the client IP. */
  readonly trustProxy?: boolean | string;
  /** The catalog service (shared with the scheduler); one over `pool` and `link` by default. */
  readonly catalog?: CatalogService;
  /** An OpenID Connect provider to log in through (GET /v1/auth/oidc/authorize and /callback). */
  readonly oidc?: OidcOptions;
  /** Total deposits an account may make until it is verified (KYC); none when unset or null. */
  readonly kycDepositCapMinor?: number | null;
  /** The catalog's clock (event starts, "starting within"); Date.now by default. */
  readonly now?: () => number;
  /** The engine's positions, for the admin risk views (in process only); without it they answer 404. */
  readonly positions?: PositionSource;
  /** Traces order requests (a span each, its traceparent sent with the command); off when absent. */
  readonly tracer?: Tracer | null;
  /** For the admin system panel: the engine's applied seq, where this process can read it. */
  readonly engineSeq?: () => number;
  /** For the admin system panel: commands the in-process ledger has not posted yet. */
  readonly settlementLag?: () => number;
  /** For the admin system panel: journaled commands this process's partition or replicas have not applied yet. */
  readonly journalLag?: () => number;
  /** How long after a market's result an account may dispute it; 72 hours by default. */
  readonly disputeWindowMs?: number;
  /** The payments routes (/v1/payments/*, /v1/stripe/webhook), where this process hosts them (embedded-payments.ts). */
  readonly payments?: FastifyPluginAsync;
}

export async function buildApp(deps: AppDeps): Promise<RestApp> {
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    bodyLimit: deps.bodyLimitBytes ?? 16 * 1024,
    trustProxy: deps.trustProxy ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as RestApp;

  const windowMs = deps.rateLimit?.windowMs ?? 60_000;
  const audit = new AuditLog(deps.pool);
  const risk = deps.positions === undefined ? null : new RiskReadModel(deps.link, deps.positions);
  const profiles = new ProfileService(deps.pool, deps.link, audit, deps.kycDepositCapMinor ?? null, deps.now);
  const services: Services = {
    link: deps.link,
    readModels: deps.readModels,
    users: new UserStore(deps.pool),
    refreshTokens: new RefreshTokenStore(deps.pool, deps.refreshTokenTtlSeconds ?? 30 * 24 * 3600),
    refreshTokenTtlSeconds: deps.refreshTokenTtlSeconds ?? 30 * 24 * 3600,
    apiKeys: new ApiKeyStore(deps.pool),
    audit,
    idempotency: new IdempotencyStore(deps.pool),
    accessTokens: new AccessTokens(deps.accessTokens),
    adminEmails: new Set((deps.adminEmails ?? []).map((email) => email.toLowerCase())),
    limits: { authPerWindow: deps.rateLimit?.authPerWindow ?? 10, windowMs },
    catalog: deps.catalog ?? new CatalogService(deps.pool, deps.link, deps.readModels.markets, audit, deps.now, deps.readPool ?? deps.pool),
    risk,
    profiles,
    platformConfig: new PlatformConfigStore(deps.pool),
    userAdmin: new UserAdmin(deps.pool, deps.link, audit, profiles, deps.now),
    tracer: deps.tracer ?? null,
  };
  app.addHook('onClose', async () => risk?.stop());
  const system = new SystemStats({
    link: deps.link,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    ...(deps.engineSeq === undefined ? {} : { engineSeq: deps.engineSeq }),
    ...(deps.settlementLag === undefined ? {} : { settlementLag: deps.settlementLag }),
    ...(deps.journalLag === undefined ? {} : { journalLag: deps.journalLag }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  app.addHook('onClose', async () => system.stop());

  // JSON only: a text/plain body is 415, not a string for the schema to refuse.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('principal', null);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_request, reply) => sendError(reply, new ApiError('not_found')));

  await app.register(helmet, { global: true });
  await app.register(rateLimit, {
    global: true,
    max: deps.rateLimit?.perWindow ?? 600,
    timeWindow: windowMs,
    ...(deps.redis === undefined ? {} : { redis: deps.redis }),
    nameSpace: deps.rateLimit?.nameSpace ?? 'gateway-rate-limit-',
    skipOnError: true,
    errorResponseBuilder: (_request, context) => new ApiError('rate_limited', `Too many requests; retry in ${context.after}`),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Play ChaCha REST API',
        version: '1',
        description: 'Amounts are integers of minor units; prices are ticks of the market\'s ladder. The WebSocket API is described at /docs/websocket.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  authRoutes(app, services);
  if (deps.oidc !== undefined) oidcRoutes(app, services, new OidcLogin(deps.pool, deps.oidc));
  marketRoutes(app, services);
  accountRoutes(app, services, deps.testDeposits);
  orderRoutes(app, services);
  adminRoutes(app, services);
  catalogRoutes(app, services);
  profileRoutes(app, services);
  adminCatalogRoutes(app, services);
  adminUserRoutes(app, services);
  const disputeWindowMs = deps.disputeWindowMs ?? DISPUTE_WINDOW_MS_DEFAULT;
  historyRoutes(app, services, new LedgerHistory(deps.ledgerPool ?? deps.readPool ?? deps.pool), disputeWindowMs);
  disputeRoutes(app, services, new DisputeStore(deps.pool, deps.ledgerPool ?? deps.pool), {
    windowMs: disputeWindowMs,
    now: deps.now ?? Date.now,
  });
  adminSystemRoutes(app, services, system);
  if (deps.payments !== undefined) await app.register(deps.payments);
  docsRoutes(app);
  opsRoutes(app, { ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }), ...(deps.readiness === undefined ? {} : { readiness: deps.readiness }) });
  await app.ready();
  return app;
}
