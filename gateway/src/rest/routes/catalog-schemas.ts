// TypeBox schemas of the catalog routes (public browse pages and admin edits) and the risk views.

import Type from 'typebox';
import { BET_DELAY_MS_MAX, COMMISSION_BPS_MAX, DEAD_HEAT_DENOMINATOR_MAX, REASON_LENGTH_MAX, RUNNERS_PER_MARKET_MAX, STAKE_MINOR_MAX } from '@playchacha/protocol';
import { EVENT_STATUSES } from '../../catalog/catalog-store.js';
import { FEED_KEY_LENGTH_MAX, NAME_LENGTH_MAX } from '../../catalog/feed.js';
import { MARKET_TYPES } from '../../catalog/market-types.js';
import { EntityId, IdParam, literals, object } from '../schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Name = Type.String({ minLength: 1, maxLength: NAME_LENGTH_MAX, pattern: '^\\S(?:.*\\S)?$' });
const Reason = Type.String({ minLength: 1, maxLength: REASON_LENGTH_MAX, description: 'Why: kept in the audit log.' });
const Minor = Type.Integer({ minimum: 0, description: 'Minor units (pence, cents).' });
const Goals = Type.Integer({ minimum: 0, maximum: 99 });
const Instant = Type.String({ format: 'date-time', maxLength: 40, description: 'An ISO 8601 instant with a zone, e.g. 2026-11-28T15:00:00Z.' });
const MarketTypeSchema = literals([...MARKET_TYPES]);
const EventStatusSchema = literals([...EVENT_STATUSES]);

// ----- Public -------------------------------------------------------------------------------------

const Level = object({ priceTicks: Type.Integer(), priceX100: Type.Integer({ description: 'Decimal odds × 100.' }), totalMinor: Minor });
const CompetitionRef = object({ competitionId: EntityId, code: Type.String(), name: Type.String(), country: Nullable(Type.String()) });
const SportRef = object({ sportId: Type.String(), name: Type.String() });

export const CatalogMarket = object({
  marketId: EntityId,
  eventId: EntityId,
  marketType: MarketTypeSchema,
  name: Type.String(),
  status: literals(['pending', 'open', 'suspended', 'closed', 'settled', 'voided']),
  inPlay: Type.Boolean(),
  betDelayMs: Type.Integer({ description: 'The delay in play: the engine\'s once in play, the configured one before.' }),
  numberOfWinners: Type.Integer(),
  ladderId: Type.String(),
  minStakeMinor: Minor,
  commissionBps: Type.Integer(),
  persistenceAllowed: Type.Boolean(),
  seq: Nullable(Type.Integer({ description: 'The engine market\'s sequence number as of this answer; null before it exists.' })),
  winners: Nullable(Type.Array(object({ runnerIndex: Type.Integer(), factorNumerator: Type.Integer(), factorDenominator: Type.Integer() }))),
  runners: Type.Array(
    object({
      runnerIndex: Type.Integer(),
      name: Type.String(),
      back: Type.Array(Level, { description: 'Resting back orders (available to lay against), best (lowest) first, top 3.' }),
      lay: Type.Array(Level, { description: 'Resting lay orders (available to back against), best (highest) first, top 3.' }),
    }),
  ),
}, 'A catalog market: the engine market (marketId is the engine\'s) with runner names, its state and the top of its book.');

const EventFields = {
  eventId: EntityId,
  name: Type.String(),
  home: Type.String(),
  away: Type.String(),
  startsAt: Type.String({ format: 'date-time' }),
  status: EventStatusSchema,
  inPlay: Type.Boolean(),
  homeGoals: Nullable(Type.Integer()),
  awayGoals: Nullable(Type.Integer()),
  sport: SportRef,
  competition: CompetitionRef,
};

export const CatalogEventSummary = object({
  ...EventFields,
  marketCount: Type.Integer(),
  matchOdds: Nullable(CatalogMarket),
});
export const CatalogEventDetail = object({ ...EventFields, markets: Type.Array(CatalogMarket) });
export const CatalogMarketDetail = object({
  ...CatalogMarket.properties,
  event: object(EventFields),
});
export const CatalogEventList = object({ events: Type.Array(CatalogEventSummary), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() });
export const CatalogSports = object({
  sports: Type.Array(
    object({
      sportId: Type.String(),
      name: Type.String(),
      eventCount: Type.Integer({ description: 'Events open for betting (scheduled or in play).' }),
      inPlayCount: Type.Integer(),
      competitions: Type.Array(object({ ...CompetitionRef.properties, eventCount: Type.Integer(), inPlayCount: Type.Integer() })),
    }),
  ),
});
export const CatalogEventQuery = object({
  sport: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]{1,32}$' })),
  competition: Type.Optional(IdParam),
  inPlay: Type.Optional(literals(['true', 'false'])),
  startingWithinMinutes: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$', description: '1–99999: events starting within this many minutes (not yet in play unless inPlay=true).' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Search in event, participant and competition names.' })),
  status: Type.Optional(EventStatusSchema),
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|100)$', description: '1–100, default 50.' })),
  offset: Type.Optional(Type.String({ pattern: '^(?:0|[1-9][0-9]{0,4})$', description: '0–99999.' })),
});
export const EventParams = object({ eventId: IdParam });

// ----- Admin --------------------------------------------------------------------------------------

