// TypeBox schemas of the REST API: request bodies are strict (no unknown fields, no string to
// number conversion, a maximum on every amount), every response is declared (undeclared fields
// are never serialised). Path and query numbers are digit strings checked by pattern.

import Type, { type Static, type TSchema } from 'typebox';
import {
  BET_DELAY_MS_MAX,
  DEAD_HEAT_DENOMINATOR_MAX,
  REASON_LENGTH_MAX,
  ID_MAX,
  PRICE_X100_MAX,
  RUNNERS_PER_MARKET_MAX,
  STAKE_MINOR_MAX,
  TRANSFER_MINOR_MAX,
  COMMISSION_BPS_MAX,
  BALANCE_MINOR_MAX,
  CLOSE_REASONS,
  REJECT_CODES,
} from '@playchacha/protocol';
import { ROLES } from '../accounts/roles.js';

const strict = { additionalProperties: false } as const;

export function literals<const T extends string[]>(values: readonly [...T]) {
  return Type.Enum<T>(values);
}

export function object<P extends Record<string, TSchema>>(properties: P, description?: string) {
  return Type.Object(properties, { ...strict, ...(description === undefined ? {} : { description }) });
}

// ----- Fields -----------------------------------------------------------------------------------

export const IdParam = Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'A positive integer id, as digits.' });
export const EntityId = Type.Integer({ minimum: 1, maximum: ID_MAX });
const Minor = Type.Integer({ minimum: 0, maximum: BALANCE_MINOR_MAX, description: 'Minor units (pence, cents).' });
/** A balance, below zero while the account owes what a resettlement clawed back. */
const BalanceMinor = Type.Integer({ maximum: BALANCE_MINOR_MAX, description: 'Minor units; below zero while the account owes money after a resettlement.' });
const StakeMinor = Type.Integer({ minimum: 1, maximum: STAKE_MINOR_MAX, description: 'The backer\'s stake in minor units.' });
const RunnerIndex = Type.Integer({ minimum: 0, maximum: RUNNERS_PER_MARKET_MAX - 1 });
const PriceTicks = Type.Integer({ minimum: 0, maximum: PRICE_X100_MAX - 101, description: 'A tick of the market\'s ladder (0 = 1.01 on the standard ladder).' });
const Side = literals(['back', 'lay']);
export const ClientOrderId = Type.String({ minLength: 1, maxLength: 32, pattern: '^[\\x21-\\x7E]+$' });
export const IdempotencyKey = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7E]+$' });
/** Headers of a route that moves money (other headers are allowed). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7E]+$', description: 'Required: 1–128 visible ASCII characters; reusing it with the same body returns the first response.' }),
});
const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
const Password = Type.String({ minLength: 12, maxLength: 256, description: 'At least 12 characters.' });
const Role = literals(ROLES);
const CloseReason = literals(Object.keys(CLOSE_REASONS) as Array<keyof typeof CLOSE_REASONS>);
const RejectCode = literals(Object.keys(REJECT_CODES) as Array<keyof typeof REJECT_CODES>);
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

// ----- Auth -------------------------------------------------------------------------------------

export const Credentials = object({ email: Email, password: Password });
export const RefreshBody = object({ refreshToken: Type.String({ minLength: 1, maxLength: 128 }) });
export const RegisteredUser = object({ accountId: EntityId, email: Type.String(), role: Role });
export const TokenPair = object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresInSeconds: Type.Integer(),
  refreshToken: Type.String({ description: 'Single use: each refresh returns a new one. Using one twice revokes the login.' }),
  refreshExpiresInSeconds: Type.Integer(),
  accountId: EntityId,
  role: Role,
});
export const ApiKeyBody = object({ label: Type.Optional(Type.String({ maxLength: 64 })) });
export const CreatedApiKey = object({
  apiKeyId: Type.String({ format: 'uuid' }),
  apiKey: Type.String({ description: 'Shown once; only its hash is stored. Send it as X-Api-Key.' }),
  keyPrefix: Type.String(),
  label: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export const ApiKeyIdParams = object({ apiKeyId: Type.String({ format: 'uuid' }) });

// ----- Markets and account ------------------------------------------------------------------------

const Level = object({ priceTicks: Type.Integer(), priceX100: Type.Integer({ description: 'Decimal odds × 100.' }), totalMinor: Minor });
export const MarketSummary = object({
  marketId: EntityId,
  status: literals(['open', 'suspended', 'closed', 'settled', 'voided']),
  inPlay: Type.Boolean(),
  betDelayMs: Type.Integer(),
  runnerCount: Type.Integer(),
  ladderId: Type.String(),
  seq: Type.Integer({ description: 'The market\'s sequence number as of this answer.' }),
  runners: Type.Array(
    object({
      runnerIndex: RunnerIndex,
      back: Type.Array(Level, { description: 'Resting back orders (available to lay against), best (lowest) first, top 3.' }),
      lay: Type.Array(Level, { description: 'Resting lay orders (available to back against), best (highest) first, top 3.' }),
      lastPriceTicks: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'The price of the runner\'s last match; null before its first.' }),
      matchedMinor: Type.Integer({ minimum: 0, description: 'Matched on the runner (backer\'s stake).' }),
    }),
  ),
  matchedMinor: Type.Integer({ minimum: 0, description: 'Matched on the market (backer\'s stake), as counted by this gateway\'s read model.' }),
});
export const MarketList = object({ markets: Type.Array(MarketSummary) });
/** For routes that take no query parameters: any is 400. */
export const NoQuery = object({});
export const MarketParams = object({ marketId: IdParam });
export const Account = object({ accountId: EntityId, balanceMinor: BalanceMinor, exposureMinor: Minor, availableMinor: BalanceMinor });

