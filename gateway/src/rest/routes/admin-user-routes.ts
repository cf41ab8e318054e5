// Admin user management and the platform configuration: search users, read one user (profile,
// KYC, limits, status, money, recent audit entries), suspend, freeze or reactivate its trading,
// set its trading limits; read the configuration in force and its history, and publish a new
// version. Every route needs the admin role (403 otherwise); every change needs a reason and is
// audited. KYC decisions are POST /v1/admin/users/:accountId/kyc (profile-routes.ts).

import Type from 'typebox';
import { BALANCE_MINOR_MAX, COMMISSION_BPS_MAX, isId, STAKE_MINOR_MAX, type AccountId, type AccountStatus } from '@playchacha/protocol';
import { ROLES } from '../../accounts/roles.js';
import { FEATURE_FLAGS, type PlatformConfigVersion } from '../../admin/platform-config.js';
import type { UserSummary } from '../../admin/user-admin.js';
import { principalOf, requireAuth, requireRole, SECURED, type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { Account, AuditList, IdParam, literals, NoQuery, object, ReasonBody, UserParams } from '../schemas.js';
import { profileView, ProfileBody } from './profile-routes.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Reason = ReasonBody.properties.reason;
const DateTime = Type.String({ format: 'date-time' });
const KycStatus = literals(['unverified', 'pending', 'verified', 'rejected']);
const Status = literals(['active', 'suspended', 'frozen']);
/** The largest open-order cap an admin may set. */
const OPEN_ORDERS_MAX = 100_000;

const TradingLimitsFields = {
  stakeMinorMax: Nullable(Type.Integer({ minimum: 1, maximum: STAKE_MINOR_MAX, description: 'Largest stake of one order, minor units; null: no limit.' })),
  marketExposureMinorMax: Nullable(Type.Integer({ minimum: 0, maximum: BALANCE_MINOR_MAX, description: 'Largest exposure on one market, minor units; null: no limit.' })),
  openOrdersMax: Nullable(Type.Integer({ minimum: 1, maximum: OPEN_ORDERS_MAX, description: 'Most open orders at once; null: the exchange default.' })),
};
const TradingLimits = object(TradingLimitsFields);

const UserSummaryBody = object({
  accountId: Type.Integer(),
  email: Type.String(),
  displayName: Nullable(Type.String()),
  role: literals(ROLES),
  status: Status,
  statusChangedAt: Nullable(DateTime),
  kycStatus: KycStatus,
  tradingLimits: TradingLimits,
  lossLimit: Nullable(object({ amountMinor: Type.Integer(), period: Type.String() })),
  selfExcludedUntil: Nullable(DateTime),
  createdAt: DateTime,
});

const UserSearchQuery = object({
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'An email or display-name substring (case-insensitive), or an account id.' })),
  status: Type.Optional(Status),
  kyc: Type.Optional(KycStatus),
  role: Type.Optional(literals(ROLES)),
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|100)$', description: '1–100, default 25.' })),
  after: Type.Optional(IdParam),
});
const UserSearchBody = object({
  users: Type.Array(UserSummaryBody),
  nextAfter: Nullable(Type.String({ description: 'Pass as `after` for the next page; null on the last page.' })),
});
const UserDetailBody = object({
  user: UserSummaryBody,
  profile: ProfileBody,
  account: Nullable(Account),
  audit: AuditList,
});
const TradingLimitsBody = object({ ...TradingLimitsFields, reason: Reason });

const FeatureFlags = object({
  registrationOpen: Type.Boolean({ description: FEATURE_FLAGS.registrationOpen.description }),
});
const ConfigValues = {
  defaultCommissionBps: Type.Integer({ minimum: 0, maximum: COMMISSION_BPS_MAX, description: 'Commission of a market created without one, in basis points.' }),
  defaultAccountLimits: TradingLimits,
  featureFlags: FeatureFlags,
};
const ConfigVersionBody = object({
  version: Type.Integer(),
  ...ConfigValues,
  actorAccountId: Nullable(Type.Integer()),
  reason: Type.String(),
  createdAt: DateTime,
});
const ConfigHistoryQuery = object({
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|100)$', description: '1–100, default 20.' })),
  before: Type.Optional(IdParam),
});
const ConfigHistoryBody = object({ versions: Type.Array(ConfigVersionBody) });
const PublishConfigBody = object({ ...ConfigValues, reason: Reason }, 'The whole new version: every value, and why.');

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function userView(user: UserSummary) {
  return {
    accountId: user.accountId,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    status: user.status,
    statusChangedAt: iso(user.statusChangedAtMs),
    kycStatus: user.kycStatus,
    tradingLimits: user.tradingLimits,
    lossLimit: user.lossLimit,
    selfExcludedUntil: iso(user.selfExcludedUntilMs),
    createdAt: new Date(user.createdAtMs).toISOString(),
  };
}

function configView(config: PlatformConfigVersion) {
  return {
    version: config.version,
    defaultCommissionBps: config.defaultCommissionBps,
    defaultAccountLimits: config.defaultAccountLimits,
    featureFlags: config.featureFlags,
    actorAccountId: config.actorAccountId,
    reason: config.reason,
    createdAt: new Date(config.createdAtMs).toISOString(),
  };
}

