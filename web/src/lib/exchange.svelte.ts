// The browser's one WebSocket to the gateway: live books of the markets on screen (snapshot +
// deltas, seq chain and checksum checked, resume from the last seq after a reconnect) and, when
// logged in, the private order stream and live wallet figures. State the UI reads is published at
// most once per animation frame, however fast deltas arrive. A book is shown as live only while
// the connection is up, its seq chain is unbroken and the feed is neither lagging nor silent.

import {
  LocalMarket,
  WS_CLOSE_CODES,
  type ClientMessage,
  type InstructionResult,
  type MarketHeader,
  type OrderState,
  type OrderUpdate,
  type RunnerLevels,
  type RunnerTraded,
  type ServerMessage,
} from '@playchacha/protocol';
import type { AccountMoney } from './types';

export type FeedState = 'idle' | 'connecting' | 'live' | 'lagging' | 'disconnected';

/** What the market page renders: header, best three levels per side, what traded, and whether it is live. */
export interface MarketView {
  readonly header: MarketHeader;
  readonly seq: number;
  readonly runners: readonly RunnerLevels[];
  /** Each runner's last traded price and matched volume, by runner index. */
  readonly traded: readonly RunnerTraded[];
  /** The market's total matched volume. */
  readonly matchedMinor: number;
}

export interface Fill {
  readonly fillId: number;
  readonly stakeMinor: number;
  readonly liabilityMinor: number;
  readonly priceTicks: number;
}

const DEPTH = 3;
const REQUEST_TIMEOUT_MS = 10_000;

/** A client message as sent: the id is added on sending. */
type Outgoing = ClientMessage extends infer M ? (M extends ClientMessage ? Omit<M, 'id'> : never) : never;

/** A request that got no usable answer: not connected, a protocol error, or no reply in time. */
export class RequestFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
const RECONNECT_MS_MIN = 250;
const RECONNECT_MS_MAX = 5_000;

export class MarketFeed {
  /** The last published view; null before the first snapshot. */
  view: MarketView | null = $state(null);
  /** True while the local book follows the stream without a gap. */
  synced = $state(false);
  error: string | null = $state(null);
  /** The market as last applied; null before the first snapshot and after a checksum mismatch. */
  market: LocalMarket | null = null;
  /** Every level of one runner, for the full-depth ladder; published with the view. */
  depth: RunnerLevels | null = $state(null);
  depthRunner: number | null = null;
  watchers = 0;

  constructor(readonly marketId: number) {}
}

export class Exchange {
  state: FeedState = $state('idle');
  /** The server said it is behind sending to us, or we heard nothing for too long. */
  lagging = $state(false);
  account: AccountMoney | null = $state(null);
  /** Open and recently closed orders of the account, by order id (published per frame). */
  orders: OrderState[] = $state([]);
  /** Fills seen on the order stream since connecting, by order id. */
  fills: ReadonlyMap<number, readonly Fill[]> = $state(new Map());
  /** Bumps whenever the order stream changes anything (for pages that recompute on it). */
  ordersVersion = $state(0);

  private wsUrl: string | null = null;
  private token: (() => string | null) | null = null;
  private accountId: number | null = null;
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly subscriptions = new Map<number, number>();
  private readonly feeds = new Map<number, MarketFeed>();
  private readonly orderMap = new Map<number, OrderState>();
  private readonly fillMap = new Map<number, Fill[]>();
  private reconnectMs = RECONNECT_MS_MIN;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private lastMessageAtMs = 0;
  private heartbeatMs = 5_000;
  private serverLagging = false;
  private silent = false;
  private frame: number | null = null;
  private readonly dirtyFeeds = new Set<MarketFeed>();
  private ordersDirty = false;
  private accountDirty: AccountMoney | null = null;
  private onTokenExpired: (() => Promise<unknown>) | null = null;
  private readonly pending = new Map<number, { resolve: (results: readonly InstructionResult[]) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> }>();

