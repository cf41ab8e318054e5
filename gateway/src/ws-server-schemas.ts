// JSON Schemas (TypeBox) of every message the WebSocket server sends, for the AsyncAPI document.
// The tests validate every message a real server sends against these, so they cannot drift from
// the types in protocol/src/ws-messages.ts.

import Type, { type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { CLOSE_REASONS, ID_MAX, REJECT_CODES, RUNNERS_PER_MARKET_MAX } from '@playchacha/protocol';
import { WS_ERROR_CODES } from './ws-errors.js';
import { API_VERSION, type ServerMessageType } from './ws-messages.js';

const strict = { additionalProperties: false } as const;

function literals(values: readonly string[], description?: string) {
  return Type.Union(values.map((value) => Type.Literal(value)), description === undefined ? {} : { description });
}

const MessageId = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1, maxLength: 64 })], {
  description: 'The id of the client message this answers.',
});
const EntityId = Type.Integer({ minimum: 1, maximum: ID_MAX });
const Minor = Type.Integer({ description: 'An amount in minor units (integer).' });
const NonNegativeMinor = Type.Integer({ minimum: 0, description: 'An amount in minor units (integer).' });
const RunnerIndex = Type.Integer({ minimum: 0, maximum: RUNNERS_PER_MARKET_MAX - 1 });
const PriceTicks = Type.Integer({ minimum: 0, description: 'A tick of the market\'s ladder.' });
const Side = literals(['back', 'lay']);
const TimeMs = Type.Integer({ minimum: 0, description: 'Milliseconds since the Unix epoch.' });
const Seq = Type.Integer({ minimum: 0 });
const RejectCode = literals(Object.keys(REJECT_CODES), 'An engine reject code (see the reference, §7.1).');
const CloseReason = literals(Object.keys(CLOSE_REASONS), 'Why an order closed (see the reference, §7.2).');
const Lagging = Type.Optional(Type.Literal(true, { description: 'Present when the server\'s send queue for this connection is behind.' }));
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Level = Type.Array(Type.Integer({ minimum: 0 }), { minItems: 2, maxItems: 2, description: '[priceTicks, totalMinor]' });
const LevelChange = Type.Array(Type.Union([Type.Integer({ minimum: 0 }), Side]), {
  minItems: 4,
  maxItems: 4,
  description: '[runnerIndex, side, priceTicks, totalMinor]; totalMinor 0 removes the level.',
});
const RunnerLevels = Type.Object({ runnerIndex: RunnerIndex, back: Type.Array(Level), lay: Type.Array(Level) }, strict);
const RunnerTraded = Type.Object(
  {
    runnerIndex: RunnerIndex,
    lastPriceTicks: Nullable(PriceTicks),
    matchedMinor: Type.Integer({ minimum: 0, description: 'Total matched on the runner, in minor units of the backer\'s stake.' }),
  },
  { ...strict, description: 'What has traded on a runner; lastPriceTicks is null before its first match.' },
);
const MarketStatus = literals(['open', 'suspended', 'closed', 'settled', 'voided']);
const marketHeaderFields = {
  marketId: EntityId,
  status: MarketStatus,
  inPlay: Type.Boolean(),
  betDelayMs: Type.Integer({ minimum: 0 }),
  runnerCount: Type.Integer({ minimum: 1 }),
};
const MarketHeader = Type.Object(marketHeaderFields, strict);
const CancelledOrder = Type.Object({ orderId: EntityId, marketId: EntityId, matchedMinor: NonNegativeMinor, cancelledMinor: NonNegativeMinor }, strict);

const OrderState = Type.Object(
  {
    orderId: EntityId,
    clientOrderId: Nullable(Type.String()),
    marketId: EntityId,
    runnerIndex: RunnerIndex,
    side: Side,
    priceTicks: PriceTicks,
    sizeMinor: NonNegativeMinor,
    remainingMinor: NonNegativeMinor,
    matchedMinor: NonNegativeMinor,
    cancelledMinor: NonNegativeMinor,
    averagePriceX100: Nullable(Type.Number({ description: 'Stake-weighted mean matched price × 100 (not an integer in general).' })),
    volumeAheadMinor: Nullable(NonNegativeMinor),
    delayed: Type.Boolean(),
    persistence: Nullable(literals(['lapse', 'persist'])),
    timeInForce: Nullable(literals(['gtc', 'fok', 'ioc'])),
    closeReason: Nullable(CloseReason),
  },
  strict,
);

