// The WebSocket API's messages, version 1. Client messages are TypeBox schemas compiled once and
// checked strictly on every decoded frame: no coercion, no unknown fields, a maximum on every
// amount. Server messages are plain types shared with the typed client.

import Type, { type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Validator } from 'typebox/compile';
import {
  BATCH_INSTRUCTIONS_MAX,
  ID_MAX,
  PRICE_X100_MAX,
  RUNNERS_PER_MARKET_MAX,
  STAKE_MINOR_MAX,
  type AccountId,
  type CloseReason,
  type FillId,
  type MarketId,
  type OrderId,
  type Persistence,
  type RejectCode,
  type RunnerIndex,
  type Side,
  type TimeInForce,
} from '@playchacha/protocol';
import type { LevelChange, RunnerLevels } from './market-book.js';
import type { WsErrorCode } from './ws-errors.js';

export const API_VERSION = 'v1';
/** Longest market-data conflation interval a client may ask for. */
export const CONFLATE_MS_MAX = 120_000;
/** Longest cancel-on-disconnect grace period. */
export const CANCEL_ON_DISCONNECT_MS_MAX = 60_000;

// ----- Field schemas ----------------------------------------------------------------------------

const MessageId = Type.Union([
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  Type.String({ minLength: 1, maxLength: 64 }),
]);
const EntityId = Type.Integer({ minimum: 1, maximum: ID_MAX });
const RunnerIndexField = Type.Integer({ minimum: 0, maximum: RUNNERS_PER_MARKET_MAX - 1 });
const SideField = Type.Union([Type.Literal('back'), Type.Literal('lay')]);
/** The finest ladder has PRICE_X100_MAX − 100 ticks; the engine checks the market's own ladder. */
const PriceTicks = Type.Integer({ minimum: 0, maximum: PRICE_X100_MAX - 101 });
const AmountMinor = Type.Integer({ minimum: 1, maximum: STAKE_MINOR_MAX });
const ClientOrderId = Type.String({ minLength: 1, maxLength: 32, pattern: '^[\\x21-\\x7E]+$' });
const SeqField = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

const placeFields = {
  clientOrderId: ClientOrderId,
  marketId: EntityId,
  runnerIndex: RunnerIndexField,
  side: SideField,
  priceTicks: PriceTicks,
  stakeMinor: AmountMinor,
  persistence: Type.Optional(Type.Union([Type.Literal('lapse'), Type.Literal('persist')])),
  timeInForce: Type.Optional(Type.Union([Type.Literal('gtc'), Type.Literal('fok'), Type.Literal('ioc')])),
  minFillMinor: Type.Optional(AmountMinor),
  postOnly: Type.Optional(Type.Boolean()),
  selfTrade: Type.Optional(Type.Union([Type.Literal('cancel_newest'), Type.Literal('cancel_oldest'), Type.Literal('cancel_both')])),
};
const cancelFields = { marketId: EntityId, orderId: EntityId, reduceByMinor: Type.Optional(AmountMinor) };
const replaceFields = { marketId: EntityId, orderId: EntityId, clientOrderId: ClientOrderId, priceTicks: PriceTicks };

const strict = { additionalProperties: false } as const;

function message<T extends string, P extends Record<string, TSchema>>(type: T, fields: P) {
  return Type.Object({ id: MessageId, type: Type.Literal(type), ...fields }, strict);
}

// ----- Client messages ---------------------------------------------------------------------------

export const ClientSchemas = {
  place: message('place', placeFields),
  cancel: message('cancel', cancelFields),
  replace: message('replace', replaceFields),
  batch: message('batch', {
    mode: Type.Union([Type.Literal('all_or_none'), Type.Literal('best_effort')]),
    instructions: Type.Array(
      Type.Union([
        Type.Object({ kind: Type.Literal('place'), ...placeFields }, strict),
        Type.Object({ kind: Type.Literal('cancel'), ...cancelFields }, strict),
        Type.Object({ kind: Type.Literal('replace'), ...replaceFields }, strict),
      ]),
      { minItems: 1, maxItems: BATCH_INSTRUCTIONS_MAX },
    ),
  }),
  mass_cancel: message('mass_cancel', {
    marketId: Type.Optional(EntityId),
    runnerIndex: Type.Optional(RunnerIndexField),
    side: Type.Optional(SideField),
  }),
  subscribe_market: message('subscribe_market', {
    marketId: EntityId,
    fromSeq: Type.Optional(SeqField),
    conflateMs: Type.Optional(Type.Integer({ minimum: 0, maximum: CONFLATE_MS_MAX })),
  }),
  unsubscribe_market: message('unsubscribe_market', { marketId: EntityId }),
  subscribe_event: message('subscribe_event', {
    eventId: EntityId,
    conflateMs: Type.Optional(Type.Integer({ minimum: 0, maximum: CONFLATE_MS_MAX })),
  }),
  unsubscribe_event: message('unsubscribe_event', { eventId: EntityId }),
  subscribe_orders: message('subscribe_orders', {}),
  unsubscribe_orders: message('unsubscribe_orders', {}),
  set_cancel_on_disconnect: message('set_cancel_on_disconnect', {
    graceMs: Type.Integer({ minimum: 0, maximum: CANCEL_ON_DISCONNECT_MS_MAX }),
  }),
  ping: message('ping', {}),
} as const;

