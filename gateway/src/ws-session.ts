// One WebSocket connection: who it acts for, what it subscribed to, and the one way to write to
// it. Every write is corked, checks what send() returned, and marks pushed messages `lagging`
// when the connection's send queue is behind. A connection whose queue passes the limit is closed
// (4002) and so leaves the fan-out; the others are not slowed by it.

import type { WebSocket } from 'uWebSockets.js';
import type { AccountId, MarketId, RunnerIndex } from '@playchacha/protocol';
import type { LevelChange } from './market-book.js';
import type { MarketDelta } from './market-read-model.js';
import { TokenBucket } from './token-bucket.js';
import { encodeMessage, type WireEncoding } from './wire-codec.js';
import { WS_CLOSE_CODES } from './ws-errors.js';
import type { MessageIdValue, RunnerTraded, ServerMessage } from './ws-messages.js';

export interface SessionUserData {
  readonly session: Session;
}

export interface SessionLimits {
  readonly maxBackpressureBytes: number;
  readonly laggingBytes: number;
}

export interface MarketSubscription {
  readonly marketId: MarketId;
  readonly conflateMs: number;
  /** Deltas merged while waiting for the conflation timer. */
  pending: {
    prevSeq: number;
    seq: number;
    levels: Map<string, LevelChange>;
    /** The latest trades per runner; matchedMinor null while nothing matched. */
    traded: Map<RunnerIndex, RunnerTraded>;
    matchedMinor: number | null;
    delta: MarketDelta;
    merged: number;
  } | null;
  timer: NodeJS.Timeout | null;
}

/** Messages that may carry the lagging flag (pushed, as opposed to direct replies). */
const PUSHED = new Set<ServerMessage['type']>(['market_snapshot', 'market_resumed', 'market_delta', 'orders_snapshot', 'order_updates', 'heartbeat']);

export class Session {
  ws: WebSocket<SessionUserData> | null = null;
  closed = false;
  ordersSubscribed = false;
  /** Set when the server closed this connection because its send queue passed the limit. */
  droppedForBackpressure = false;
  readonly markets = new Map<MarketId, MarketSubscription>();
  /** Events followed by subscribe_event: its id, the conflation asked for, the markets subscribed through it. */
  readonly events = new Map<number, { readonly id: MessageIdValue; readonly conflateMs: number | undefined; readonly marketIds: Set<MarketId> }>();
  lastSentAtMs: number;
  expiryTimer: NodeJS.Timeout | null = null;
  readonly bucket: TokenBucket;

  constructor(
    readonly sessionId: string,
    /** null on a connection without credentials (market data only). */
    readonly accountId: AccountId | null,
    readonly encoding: WireEncoding,
    public cancelOnDisconnectMs: number,
    readonly expiresAtMs: number | null,
    private readonly limits: SessionLimits,
    rate: { messagesPerSecond: number; messageBurst: number },
    nowMs: number,
    /** The peer's address, for the per-address cap on anonymous connections. */
    readonly remoteAddress = '',
  ) {
    this.bucket = new TokenBucket(rate.messagesPerSecond, rate.messageBurst, nowMs);
    this.lastSentAtMs = nowMs;
  }

  /** Sends one message; false when the connection is gone or was dropped for backpressure. */
  send(message: ServerMessage, nowMs: number, encoded?: EncodedCache): boolean {
    const ws = this.ws;
    if (ws === null || this.closed) return false;
    const buffered = ws.getBufferedAmount();
    if (buffered > this.limits.maxBackpressureBytes) {
      this.droppedForBackpressure = true;
      this.end(WS_CLOSE_CODES.backpressure, 'backpressure');
      return false;
    }
    const lagging = buffered > this.limits.laggingBytes && PUSHED.has(message.type);
    const data = encoded !== undefined ? encoded.get(this.encoding, lagging) : encodeMessage(lagging ? { ...message, lagging: true } : message, this.encoding);
    let status = 0;
    ws.cork(() => {
      status = ws.send(data, this.encoding === 'msgpack');
    });
    this.lastSentAtMs = nowMs;
    // 2: dropped at the transport's backpressure limit (closeOnBackpressureLimit closes it too).
    if (status === 2 && !this.closed) {
      this.droppedForBackpressure = true;
      this.end(WS_CLOSE_CODES.backpressure, 'backpressure');
    }
    return !this.closed;
  }

  end(code: number, reason: string): void {
    if (this.closed || this.ws === null) return;
    const ws = this.ws;
    ws.cork(() => ws.end(code, reason));
  }

  clearTimers(): void {
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    for (const subscription of this.markets.values()) if (subscription.timer !== null) clearTimeout(subscription.timer);
  }
}

/** One message encoded at most once per (encoding, lagging) for a fan-out. */
export class EncodedCache {
  private readonly cache = new Map<string, string | Uint8Array>();

  constructor(private readonly message: ServerMessage) {}

  get(encoding: WireEncoding, lagging: boolean): string | Uint8Array {
    const key = `${encoding}:${lagging ? 1 : 0}`;
    let data = this.cache.get(key);
    if (data === undefined) {
      data = encodeMessage(lagging ? { ...this.message, lagging: true } : this.message, encoding);
      this.cache.set(key, data);
    }
    return data;
  }
}