const InstructionResult = Type.Union([
  Type.Object(
    {
      status: Type.Literal('accepted'),
      kind: literals(['place', 'replace']),
      orderId: EntityId,
      clientOrderId: Type.String(),
      replacedOrderId: Type.Optional(EntityId),
      matchedMinor: NonNegativeMinor,
      remainingMinor: NonNegativeMinor,
      closeReason: Type.Optional(CloseReason),
      delayed: Type.Optional(Type.Literal(true)),
    },
    strict,
  ),
  Type.Object({ status: Type.Literal('cancelled'), kind: Type.Literal('cancel'), orderId: EntityId, matchedMinor: NonNegativeMinor, cancelledMinor: NonNegativeMinor }, strict),
  Type.Object({ status: Type.Literal('reduced'), kind: Type.Literal('cancel'), orderId: EntityId, reducedByMinor: NonNegativeMinor, remainingMinor: NonNegativeMinor }, strict),
  Type.Object(
    {
      status: Type.Literal('rejected'),
      kind: literals(['place', 'cancel', 'replace']),
      code: RejectCode,
      clientOrderId: Type.Optional(Type.String()),
      orderId: Type.Optional(EntityId),
    },
    strict,
  ),
  Type.Object(
    {
      status: Type.Literal('duplicate'),
      kind: literals(['place', 'replace']),
      clientOrderId: Type.String(),
      orderId: Nullable(EntityId),
      code: Nullable(RejectCode),
    },
    strict,
  ),
]);

const OrderUpdate = Type.Union([
  Type.Object({ kind: Type.Literal('accepted'), order: OrderState }, strict),
  Type.Object({ kind: Type.Literal('delayed'), orderId: EntityId, marketId: EntityId, releaseAtMs: TimeMs }, strict),
  Type.Object(
    {
      kind: Type.Literal('matched'),
      orderId: EntityId,
      marketId: EntityId,
      fillId: EntityId,
      priceTicks: PriceTicks,
      stakeMinor: NonNegativeMinor,
      liabilityMinor: NonNegativeMinor,
      role: literals(['maker', 'taker']),
      matchedMinor: NonNegativeMinor,
      remainingMinor: NonNegativeMinor,
      averagePriceX100: Type.Number(),
    },
    strict,
  ),
  Type.Object({ kind: Type.Literal('reduced'), orderId: EntityId, marketId: EntityId, reducedByMinor: NonNegativeMinor, remainingMinor: NonNegativeMinor }, strict),
  Type.Object(
    {
      kind: Type.Literal('closed'),
      orderId: EntityId,
      marketId: EntityId,
      reason: CloseReason,
      sizeMinor: NonNegativeMinor,
      matchedMinor: NonNegativeMinor,
      cancelledMinor: NonNegativeMinor,
    },
    strict,
  ),
  Type.Object({ kind: Type.Literal('queue'), orderId: EntityId, marketId: EntityId, volumeAheadMinor: NonNegativeMinor }, strict),
  Type.Object({ kind: Type.Literal('account'), balanceMinor: Minor, exposureMinor: Minor, availableMinor: Minor }, strict),
]);

function message(type: ServerMessageType, description: string, fields: Record<string, TSchema>) {
  return Type.Object({ type: Type.Literal(type), ...fields }, { ...strict, description });
}