function accountIdOf(text: string): AccountId {
  const accountId = Number(text);
  if (!isId(accountId)) throw new ApiError('user_not_found');
  return accountId;
}

export function adminUserRoutes(app: RestApp, services: Services): void {
  const adminOnly = [requireAuth(services), requireRole('admin')];
  const errors = errorResponses(400, 401, 403, 404, 409, 422, 503);

  app.get('/v1/admin/users', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'Search users by email or name substring or account id, optionally by status, KYC state and role; in account id order, paged',
      security: SECURED,
      querystring: UserSearchQuery,
      response: { 200: UserSearchBody, ...errors },
    },
  }, async (request) => {
    const query = request.query;
    const limit = query.limit === undefined ? 25 : Number(query.limit);
    const users = await services.userAdmin.search({
      limit,
      ...(query.q === undefined ? {} : { query: query.q }),
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.kyc === undefined ? {} : { kycStatus: query.kyc }),
      ...(query.role === undefined ? {} : { role: query.role }),
      ...(query.after === undefined ? {} : { afterAccountId: Number(query.after) }),
    });
    const last = users[users.length - 1];
    return { users: users.map(userView), nextAfter: users.length === limit && last !== undefined ? String(last.accountId) : null };
  });

  app.get('/v1/admin/users/:accountId', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'One user: status, role, trading limits, profile with KYC and responsible-gambling limits, balance and exposure, and the newest audit entries about it',
      security: SECURED,
      params: UserParams,
      querystring: NoQuery,
      response: { 200: UserDetailBody, ...errors },
    },
  }, async (request) => {
    const accountId = accountIdOf(request.params.accountId);
    const user = await services.userAdmin.user(accountId);
    const money = services.readModels.accounts.get(accountId);
    return {
      user: userView(user),
      profile: profileView(await services.profiles.get(accountId)),
      account: money === undefined ? null : { accountId, balanceMinor: money.balanceMinor, exposureMinor: money.exposureMinor, availableMinor: money.availableMinor },
      audit: { entries: await services.userAdmin.recentAudit(accountId, 20) },
    };
  });

  const statusRoute = (path: string, status: AccountStatus, summary: string) =>
    app.post(`/v1/admin/users/:accountId/${path}`, {
      preValidation: adminOnly,
      schema: { tags: ['admin'], summary, security: SECURED, params: UserParams, body: ReasonBody, response: { 200: UserSummaryBody, ...errors } },
    }, async (request) => {
      const accountId = accountIdOf(request.params.accountId);
      return userView(await services.userAdmin.setStatus(accountId, status, principalOf(request).accountId, request.body.reason));
    });
  statusRoute('suspend', 'suspended', 'Suspend a user\'s trading: new orders and replaces are refused (account_suspended); cancels work and open orders stay');
  statusRoute('freeze', 'frozen', 'Freeze a user\'s account: its open orders are cancelled; orders and withdrawals are refused (account_frozen); deposits still credit');
  statusRoute('reactivate', 'active', 'Reactivate a suspended or frozen user: trading and withdrawals are allowed again');

  app.put('/v1/admin/users/:accountId/limits', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'Set a user\'s trading limits (largest stake, largest exposure per market, open-order cap), enforced by the engine on every order',
      security: SECURED,
      params: UserParams,
      body: TradingLimitsBody,
      response: { 200: UserSummaryBody, ...errors },
    },
  }, async (request) => {
    const accountId = accountIdOf(request.params.accountId);
    const { reason, ...limits } = request.body;
    return userView(await services.userAdmin.setTradingLimits(accountId, limits, principalOf(request).accountId, reason));
  });

  app.get('/v1/admin/config', {
    preValidation: adminOnly,
    schema: { tags: ['admin'], summary: 'The platform configuration in force', security: SECURED, querystring: NoQuery, response: { 200: ConfigVersionBody, ...errors } },
  }, async () => configView(await services.platformConfig.current()));

  app.get('/v1/admin/config/history', {
    preValidation: adminOnly,
    schema: { tags: ['admin'], summary: 'Every version of the platform configuration, newest first', security: SECURED, querystring: ConfigHistoryQuery, response: { 200: ConfigHistoryBody, ...errors } },
  }, async (request) => {
    const versions = await services.platformConfig.history({
      limit: request.query.limit === undefined ? 20 : Number(request.query.limit),
      ...(request.query.before === undefined ? {} : { beforeVersion: Number(request.query.before) }),
    });
    return { versions: versions.map(configView) };
  });

  app.put('/v1/admin/config', {
    preValidation: adminOnly,
    schema: {
      tags: ['admin'],
      summary: 'Publish a new version of the platform configuration (default commission, default account limits, feature flags); it applies at once',
      security: SECURED,
      body: PublishConfigBody,
      response: { 200: ConfigVersionBody, ...errors },
    },
  }, async (request) => {
    const { reason, ...values } = request.body;
    const actorAccountId = principalOf(request).accountId;
    const before = await services.platformConfig.current();
    const published = await services.platformConfig.publish(values, actorAccountId, reason);
    await services.audit.record({
      actorAccountId,
      action: 'SetPlatformConfig',
      target: 'platform:config',
      reason,
      details: { version: published.version, from: configView(before), to: values },
      outcome: 'ok',
    });
    return configView(published);
  });
}
