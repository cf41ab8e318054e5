// The account's profile and preferences, its KYC documents (metadata), its responsible-gambling
// limits (deposit limit, loss limit, self-exclusion), and the admin's KYC review.

import Type from 'typebox';
import { BALANCE_MINOR_MAX, isId, REASON_LENGTH_MAX, SELF_EXCLUSION_DAYS_MAX } from '@playchacha/protocol';
import type { Profile } from '../../accounts/profiles.js';
import { principalOf, requireAuth, requireRole, SECURED, type RestApp, type Services } from '../context.js';
import { ApiError, errorResponses } from '../errors.js';
import { literals, NoQuery, object, UserParams } from '../schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Period = literals(['day', 'week', 'month']);
const LimitSchema = object({ amountMinor: Type.Integer({ minimum: 1, maximum: BALANCE_MINOR_MAX }), period: Period });
const LossLimitSchema = object({ amountMinor: Type.Integer({ minimum: 0, maximum: BALANCE_MINOR_MAX }), period: Period });
const Pending = object({ limit: Nullable(object({ amountMinor: Type.Integer(), period: Period })), effectiveAt: Type.String({ format: 'date-time' }) });
const KycStatus = literals(['unverified', 'pending', 'verified', 'rejected']);
const DocumentKind = literals(['passport', 'driving_licence', 'national_id', 'proof_of_address']);

export const ProfileBody = object({
  accountId: Type.Integer(),
  email: Type.String(),
  displayName: Nullable(Type.String()),
  country: Nullable(Type.String()),
  dateOfBirth: Nullable(Type.String({ format: 'date' })),
  preferences: object({ oddsFormat: literals(['decimal', 'fractional', 'american']), marketingOptIn: Type.Boolean() }),
  /** Set by an admin: suspended accounts may not place orders; frozen ones neither place orders nor withdraw. */
  tradingStatus: literals(['active', 'suspended', 'frozen']),
  kyc: object({
    status: KycStatus,
    note: Nullable(Type.String()),
    depositTotalMinorMax: Nullable(Type.Integer({ description: 'Total deposits allowed until verified; null: no cap.' })),
    depositsAllowed: Type.Boolean(),
    withdrawalsAllowed: Type.Boolean(),
    documents: Type.Array(object({
      documentId: Type.Integer(),
      kind: DocumentKind,
      fileName: Type.String(),
      contentType: Type.String(),
      sizeBytes: Type.Integer(),
      sha256: Type.String(),
      submittedAt: Type.String({ format: 'date-time' }),
    })),
  }),
  responsibleGambling: object({
    depositLimit: Nullable(object({ amountMinor: Type.Integer(), period: Period })),
    depositLimitPending: Nullable(Pending),
    depositedInWindowMinor: Type.Integer({ description: 'Deposits within the deposit limit\'s window (all time without a limit).' }),
    lossLimit: Nullable(object({ amountMinor: Type.Integer(), period: Period })),
    lossLimitPending: Nullable(Pending),
    selfExcludedUntil: Nullable(Type.String({ format: 'date-time' })),
  }),
});

const PatchProfileBody = object({
  displayName: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64, pattern: '^\\S(?:.*\\S)?$' }))),
  country: Type.Optional(Nullable(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2.' }))),
  dateOfBirth: Type.Optional(Nullable(Type.String({ format: 'date' }))),
  oddsFormat: Type.Optional(literals(['decimal', 'fractional', 'american'])),
  marketingOptIn: Type.Optional(Type.Boolean()),
});
const DocumentBody = object({
  kind: DocumentKind,
  fileName: Type.String({ minLength: 1, maxLength: 128 }),
  contentType: literals(['image/jpeg', 'image/png', 'application/pdf']),
  sizeBytes: Type.Integer({ minimum: 1, maximum: 20 * 1024 * 1024 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'The SHA-256 of the file, hex.' }),
});
const DepositLimitBody = object({ limit: Nullable(LimitSchema) }, 'null removes the limit (after the cooling-off period).');
const LossLimitBody = object({ limit: Nullable(LossLimitSchema) }, 'null removes the limit (after the cooling-off period).');
const SelfExclusionBody = object({ days: Type.Integer({ minimum: 1, maximum: SELF_EXCLUSION_DAYS_MAX }) });
const KycDecisionBody = object({ decision: literals(['verified', 'rejected']), reason: Type.String({ minLength: 1, maxLength: REASON_LENGTH_MAX }) });
const KycQueue = object({ profiles: Type.Array(ProfileBody) });

const iso = (ms: number) => new Date(ms).toISOString();