/** One schema per server message type. */
export const ServerSchemas: Record<ServerMessageType, TSchema> = {
  hello: message('hello', 'The first message on every connection.', {
    version: Type.Literal(API_VERSION),
    accountId: Nullable(EntityId),
    sessionId: Type.String(),
    serverTimeMs: TimeMs,
    cancelOnDisconnectMs: Type.Integer({ minimum: 0 }),
    heartbeatMs: Type.Integer({ minimum: 1 }),
    limits: Type.Object(
      {
        maxPayloadBytes: Type.Integer({ minimum: 1 }),
        messagesPerSecond: Type.Integer({ minimum: 1 }),
        messageBurst: Type.Integer({ minimum: 1 }),
        batchInstructionsMax: Type.Integer({ minimum: 1 }),
        connectionsPerAccountMax: Type.Integer({ minimum: 1 }),
        marketSubscriptionsMax: Type.Integer({ minimum: 1 }),
      },
      strict,
    ),
  }),
  cancel_on_disconnect_report: message('cancel_on_disconnect_report', 'Orders cancelled because an earlier connection with cancel-on-disconnect dropped and did not come back in time.', {
    disconnectedAtMs: TimeMs,
    cancelledAtMs: TimeMs,
    orders: Type.Array(CancelledOrder),
  }),
  result: message('result', 'The engine\'s answer to place, cancel, replace or batch, after the command was durably journaled.', {
    id: MessageId,
    results: Type.Array(InstructionResult),
  }),
  mass_cancel_result: message('mass_cancel_result', 'The orders a mass cancel closed.', {
    id: MessageId,
    code: Type.Optional(RejectCode),
    orders: Type.Array(CancelledOrder),
  }),
  error: message('error', 'A message was refused and changed nothing.', {
    id: Nullable(MessageId),
    code: literals(Object.keys(WS_ERROR_CODES)),
    field: Type.Optional(Type.String({ description: 'A JSON pointer to the offending field.' })),
    message: Type.String(),
  }),
  market_snapshot: message('market_snapshot', 'The full book of a market, answering subscribe_market.', {
    id: MessageId,
    ...marketHeaderFields,
    seq: Seq,
    runners: Type.Array(RunnerLevels),
    traded: Type.Array(RunnerTraded, { description: 'Every runner\'s last traded price and matched volume.' }),
    matchedMinor: Type.Integer({ minimum: 0, description: 'The market\'s total matched volume (backer\'s stake, minor units).' }),
    checksum: Type.Integer({ minimum: 0, description: 'CRC-32 of the top levels (see the reference).' }),
    lagging: Lagging,
  }),
  market_resumed: message('market_resumed', 'Answers subscribe_market with fromSeq: the deltas after that seq follow.', {
    id: MessageId,
    marketId: EntityId,
    seq: Seq,
    lagging: Lagging,
  }),
  market_delta: message('market_delta', 'Changed levels of a market; apply only when prevSeq equals your seq.', {
    marketId: EntityId,
    prevSeq: Seq,
    seq: Seq,
    levels: Type.Array(LevelChange),
    market: Type.Optional(MarketHeader),
    traded: Type.Optional(Type.Array(RunnerTraded, { description: 'Present when something matched: the runners whose trades changed, with their totals now.' })),
    matchedMinor: Type.Optional(Type.Integer({ minimum: 0, description: 'Present with traded: the market\'s total matched volume now.' })),
    checksum: Type.Integer({ minimum: 0 }),
    conflated: Type.Optional(Type.Literal(true)),
    publishTimeMs: TimeMs,
    lagging: Lagging,
  }),
  unsubscribed: message('unsubscribed', 'A subscription ended.', {
    id: MessageId,
    topic: literals(['orders', 'market', 'event']),
    marketId: Type.Optional(EntityId),
    eventId: Type.Optional(EntityId),
  }),
  event_subscribed: message('event_subscribed', 'Answers subscribe_event, after a market_snapshot of each of its markets.', {
    id: MessageId,
    eventId: EntityId,
    marketIds: Type.Array(EntityId),
  }),
  event_market_added: message(
    'event_market_added',
    'A market the catalog added to a subscribed event: subscribed (after its market_snapshot), or not for the subscription limit.',
    { eventId: EntityId, marketId: EntityId, subscribed: Type.Boolean() },
  ),
  orders_snapshot: message('orders_snapshot', 'The account\'s open and recently closed orders, answering subscribe_orders.', {
    id: MessageId,
    open: Type.Array(OrderState),
    recentlyClosed: Type.Array(OrderState),
    lagging: Lagging,
  }),
  order_updates: message('order_updates', 'Changes to the account\'s orders and balance, in engine order.', {
    updates: Type.Array(OrderUpdate),
    publishTimeMs: TimeMs,
    lagging: Lagging,
  }),
  cancel_on_disconnect_set: message('cancel_on_disconnect_set', 'Cancel-on-disconnect for this connection changed.', {
    id: MessageId,
    graceMs: Type.Integer({ minimum: 0 }),
  }),
  pong: message('pong', 'Answers ping.', { id: MessageId, serverTimeMs: TimeMs }),
  heartbeat: message('heartbeat', 'Sent when nothing else was sent for heartbeatMs.', { serverTimeMs: TimeMs, lagging: Lagging }),
};

const validators = new Map(Object.entries(ServerSchemas).map(([type, schema]) => [type, Compile(schema)]));

/** Why a message does not match the schema of its type, or null when it does. */
export function serverMessageProblem(message: unknown): string | null {
  const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
  const validator = typeof type === 'string' ? validators.get(type) : undefined;
  if (validator === undefined) return `unknown message type ${JSON.stringify(type)}`;
  if (validator.Check(message)) return null;
  const first = validator.Errors(message)[0];
  return `${type}${first?.instancePath ?? ''}: ${first?.message ?? 'invalid'}`;
}
