// The WebSocket API's messages, version 1, as types: what a client sends and what the server
// sends, shared by the gateway (which validates client messages against its own schemas, checked
// at compile time to agree with these), its typed client and the web app. Types only.

import type { LevelChange, RunnerLevels } from './book-checksum.js';
import type { CancelInstruction, Instruction, Persistence, PlaceInstruction, ReplaceInstruction, Side, TimeInForce } from './commands.js';
import type { AccountId, FillId, MarketId, OrderId, RunnerIndex } from './ids.js';
import type { CloseReason, RejectCode } from './reject-codes.js';
import type { WsErrorCode } from './ws-error-codes.js';

export type WsApiVersion = 'v1';

/** A client message's id, echoed by the server's reply. */
export type MessageIdValue = number | string;

// ----- Client messages ---------------------------------------------------------------------------

/** A batch's instructions are the engine's (protocol/src/commands.ts), as are the single ones. */
export type BatchInstruction = Instruction;

/** Each client message type's fields besides id and type. */
export interface ClientMessageBodies {
  readonly place: Omit<PlaceInstruction, 'kind'>;
  readonly cancel: Omit<CancelInstruction, 'kind'>;
  readonly replace: Omit<ReplaceInstruction, 'kind'>;
  readonly batch: { readonly mode: 'all_or_none' | 'best_effort'; readonly instructions: readonly BatchInstruction[] };
  readonly mass_cancel: { readonly marketId?: MarketId; readonly runnerIndex?: RunnerIndex; readonly side?: Side };
  readonly subscribe_market: { readonly marketId: MarketId; readonly fromSeq?: number; readonly conflateMs?: number };
  readonly unsubscribe_market: { readonly marketId: MarketId };
  readonly subscribe_event: { readonly eventId: number; readonly conflateMs?: number };
  readonly unsubscribe_event: { readonly eventId: number };
  readonly subscribe_orders: Record<never, never>;
  readonly unsubscribe_orders: Record<never, never>;
  readonly set_cancel_on_disconnect: { readonly graceMs: number };
  readonly ping: Record<never, never>;
}

export type ClientMessageType = keyof ClientMessageBodies;
export type ClientMessageOf<K extends ClientMessageType> = { readonly id: MessageIdValue; readonly type: K } & ClientMessageBodies[K];
export type ClientMessage = { [K in ClientMessageType]: ClientMessageOf<K> }[ClientMessageType];

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

export type MarketStatus = 'open' | 'suspended' | 'closed' | 'settled' | 'voided';

export interface MarketHeader {
  readonly marketId: MarketId;
  readonly status: MarketStatus;
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
      readonly version: WsApiVersion;
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
