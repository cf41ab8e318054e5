// The WebSocket API's messages, version 1. Client messages are TypeBox schemas compiled once and
// checked strictly on every decoded frame: no coercion, no unknown fields, a maximum on every
// amount. The message types are the protocol package's (protocol/src/ws-messages.ts), shared with
// the typed client and the web app; the types the schemas describe are checked at compile time to
// be the same.

import Type, { type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Validator } from 'typebox/compile';
import {
  BATCH_INSTRUCTIONS_MAX,
  ID_MAX,
  PRICE_X100_MAX,
  RUNNERS_PER_MARKET_MAX,
  STAKE_MINOR_MAX,
  type ClientMessage,
  type ClientMessageOf,
  type ClientMessageType,
  type MessageIdValue,
  type WsApiVersion,
} from '@playchacha/protocol';
import type { WsErrorCode } from './ws-errors.js';

export type {
  BatchInstruction,
  CancelledOrder,
  ClientMessage,
  ClientMessageOf,
  ClientMessageType,
  InstructionResult,
  MarketHeader,
  MarketStatus,
  MessageIdValue,
  OrderState,
  OrderUpdate,
  RunnerTraded,
  ServerMessage,
  ServerMessageOf,
  ServerMessageType,
} from '@playchacha/protocol';

export const API_VERSION: WsApiVersion = 'v1';
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

/** A type with every object and array made readonly, so that only fields and their types count. */
type Normalised<T> = T extends readonly (infer E)[] ? readonly Normalised<E>[] : T extends object ? { readonly [K in keyof T]: Normalised<T[K]> } : T;
type Same<A, B> = (<T>() => T extends Normalised<A> ? 1 : 2) extends (<T>() => T extends Normalised<B> ? 1 : 2) ? true : false;
/** The client message types whose schema and protocol type differ (never, or the build fails). */
type SchemaDrift =
  | Exclude<keyof Schemas, ClientMessageType>
  | Exclude<ClientMessageType, keyof Schemas>
  | { [K in keyof Schemas & ClientMessageType]: Same<Static<Schemas[K]>, ClientMessageOf<K>> extends true ? never : K }[keyof Schemas & ClientMessageType];
type AssertTrue<T extends true> = T;
type _ClientSchemasMatchProtocol = AssertTrue<[SchemaDrift] extends [never] ? true : SchemaDrift>;

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
