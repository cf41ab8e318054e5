// The gateway process's configuration, from the environment.

import { randomBytes } from 'node:crypto';
import type { PartitionTopologyConfig } from '../../engine/src/core/partition-topology.js';
import { EngineConfigError, envInteger, partitionTopologyFromEnv } from '../../engine/src/io/engine-config.js';

export interface GatewayConfig {
  readonly databaseUrl: string | null;
  /**
   * DATABASE_READ_URL: a read replica of DATABASE_URL for the public catalog and the wallet
   * history; null (unset) reads the primary.
   */
  readonly databaseReadUrl: string | null;
  readonly redisUrl: string | null;
  readonly host: string;
  readonly httpPort: number;
  readonly wsPort: number;
  /** Prometheus /metrics, on a port that is not exposed to the internet. */
  readonly metricsPort: number;
  readonly jwtSecret: Uint8Array;
  /** False when JWT_SECRET was not set and a random one was drawn (tokens die with the process). */
  readonly jwtSecretFromEnv: boolean;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** Without Stripe keys the REST API offers test deposits. */
  readonly stripeConfigured: boolean;
  readonly adminEmails: readonly string[];
  readonly logLevel: string;
  /** REST requests per client per minute, and on the auth routes. */
  readonly restRequestsPerMinute: number;
  readonly authRequestsPerMinute: number;
  /** WebSocket messages per connection per second (token bucket), its burst, and connections per account. */
  readonly wsMessagesPerSecond: number;
  readonly wsMessageBurst: number;
  readonly wsConnectionsPerAccountMax: number;
  /** Connections without credentials (market data only) per remote address; 0 turns them off. */
  readonly wsAnonymousConnectionsPerAddressMax: number;
  /**
   * ENGINE_REMOTE=1: follow engine processes over Redis (REDIS_URL) instead of hosting the
   * partition in this process.
   */
  readonly engineRemote: boolean;
  /**
   * With ENGINE_REMOTE=1: the partitioned engine's topology (RISK_PARTITIONS, MATCHING_PARTITIONS,
   * MARKET_PARTITIONS, as the engine processes were given it), or null for one combined partition.
   */
  readonly engineTopology: PartitionTopologyConfig | null;
  /**
   * TRUST_PROXY: addresses or CIDRs of proxies in front of the REST API (the web server, a load
   * balancer) whose X-Forwarded-For gives the client address for rate limits; unset trusts none.
   */
  readonly trustProxy: string | null;
  /** SETTLEMENT_IN_PROCESS (default 1 on the embedded default): apply the events log to the ledger here. */
  readonly settlementInProcess: boolean;
  /** Total deposits an account may make until it is verified (KYC); null (unset) for no cap. */
  readonly kycDepositCapMinor: number | null;
  /** DISPUTE_WINDOW_HOURS (default 72): how long after a market's result an account may dispute it. */
  readonly disputeWindowHours: number;
  /** An OpenID Connect provider to log in through (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI), or null. */
  readonly oidc: { readonly issuer: string; readonly clientId: string; readonly clientSecret: string; readonly redirectUri: string } | null;
}


function optional(env: NodeJS.ProcessEnv, name: string): string | null {
  const text = env[name];
  return text === undefined || text === '' ? null : text;
}

export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const secretText = optional(env, 'JWT_SECRET');
  if (secretText !== null && Buffer.byteLength(secretText) < 32) throw new Error('JWT_SECRET must be at least 32 bytes');
  return {
    databaseUrl: optional(env, 'DATABASE_URL'),
    databaseReadUrl: optional(env, 'DATABASE_READ_URL'),
    redisUrl: optional(env, 'REDIS_URL'),
    host: env['GATEWAY_HOST'] ?? '127.0.0.1',
    httpPort: envInteger(env, 'GATEWAY_HTTP_PORT', 8080),
    wsPort: envInteger(env, 'GATEWAY_WS_PORT', 8082),
    metricsPort: envInteger(env, 'GATEWAY_METRICS_PORT', 8083),
    jwtSecret: secretText === null ? randomBytes(32) : new TextEncoder().encode(secretText),
    jwtSecretFromEnv: secretText !== null,
    jwtIssuer: env['JWT_ISSUER'] ?? 'playchacha',
    jwtAudience: env['JWT_AUDIENCE'] ?? 'playchacha',
    accessTokenTtlSeconds: envInteger(env, 'ACCESS_TOKEN_TTL_SECONDS', 900),
    refreshTokenTtlSeconds: envInteger(env, 'REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600),
    stripeConfigured: optional(env, 'STRIPE_SECRET_KEY') !== null,
    adminEmails: (env['ADMIN_EMAILS'] ?? '').split(',').map((email) => email.trim()).filter((email) => email !== ''),
    logLevel: env['LOG_LEVEL'] ?? 'info',
    restRequestsPerMinute: envInteger(env, 'REST_REQUESTS_PER_MINUTE', 600),
    authRequestsPerMinute: envInteger(env, 'AUTH_REQUESTS_PER_MINUTE', 10),
    wsMessagesPerSecond: envInteger(env, 'WS_MESSAGES_PER_SECOND', 100),
    wsMessageBurst: envInteger(env, 'WS_MESSAGE_BURST', 200),
    wsConnectionsPerAccountMax: envInteger(env, 'WS_CONNECTIONS_PER_ACCOUNT_MAX', 8),
    wsAnonymousConnectionsPerAddressMax: envInteger(env, 'WS_ANONYMOUS_CONNECTIONS_PER_ADDRESS_MAX', 32),
    engineRemote: (env['ENGINE_REMOTE'] ?? '0') === '1',
    engineTopology: engineTopologyFromEnv(env),
    trustProxy: optional(env, 'TRUST_PROXY'),
    settlementInProcess: (env['SETTLEMENT_IN_PROCESS'] ?? '1') === '1',
    kycDepositCapMinor: optional(env, 'KYC_DEPOSIT_CAP_MINOR') === null ? null : envInteger(env, 'KYC_DEPOSIT_CAP_MINOR', 0),
    disputeWindowHours: envInteger(env, 'DISPUTE_WINDOW_HOURS', 72),
    oidc: oidcFromEnv(env),
  };
}

export const TOPOLOGY_VARIABLES = ['RISK_PARTITIONS', 'MATCHING_PARTITIONS', 'MARKET_PARTITIONS'] as const;

function engineTopologyFromEnv(env: NodeJS.ProcessEnv): PartitionTopologyConfig | null {
  const named = TOPOLOGY_VARIABLES.filter((name) => (env[name] ?? '') !== '');
  if (named.length === 0) return null;
  if ((env['ENGINE_REMOTE'] ?? '0') !== '1') throw new EngineConfigError(`${named.join(', ')} set without ENGINE_REMOTE=1: the gateway follows a partitioned engine over Redis only`);
  return partitionTopologyFromEnv(env, 'a partitioned engine (ENGINE_REMOTE=1)');
}

function oidcFromEnv(env: NodeJS.ProcessEnv): GatewayConfig['oidc'] {
  const issuer = optional(env, 'OIDC_ISSUER');
  if (issuer === null) return null;
  const clientId = optional(env, 'OIDC_CLIENT_ID');
  const clientSecret = optional(env, 'OIDC_CLIENT_SECRET');
  const redirectUri = optional(env, 'OIDC_REDIRECT_URI');
  if (clientId === null || clientSecret === null || redirectUri === null) throw new Error('OIDC_ISSUER needs OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and OIDC_REDIRECT_URI');
  return { issuer, clientId, clientSecret, redirectUri };
}