  /** Where to connect; `tokenOf` reads the current access token (null = market data only). */
  configure(options: { wsUrl: string; accountId: number | null; token: () => string | null; onTokenExpired: () => Promise<unknown> }): void {
    const changed = options.wsUrl !== this.wsUrl || options.accountId !== this.accountId;
    this.wsUrl = options.wsUrl;
    this.token = options.token;
    this.onTokenExpired = options.onTokenExpired;
    if (!changed) return;
    this.accountId = options.accountId;
    this.orderMap.clear();
    this.fillMap.clear();
    this.ordersDirty = true;
    this.accountDirty = null;
    this.account = null;
    this.reconnect(0);
  }

  /** Follows a market while the returned function is not called. */
  watch(marketId: number): { feed: MarketFeed; release: () => void } {
    let feed = this.feeds.get(marketId);
    if (feed === undefined) {
      feed = new MarketFeed(marketId);
      this.feeds.set(marketId, feed);
      if (this.socket?.readyState === WebSocket.OPEN && this.state !== 'connecting') this.subscribe(feed);
    }
    feed.watchers++;
    const watched = feed;
    let released = false;
    return {
      feed,
      release: () => {
        if (released) return;
        released = true;
        watched.watchers--;
        if (watched.watchers > 0) return;
        this.feeds.delete(marketId);
        if (this.socket?.readyState === WebSocket.OPEN) this.send({ type: 'unsubscribe_market', marketId });
      },
    };
  }

  /**
   * Reduces an open order by an amount (it keeps its place in the queue; a reduction of at least
   * the remainder cancels it). Sent once: a reduce has no idempotency key, so it is never retried.
   */
  async reduce(options: { readonly marketId: number; readonly orderId: number; readonly reduceByMinor: number }): Promise<InstructionResult> {
    return this.instruction({ type: 'cancel', ...options });
  }

  /** Moves an open order's unmatched remainder to a new price; `clientOrderId` makes a retry safe. */
  async replace(options: { readonly marketId: number; readonly orderId: number; readonly priceTicks: number; readonly clientOrderId: string }): Promise<InstructionResult> {
    return this.instruction({ type: 'replace', ...options });
  }