type Schemas = typeof ClientSchemas;
export type ClientMessageType = keyof Schemas;
export type ClientMessage = { [K in ClientMessageType]: Static<Schemas[K]> }[ClientMessageType];
export type ClientMessageOf<K extends ClientMessageType> = Static<Schemas[K]>;
export type MessageIdValue = number | string;
export type BatchInstruction = ClientMessageOf<'batch'>['instructions'][number];

const validators = Object.fromEntries(
  Object.entries(ClientSchemas).map(([type, schema]) => [type, Compile(schema)]),
) as { [K in ClientMessageType]: Validator };

/** Fields a client may never set: the server takes them from the session or owns them. */
const FORBIDDEN_FIELDS = new Set(['accountId', 'userId', 'role', 'isAdmin', 'status', 'filled', 'matchedMinor', 'seq', 'timestampMs']);

export type ParseResult =
  | { readonly ok: true; readonly message: ClientMessage }
  | { readonly ok: false; readonly id: MessageIdValue | null; readonly code: WsErrorCode; readonly field?: string; readonly detail: string };

function isMessageId(value: unknown): value is MessageIdValue {
  return (
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
    (typeof value === 'string' && value.length >= 1 && value.length <= 64)
  );
}

/** Checks a decoded frame against its type's schema; never throws. */
export function parseClientMessage(value: unknown): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    return { ok: false, id: null, code: 'not_an_object', detail: 'a message is an object with id and type' };
  }
  const record = value as Record<string, unknown>;
  const rawId = Object.hasOwn(record, 'id') ? record['id'] : undefined;
  if (!isMessageId(rawId)) return { ok: false, id: null, code: 'invalid_id', field: '/id', detail: 'id must be a safe integer ≥ 0 or a string of 1–64 characters' };
  const type = Object.hasOwn(record, 'type') ? record['type'] : undefined;
  if (typeof type !== 'string' || !Object.hasOwn(validators, type)) {
    return { ok: false, id: rawId, code: 'unknown_type', field: '/type', detail: `unknown message type ${JSON.stringify(type)}` };
  }
  const validator = validators[type as ClientMessageType];
  if (validator.Check(value)) return { ok: true, message: value as ClientMessage };
  const forbidden = findForbidden(record);
  if (forbidden !== null) return { ok: false, id: rawId, code: 'forbidden_field', field: forbidden, detail: `${forbidden} is set by the server` };
  const errors = validator.Errors(value);
  const unknown = errors.find((error) => error.keyword === 'additionalProperties' || error.keyword === 'boolean');
  if (unknown !== undefined && unknown.keyword === 'boolean') {
    return { ok: false, id: rawId, code: 'unknown_field', field: unknown.instancePath, detail: `${unknown.instancePath} is not a field of ${type}` };
  }
  const first = errors.find((error) => error.keyword !== 'anyOf' && error.keyword !== 'additionalProperties') ?? errors[0];
  const field = first?.instancePath ?? '';
  if (unknown !== undefined) return { ok: false, id: rawId, code: 'unknown_field', field, detail: `a field not defined by ${type}` };
  return { ok: false, id: rawId, code: 'invalid_field', field, detail: `${field || 'the message'}: ${first?.message ?? 'invalid'}` };
}

function findForbidden(record: Record<string, unknown>): string | null {
  for (const key of Object.keys(record)) if (FORBIDDEN_FIELDS.has(key)) return `/${key}`;
  const instructions = record['instructions'];
  if (Array.isArray(instructions)) {
    for (let i = 0; i < instructions.length && i <= BATCH_INSTRUCTIONS_MAX; i++) {
      const instruction: unknown = instructions[i];
      if (typeof instruction !== 'object' || instruction === null) continue;
      for (const key of Object.keys(instruction)) if (FORBIDDEN_FIELDS.has(key)) return `/instructions/${i}/${key}`;
    }
  }
  return null;
}

// ----- Server messages ---------------------------------------------------------------------------