export function profileView(profile: Profile) {
  const pending = (value: Profile['depositLimitPending']) => (value === null ? null : { limit: value.limit, effectiveAt: iso(value.effectiveAtMs) });
  return {
    accountId: profile.accountId,
    email: profile.email,
    displayName: profile.displayName,
    country: profile.country,
    dateOfBirth: profile.dateOfBirth,
    preferences: { oddsFormat: profile.oddsFormat, marketingOptIn: profile.marketingOptIn },
    tradingStatus: profile.tradingStatus,
    kyc: {
      status: profile.kycStatus,
      note: profile.kycNote,
      ...profile.kycCaps,
      documents: profile.documents.map(({ submittedAtMs, ...document }) => ({ ...document, submittedAt: iso(submittedAtMs) })),
    },
    responsibleGambling: {
      depositLimit: profile.depositLimit,
      depositLimitPending: pending(profile.depositLimitPending),
      depositedInWindowMinor: profile.depositedInWindowMinor,
      lossLimit: profile.lossLimit,
      lossLimitPending: pending(profile.lossLimitPending),
      selfExcludedUntil: profile.selfExcludedUntilMs === null ? null : iso(profile.selfExcludedUntilMs),
    },
  };
}

export function profileRoutes(app: RestApp, services: Services): void {
  const auth = requireAuth(services);
  const errors = errorResponses(400, 401, 403, 404, 409, 422, 503);
  const own = (request: Parameters<typeof principalOf>[0]) => principalOf(request).accountId;

  app.get('/v1/account/profile', {
    preValidation: auth,
    schema: { tags: ['account'], summary: 'The profile, preferences, KYC state and responsible-gambling limits', security: SECURED, querystring: NoQuery, response: { 200: ProfileBody, ...errors } },
  }, async (request) => profileView(await services.profiles.get(own(request))));

  app.patch('/v1/account/profile', {
    preValidation: auth,
    schema: { tags: ['account'], summary: 'Change the profile and preferences', security: SECURED, body: PatchProfileBody, response: { 200: ProfileBody, ...errors } },
  }, async (request) => profileView(await services.profiles.update(own(request), request.body)));

  app.post('/v1/account/kyc/documents', {
    preValidation: auth,
    schema: {
      tags: ['account'],
      summary: 'Submit an identity document (its metadata); the account awaits review',
      security: SECURED,
      body: DocumentBody,
      response: { 201: ProfileBody, ...errors },
    },
  }, async (request, reply) => reply.code(201).send(profileView(await services.profiles.submitDocument(own(request), request.body))));

  app.put('/v1/account/limits/deposit', {
    preValidation: auth,
    schema: {
      tags: ['account'],
      summary: 'Set the deposit limit per rolling day, week or month: a lower one applies at once, a higher one (or none) after 24 hours',
      security: SECURED,
      body: DepositLimitBody,
      response: { 200: ProfileBody, ...errors },
    },
  }, async (request) => profileView(await services.profiles.setDepositLimit(own(request), request.body.limit)));

  app.put('/v1/account/limits/loss', {
    preValidation: auth,
    schema: {
      tags: ['account'],
      summary: 'Set the loss limit per period, enforced by the engine on every order: a lower one applies at once, a higher one (or none) after 24 hours',
      security: SECURED,
      body: LossLimitBody,
      response: { 200: ProfileBody, ...errors },
    },
  }, async (request) => profileView(await services.profiles.setLossLimit(own(request), request.body.limit)));

  app.post('/v1/account/self-exclusion', {
    preValidation: auth,
    schema: {
      tags: ['account'],
      summary: 'Exclude the account for a number of days: open orders are cancelled, deposits and any order adding risk are refused; it cannot be shortened',
      security: SECURED,
      body: SelfExclusionBody,
      response: { 200: ProfileBody, ...errors },
    },
  }, async (request) => profileView(await services.profiles.selfExclude(own(request), request.body.days)));

  const admin = [auth, requireRole('admin')];

  app.get('/v1/admin/kyc', {
    preValidation: admin,
    schema: { tags: ['admin'], summary: 'Accounts awaiting a KYC review, oldest first', security: SECURED, querystring: NoQuery, response: { 200: KycQueue, ...errors } },
  }, async () => ({ profiles: (await services.profiles.pendingReviews(100)).map(profileView) }));

  app.get('/v1/admin/users/:accountId/profile', {
    preValidation: admin,
    schema: { tags: ['admin'], summary: 'Any account\'s profile, KYC state and limits', security: SECURED, params: UserParams, querystring: NoQuery, response: { 200: ProfileBody, ...errors } },
  }, async (request) => {
    const accountId = Number(request.params.accountId);
    if (!isId(accountId)) throw new ApiError('user_not_found');
    return profileView(await services.profiles.get(accountId));
  });

  app.post('/v1/admin/users/:accountId/kyc', {
    preValidation: admin,
    schema: { tags: ['admin'], summary: 'Decide a pending KYC review: verified or rejected, with the reason (audited)', security: SECURED, params: UserParams, body: KycDecisionBody, response: { 200: ProfileBody, ...errors } },
  }, async (request) => {
    const accountId = Number(request.params.accountId);
    if (!isId(accountId)) throw new ApiError('user_not_found');
    return profileView(await services.profiles.review(accountId, request.body.decision, principalOf(request).accountId, request.body.reason));
  });
}