  private instruction(message: Outgoing): Promise<InstructionResult> {
    if (this.socket === null || this.socket.readyState !== WebSocket.OPEN || this.accountId === null || this.state === 'connecting') {
      return Promise.reject(new RequestFailure('not_connected', 'Not connected to the exchange; try again in a moment.'));
    }
    const id = this.send(message);
    return new Promise<readonly InstructionResult[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestFailure('timeout', 'No answer from the exchange yet: check your bets before trying again.'));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
    }).then((results) => {
      const [first] = results;
      if (first === undefined) throw new RequestFailure('no_result', 'The exchange answered without a result.');
      return first;
    });
  }

  private failPending(code: string, message: string): void {
    for (const [id, request] of this.pending) {
      clearTimeout(request.timer);
      request.reject(new RequestFailure(code, message));
      this.pending.delete(id);
    }
  }

  /** Publishes one runner's full depth with every frame (null: none). */
  showDepth(feed: MarketFeed, runnerIndex: number | null): void {
    feed.depthRunner = runnerIndex;
    if (runnerIndex === null) feed.depth = null;
    this.markDirty(feed);
  }

  /** Closes the connection for a while, as a network drop would (used by the feed's own tests). */
  dropConnection(): void {
    this.socket?.close(4000, 'dropped');
  }

  private reconnect(afterMs: number): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    const old = this.socket;
    this.socket = null;
    if (old !== null) {
      old.onclose = null;
      old.onmessage = null;
      old.close(1000, 'reconnecting');
      this.failPending('closed', 'The connection was replaced before the exchange answered: check your bets before trying again.');
    }
    this.markAllUnsynced();
    this.reconnectTimer = setTimeout(() => this.open(), afterMs);
  }

  private open(): void {
    this.reconnectTimer = null;
    if (this.wsUrl === null) return;
    const token = this.accountId === null ? null : (this.token?.() ?? null);
    const url = new URL(this.wsUrl);
    if (token !== null) url.searchParams.set('access_token', token);
    this.state = 'connecting';
    let socket: WebSocket;
    try {
      socket = new WebSocket(url.toString());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      this.lastMessageAtMs = Date.now();
      this.handle(JSON.parse(event.data) as ServerMessage);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.state = 'disconnected';
      this.markAllUnsynced();
      this.failPending('closed', 'The connection dropped before the exchange answered: check your bets before trying again.');
      if (event.code === WS_CLOSE_CODES.tokenExpired && this.onTokenExpired !== null) {
        void this.onTokenExpired().finally(() => this.reconnect(0));
        return;
      }
      this.scheduleReconnect();
    };
    this.startWatchdog();
  }

  private scheduleReconnect(): void {
    const delayMs = this.reconnectMs;
    this.reconnectMs = Math.min(RECONNECT_MS_MAX, this.reconnectMs * 2);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.open(), delayMs);
  }

  private startWatchdog(): void {
    if (this.watchdog !== null) return;
    this.watchdog = setInterval(() => {
      if (this.socket === null || this.state === 'connecting') return;
      const silentNow = Date.now() - this.lastMessageAtMs > this.heartbeatMs * 2 + 1_000;
      if (silentNow !== this.silent) {
        this.silent = silentNow;
        this.updateLagging();
      }
    }, 500);
  }

  private updateLagging(): void {
    this.lagging = this.serverLagging || this.silent;
    if (this.state === 'live' || this.state === 'lagging') this.state = this.lagging ? 'lagging' : 'live';
  }

  private send(message: Outgoing): number {
    const id = this.nextId++;
    this.socket?.send(JSON.stringify({ id, ...message }));
    return id;
  }

  private subscribe(feed: MarketFeed, fromSeq?: number): void {
    feed.synced = false;
    const id = this.send({ type: 'subscribe_market', marketId: feed.marketId, ...(fromSeq === undefined ? {} : { fromSeq }) });
    this.subscriptions.set(id, feed.marketId);
  }

  private markAllUnsynced(): void {
    for (const feed of this.feeds.values()) feed.synced = false;
  }

  private handle(message: ServerMessage): void {
    if ('lagging' in message || message.type === 'heartbeat' || message.type === 'market_delta' || message.type === 'order_updates') {
      const serverLagging = 'lagging' in message && message.lagging === true;
      if (serverLagging !== this.serverLagging || this.silent) {
        this.serverLagging = serverLagging;
        this.silent = false;
        this.updateLagging();
      }
    } else if (this.silent) {
      this.silent = false;
      this.updateLagging();
    }
    switch (message.type) {
      case 'hello':
        this.heartbeatMs = message.heartbeatMs;
        this.reconnectMs = RECONNECT_MS_MIN;
        this.serverLagging = false;
        this.silent = false;
        this.lagging = false;
        this.state = 'live';
        for (const feed of this.feeds.values()) this.subscribe(feed, feed.market?.seq);
        if (message.accountId !== null) this.send({ type: 'subscribe_orders' });
        return;
      case 'market_snapshot': {
        const feed = this.feeds.get(message.marketId);
        if (typeof message.id === 'number') this.subscriptions.delete(message.id);
        if (feed === undefined) return;
        feed.market = LocalMarket.fromSnapshot(message);
        feed.error = null;
        feed.synced = true;
        this.markDirty(feed);
        return;
      }
      case 'market_resumed': {
        const feed = this.feeds.get(message.marketId);
        if (typeof message.id === 'number') this.subscriptions.delete(message.id);
        if (feed === undefined || feed.market?.seq !== message.seq) {
          if (feed !== undefined) this.subscribe(feed);
          return;
        }
        feed.synced = true;
        this.markDirty(feed);
        return;
      }
      case 'market_delta': {
        const feed = this.feeds.get(message.marketId);
        if (feed === undefined || feed.market === null || !feed.synced) return;
        switch (feed.market.applyDelta(message)) {
          case 'stale':
            return;
          case 'gap':
            // Resume from the last seq we applied; until then the book is not live.
            this.subscribe(feed, feed.market.seq);
            break;
          case 'checksum_mismatch':
            // Our book is wrong: start again from a fresh snapshot.
            feed.market = null;
            this.subscribe(feed);
            break;
          case 'applied':
            break;
        }
        this.markDirty(feed);
        return;
      }
      case 'orders_snapshot':
        this.orderMap.clear();
        for (const order of [...message.recentlyClosed, ...message.open]) this.orderMap.set(order.orderId, order);
        this.ordersDirty = true;
        this.scheduleFrame();
        return;
      case 'order_updates':
        for (const update of message.updates) this.applyOrderUpdate(update);
        this.scheduleFrame();
        return;
      case 'result': {
        const request = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
        if (request === undefined) return;
        this.pending.delete(message.id as number);
        clearTimeout(request.timer);
        request.resolve(message.results);
        return;
      }
      case 'error': {
        const request = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
        if (request !== undefined) {
          this.pending.delete(message.id as number);
          clearTimeout(request.timer);
          request.reject(new RequestFailure(message.code, message.message));
          return;
        }
        const marketId = typeof message.id === 'number' ? this.subscriptions.get(message.id) : undefined;
        if (marketId === undefined) return;
        this.subscriptions.delete(message.id as number);
        const feed = this.feeds.get(marketId);
        if (feed !== undefined) feed.error = message.code === 'unknown_market' ? 'No such market.' : message.message;
        return;
      }
      default:
        return;
    }
  }

  private applyOrderUpdate(update: OrderUpdate): void {
    switch (update.kind) {
      case 'account':
        this.accountDirty = { balanceMinor: update.balanceMinor, exposureMinor: update.exposureMinor, availableMinor: update.availableMinor };
        return;
      case 'accepted':
        this.orderMap.set(update.order.orderId, update.order);
        break;
      case 'matched': {
        const order = this.orderMap.get(update.orderId);
        const fills = this.fillMap.get(update.orderId) ?? [];
        fills.push({ fillId: update.fillId, stakeMinor: update.stakeMinor, liabilityMinor: update.liabilityMinor, priceTicks: update.priceTicks });
        this.fillMap.set(update.orderId, fills);
        if (order !== undefined) {
          this.orderMap.set(update.orderId, { ...order, matchedMinor: update.matchedMinor, remainingMinor: update.remainingMinor, averagePriceX100: update.averagePriceX100 });
        }
        break;
      }
      case 'reduced': {
        const order = this.orderMap.get(update.orderId);
        if (order !== undefined) this.orderMap.set(update.orderId, { ...order, remainingMinor: update.remainingMinor, cancelledMinor: order.cancelledMinor + update.reducedByMinor });
        break;
      }
      case 'closed': {
        const order = this.orderMap.get(update.orderId);
        if (order !== undefined) {
          this.orderMap.set(update.orderId, {
            ...order,
            closeReason: update.reason,
            remainingMinor: 0,
            matchedMinor: update.matchedMinor,
            cancelledMinor: update.cancelledMinor,
            volumeAheadMinor: null,
            delayed: false,
          });
        }
        break;
      }
      case 'delayed': {
        const order = this.orderMap.get(update.orderId);
        if (order !== undefined) this.orderMap.set(update.orderId, { ...order, delayed: true });
        break;
      }
      case 'queue': {
        const order = this.orderMap.get(update.orderId);
        if (order !== undefined) this.orderMap.set(update.orderId, { ...order, volumeAheadMinor: update.volumeAheadMinor });
        break;
      }
      default:
        return;
    }
    this.ordersDirty = true;
  }

  private markDirty(feed: MarketFeed): void {
    this.dirtyFeeds.add(feed);
    this.scheduleFrame();
  }

  private scheduleFrame(): void {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => this.flush());
  }

  /** Publishes everything that changed since the last frame, once. */
  private flush(): void {
    this.frame = null;
    for (const feed of this.dirtyFeeds) {
      const market = feed.market;
      if (market === null) continue;
      feed.view = { header: market.header, seq: market.seq, runners: market.book.runners(DEPTH), traded: [...market.traded], matchedMinor: market.matchedMinor };
      if (feed.depthRunner !== null) {
        feed.depth = { runnerIndex: feed.depthRunner, back: market.book.side(feed.depthRunner, 'back'), lay: market.book.side(feed.depthRunner, 'lay') };
      }
    }
    this.dirtyFeeds.clear();
    if (this.accountDirty !== null) {
      this.account = this.accountDirty;
      this.accountDirty = null;
    }
    if (this.ordersDirty) {
      this.ordersDirty = false;
      this.orders = [...this.orderMap.values()].sort((a, b) => b.orderId - a.orderId);
      this.fills = new Map([...this.fillMap].map(([orderId, fills]) => [orderId, [...fills]]));
      this.ordersVersion++;
    }
  }
}

/** The app's one connection. */
export const exchange = new Exchange();