export type InstructionResult =
  | {
      readonly status: 'accepted';
      readonly kind: 'place' | 'replace';
      readonly orderId: OrderId;
      readonly clientOrderId: string;
      /** For replace: the order it replaced. */
      readonly replacedOrderId?: OrderId;
      /** Matched on arrival, in this command. */
      readonly matchedMinor: number;
      /** Still unmatched after this command (0 when it closed). */
      readonly remainingMinor: number;
      /** Set when the order already closed in this command (fully matched, fok, ioc, post-only…). */
      readonly closeReason?: CloseReason;
      /** Waiting out the in-play bet delay. */
      readonly delayed?: true;
    }
  | {
      /** The order is closed; its final matched and cancelled totals (size = matched + cancelled). */
      readonly status: 'cancelled';
      readonly kind: 'cancel';
      readonly orderId: OrderId;
      readonly matchedMinor: number;
      readonly cancelledMinor: number;
    }
  | {
      /** A partial cancel: the order stays open and keeps its queue place. */
      readonly status: 'reduced';
      readonly kind: 'cancel';
      readonly orderId: OrderId;
      readonly reducedByMinor: number;
      readonly remainingMinor: number;
    }
  | {
      readonly status: 'rejected';
      readonly kind: 'place' | 'cancel' | 'replace';
      readonly code: RejectCode;
      readonly clientOrderId?: string;
      readonly orderId?: OrderId;
    }
  | {
      /** The client order id was used before: the first result, and nothing changed. */
      readonly status: 'duplicate';
      readonly kind: 'place' | 'replace';
      readonly clientOrderId: string;
      readonly orderId: OrderId | null;
      readonly code: RejectCode | null;
    };

export interface OrderState {
  readonly orderId: OrderId;
  /** null for an order placed before this gateway started. */
  readonly clientOrderId: string | null;
  readonly marketId: MarketId;
  readonly runnerIndex: RunnerIndex;
  readonly side: Side;
  readonly priceTicks: number;
  readonly sizeMinor: number;
  readonly remainingMinor: number;
  readonly matchedMinor: number;
  readonly cancelledMinor: number;
  /** Stake-weighted mean of the matched prices as decimal odds × 100 (not an integer in general); null before any match. */
  readonly averagePriceX100: number | null;
  /** Unmatched stake resting ahead of this order at its price; null while delayed or closed. */
  readonly volumeAheadMinor: number | null;
  readonly delayed: boolean;
  readonly persistence: Persistence | null;
  readonly timeInForce: TimeInForce | null;
  /** Set once closed. */
  readonly closeReason: CloseReason | null;
}

export type OrderUpdate =
  | { readonly kind: 'accepted'; readonly order: OrderState }
  | { readonly kind: 'delayed'; readonly orderId: OrderId; readonly marketId: MarketId; readonly releaseAtMs: number }
  | {
      readonly kind: 'matched';
      readonly orderId: OrderId;
      readonly marketId: MarketId;
      readonly fillId: FillId;
      readonly priceTicks: number;
      /** The backer's stake of this fill. */
      readonly stakeMinor: number;
      readonly liabilityMinor: number;
      /** Whether this order was the maker (resting) or the taker in this fill. */
      readonly role: 'maker' | 'taker';
      readonly matchedMinor: number;
      readonly remainingMinor: number;
      readonly averagePriceX100: number;
    }
  | { readonly kind: 'reduced'; readonly orderId: OrderId; readonly marketId: MarketId; readonly reducedByMinor: number; readonly remainingMinor: number }
  | {
      readonly kind: 'closed';
      readonly orderId: OrderId;
      readonly marketId: MarketId;
      readonly reason: CloseReason;
      readonly sizeMinor: number;
      readonly matchedMinor: number;
      readonly cancelledMinor: number;
    }
  | { readonly kind: 'queue'; readonly orderId: OrderId; readonly marketId: MarketId; readonly volumeAheadMinor: number }
  | { readonly kind: 'account'; readonly balanceMinor: number; readonly exposureMinor: number; readonly availableMinor: number };

/** An order closed by a mass cancel, with its final totals (size = matched + cancelled). */
export interface CancelledOrder {
  readonly orderId: OrderId;
  readonly marketId: MarketId;
  readonly matchedMinor: number;
  readonly cancelledMinor: number;
}

export interface MarketHeader {
  readonly marketId: MarketId;
  readonly status: 'open' | 'suspended' | 'closed' | 'settled' | 'voided';
  readonly inPlay: boolean;
  readonly betDelayMs: number;
  readonly runnerCount: number;
}

/** What has traded on a runner: the price of its last match and its total matched (backer's stake). */
export interface RunnerTraded {
  readonly runnerIndex: RunnerIndex;
  /** null before the runner's first match. */
  readonly lastPriceTicks: number | null;
  readonly matchedMinor: number;
}