const ParameterFields = {
  betDelayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: BET_DELAY_MS_MAX })),
  commissionBps: Type.Optional(Type.Integer({ minimum: 0, maximum: COMMISSION_BPS_MAX })),
  minStakeMinor: Type.Optional(Type.Integer({ minimum: 1, maximum: STAKE_MINOR_MAX })),
  persistenceAllowed: Type.Optional(Type.Boolean()),
};

export const CreateEventBody = object({
  key: Type.Optional(Type.String({ minLength: 1, maxLength: FEED_KEY_LENGTH_MAX, pattern: '^[\\x20-\\x7E]+$', description: 'The event\'s identity: a repeat with the same key returns the same event and creates nothing. Default: a new key.' })),
  sportId: Type.String({ pattern: '^[a-z0-9_-]{1,32}$' }),
  sportName: Type.Optional(Name),
  competition: object({ code: Name, name: Name, country: Type.Optional(Name) }),
  home: Name,
  away: Name,
  startsAt: Instant,
  markets: Type.Optional(Type.Array(MarketTypeSchema, { minItems: 1, maxItems: MARKET_TYPES.length, uniqueItems: true })),
  ...ParameterFields,
  reason: Reason,
});
export const UpdateEventBody = object({ startsAt: Type.Optional(Instant), home: Type.Optional(Name), away: Type.Optional(Name), reason: Reason });
export const EventResultBody = object({
  status: literals(['finished', 'postponed', 'abandoned']),
  homeGoals: Type.Optional(Goals),
  awayGoals: Type.Optional(Goals),
  reason: Reason,
});
export const AddMarketBody = object({ marketType: MarketTypeSchema, ...ParameterFields, reason: Reason });
export const UpdateMarketBody = object({ ...ParameterFields, reason: Reason });
export const MarketResultBody = object({
  winners: Type.Array(
    object({
      runnerIndex: Type.Integer({ minimum: 0, maximum: RUNNERS_PER_MARKET_MAX - 1 }),
      factorNumerator: Type.Optional(Type.Integer({ minimum: 1, maximum: DEAD_HEAT_DENOMINATOR_MAX })),
      factorDenominator: Type.Optional(Type.Integer({ minimum: 1, maximum: DEAD_HEAT_DENOMINATOR_MAX })),
    }),
    { minItems: 1, maxItems: RUNNERS_PER_MARKET_MAX },
  ),
  reason: Reason,
});
export const FEED_BODY_BYTES_MAX = 4 * 1024 * 1024;
export const ImportFeedBody = object({
  format: Type.Optional(literals(['json', 'csv'])),
  content: Type.String({ minLength: 1, maxLength: FEED_BODY_BYTES_MAX - 1024, description: 'The feed file\'s text: the JSON format or the football-data CSV layout (gateway/README.md).' }),
  reason: Reason,
});
export const ImportReport = object({
  eventsCreated: Type.Integer(),
  eventsRescheduled: Type.Integer(),
  eventsUnchanged: Type.Integer(),
  marketsCreated: Type.Integer(),
  resultsApplied: Type.Integer(),
  resultsUnchanged: Type.Integer(),
});
export const FeedErrorBody = object({
  error: object({
    code: Type.Literal('feed_invalid'),
    message: Type.String(),
    rows: Type.Array(object({ row: Type.String(), message: Type.String() }), { description: 'Every bad row: `line 12` (CSV), `fixtures[3]` (JSON) or `result <key>`.' }),
  }),
}, 'The feed has bad rows; nothing was imported.');

export const RiskQuery = object({ top: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|100)$', description: '1–100 accounts, default 10.' })) });
const AccountRisk = object({ accountId: Type.Integer(), email: Nullable(Type.String()), exposureMinor: Minor, matchedExposureMinor: Minor });
export const MarketRiskBody = object({
  marketId: EntityId,
  name: Nullable(Type.String({ description: 'The catalog market\'s event and name, if it is a catalog market.' })),
  status: literals(['open', 'suspended', 'closed', 'settled', 'voided']),
  inPlay: Type.Boolean(),
  numberOfWinners: Type.Integer(),
  accounts: Type.Integer({ description: 'Accounts with money at risk on the market.' }),
  totalExposureMinor: Minor,
  runners: Type.Array(object({
    runnerIndex: Type.Integer(),
    name: Nullable(Type.String()),
    netBackedStakeMinor: Minor,
    netLaidLiabilityMinor: Minor,
    unmatchedBackStakeMinor: Minor,
    unmatchedLayLiabilityMinor: Minor,
  })),
  outcomes: Type.Array(object({
    winners: Type.Array(Type.Integer()),
    usersWinMinor: Minor,
    usersLoseMinor: Minor,
    worstCaseLoseMinor: Minor,
  }), { description: 'Each possible result (set of winners): what the users with a matched gain would win and those with a loss would lose; worst case counts open orders as matched where they hurt.' }),
  topAccounts: Type.Array(AccountRisk),
});
export const RiskOverview = object({
  markets: Type.Array(object({ marketId: EntityId, name: Nullable(Type.String()), accounts: Type.Integer(), totalExposureMinor: Minor })),
  topAccounts: Type.Array(object({ accountId: Type.Integer(), email: Nullable(Type.String()), exposureMinor: Minor, markets: Type.Integer() })),
});