// ----- Orders ------------------------------------------------------------------------------------

export const OrderState = object({
  orderId: EntityId,
  clientOrderId: Nullable(Type.String()),
  marketId: EntityId,
  runnerIndex: RunnerIndex,
  side: Side,
  priceTicks: PriceTicks,
  sizeMinor: Minor,
  remainingMinor: Minor,
  matchedMinor: Minor,
  cancelledMinor: Minor,
  averagePriceX100: Nullable(Type.Number()),
  volumeAheadMinor: Nullable(Minor),
  delayed: Type.Boolean(),
  persistence: Nullable(literals(['lapse', 'persist'])),
  timeInForce: Nullable(literals(['gtc', 'fok', 'ioc'])),
  closeReason: Nullable(CloseReason),
});
export const OrderList = object({ open: Type.Array(OrderState), recentlyClosed: Type.Array(OrderState) });
export const OrderQuery = object({ marketId: Type.Optional(IdParam) });
export const OrderParams = object({ orderId: IdParam });

export const PlaceOrderBody = object({
  clientOrderId: Type.Optional(ClientOrderId),
  marketId: EntityId,
  runnerIndex: RunnerIndex,
  side: Side,
  priceTicks: PriceTicks,
  stakeMinor: StakeMinor,
  persistence: Type.Optional(literals(['lapse', 'persist'])),
  timeInForce: Type.Optional(literals(['gtc', 'fok', 'ioc'])),
  minFillMinor: Type.Optional(StakeMinor),
  postOnly: Type.Optional(Type.Boolean()),
  selfTrade: Type.Optional(literals(['cancel_newest', 'cancel_oldest', 'cancel_both'])),
});
export const PlacedOrder = object({
  status: literals(['accepted', 'duplicate']),
  orderId: Nullable(EntityId),
  clientOrderId: ClientOrderId,
  matchedMinor: Type.Optional(Minor),
  remainingMinor: Type.Optional(Minor),
  closeReason: Type.Optional(CloseReason),
  delayed: Type.Optional(Type.Boolean()),
  code: Type.Optional(Nullable(RejectCode)),
});
export const CancelledOrder = object({
  status: literals(['cancelled']),
  orderId: EntityId,
  marketId: EntityId,
  matchedMinor: Minor,
  cancelledMinor: Minor,
});

// ----- Money and admin ----------------------------------------------------------------------------

export const TestDepositBody = object({ amountMinor: Type.Integer({ minimum: 1, maximum: TRANSFER_MINOR_MAX }) });
export const TestDeposit = object({ transferId: Type.String(), amountMinor: Minor, balanceMinor: BalanceMinor, availableMinor: BalanceMinor, test: Type.Literal(true) });

export const CreateMarketBody = object({
  marketId: EntityId,
  runnerCount: Type.Integer({ minimum: 1, maximum: RUNNERS_PER_MARKET_MAX }),
  ladderId: Type.Optional(literals(['standard', 'finest'])),
  minStakeMinor: Type.Optional(StakeMinor),
  commissionBps: Type.Optional(Type.Integer({ minimum: 0, maximum: COMMISSION_BPS_MAX })),
  numberOfWinners: Type.Optional(Type.Integer({ minimum: 1, maximum: RUNNERS_PER_MARKET_MAX })),
  persistenceAllowed: Type.Optional(Type.Boolean()),
});
const Reason = Type.String({ minLength: 1, maxLength: REASON_LENGTH_MAX, description: 'Why: kept in the audit log.' });
export const RoleBody = object({ role: Role, reason: Reason });
export const ReasonBody = object({ reason: Reason });
export const BetDelayBody = object({ betDelayMs: Type.Integer({ minimum: 0, maximum: BET_DELAY_MS_MAX }), reason: Reason });
export const SettleBody = object({
  winners: Type.Array(
    object({
      runnerIndex: RunnerIndex,
      factorNumerator: Type.Optional(Type.Integer({ minimum: 1, maximum: DEAD_HEAT_DENOMINATOR_MAX })),
      factorDenominator: Type.Optional(Type.Integer({ minimum: 1, maximum: DEAD_HEAT_DENOMINATOR_MAX })),
    }),
    { minItems: 1, maxItems: RUNNERS_PER_MARKET_MAX },
  ),
  reason: Reason,
});
export const AuditQuery = object({
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|1[0-9]{2}|200)$', description: '1–200, default 50.' })),
  before: Type.Optional(IdParam),
  target: Type.Optional(Type.String({ maxLength: 64, description: 'For example market:7 or account:1000001.' })),
  actor: Type.Optional(IdParam),
});
export const AuditList = object({
  entries: Type.Array(
    object({
      auditId: EntityId,
      actorAccountId: EntityId,
      action: Type.String(),
      target: Type.String(),
      reason: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
      outcome: Type.String({ description: '"ok" or the code of the refusal.' }),
      createdAt: Type.String({ format: 'date-time' }),
    }),
  ),
});
export const UserParams = object({ accountId: IdParam });

export type PlaceOrderBodyType = Static<typeof PlaceOrderBody>;
export type MarketSummaryType = Static<typeof MarketSummary>;