/** Present and true on a pushed message when the server's send queue for this connection is behind. */
interface Lagging {
  readonly lagging?: true;
}

export type ServerMessage =
  | {
      readonly type: 'hello';
      readonly version: typeof API_VERSION;
      /** null on a connection opened without credentials (market data only). */
      readonly accountId: AccountId | null;
      readonly sessionId: string;
      readonly serverTimeMs: number;
      readonly cancelOnDisconnectMs: number;
      readonly heartbeatMs: number;
      readonly limits: {
        readonly maxPayloadBytes: number;
        readonly messagesPerSecond: number;
        readonly messageBurst: number;
        readonly batchInstructionsMax: number;
        readonly connectionsPerAccountMax: number;
        readonly marketSubscriptionsMax: number;
      };
    }
  | {
      /** Orders cancelled because an earlier connection with cancel-on-disconnect dropped and did not come back within its grace. */
      readonly type: 'cancel_on_disconnect_report';
      readonly disconnectedAtMs: number;
      readonly cancelledAtMs: number;
      readonly orders: readonly CancelledOrder[];
    }
  | { readonly type: 'result'; readonly id: MessageIdValue; readonly results: readonly InstructionResult[] }
  | { readonly type: 'mass_cancel_result'; readonly id: MessageIdValue; readonly code?: RejectCode; readonly orders: readonly CancelledOrder[] }
  | { readonly type: 'error'; readonly id: MessageIdValue | null; readonly code: WsErrorCode; readonly field?: string; readonly message: string }
  | ({
      readonly type: 'market_snapshot';
      /** The id of the subscribe_market message this answers. */
      readonly id: MessageIdValue;
      readonly seq: number;
      readonly runners: readonly RunnerLevels[];
      /** Every runner's last traded price and matched volume. */
      readonly traded: readonly RunnerTraded[];
      /** The market's total matched volume (backer's stake). */
      readonly matchedMinor: number;
      readonly checksum: number;
    } & MarketHeader & Lagging)
  | ({
      readonly type: 'market_resumed';
      readonly id: MessageIdValue;
      readonly marketId: MarketId;
      /** The fromSeq asked for; the deltas that follow continue from it. */
      readonly seq: number;
    } & Lagging)
  | ({
      readonly type: 'market_delta';
      readonly marketId: MarketId;
      /** The seq the previous message of this market carried; apply only if it equals yours. */
      readonly prevSeq: number;
      readonly seq: number;
      readonly levels: readonly LevelChange[];
      /** Present when the market's status, in-play flag or bet delay changed. */
      readonly market?: MarketHeader;
      /** Present when something matched: the runners whose trades changed, with their totals now. */
      readonly traded?: readonly RunnerTraded[];
      /** Present with traded: the market's total matched volume now. */
      readonly matchedMinor?: number;
      readonly checksum: number;
      /** Several engine updates merged by conflateMs. */
      readonly conflated?: true;
      readonly publishTimeMs: number;
    } & Lagging)
  | { readonly type: 'unsubscribed'; readonly id: MessageIdValue; readonly topic: 'orders' | 'market' | 'event'; readonly marketId?: MarketId; readonly eventId?: number }
  | {
      /** Follows the market_snapshot of every market of the event (each with the same id). */
      readonly type: 'event_subscribed';
      readonly id: MessageIdValue;
      readonly eventId: number;
      readonly marketIds: readonly MarketId[];
    }
  | {
      /**
       * A market the catalog added to a subscribed event. subscribed: its market_snapshot came
       * just before; false when it would pass the subscription limit (nothing was subscribed).
       */
      readonly type: 'event_market_added';
      readonly eventId: number;
      readonly marketId: MarketId;
      readonly subscribed: boolean;
    }
  | ({ readonly type: 'orders_snapshot'; readonly id: MessageIdValue; readonly open: readonly OrderState[]; readonly recentlyClosed: readonly OrderState[] } & Lagging)
  | ({ readonly type: 'order_updates'; readonly updates: readonly OrderUpdate[]; readonly publishTimeMs: number } & Lagging)
  | { readonly type: 'cancel_on_disconnect_set'; readonly id: MessageIdValue; readonly graceMs: number }
  | { readonly type: 'pong'; readonly id: MessageIdValue; readonly serverTimeMs: number }
  | ({ readonly type: 'heartbeat'; readonly serverTimeMs: number } & Lagging);

export type ServerMessageType = ServerMessage['type'];
export type ServerMessageOf<K extends ServerMessageType> = Extract<ServerMessage, { type: K }>;
