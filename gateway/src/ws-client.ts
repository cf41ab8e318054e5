// A typed client for the WebSocket API (v1). It runs in Node (pass the `ws` package's WebSocket)
// and in the browser (the global WebSocket). Requests return promises of their replies; market
// feeds keep a local book, check every delta's seq chain and checksum, and resynchronise by
// themselves (resume from the last seq, or a fresh snapshot) when either fails.

import { decode, encode } from '@msgpack/msgpack';
import {
  LocalMarket,
  MarketBook,
  type BatchInstruction,
  type ClientMessageOf,
  type ClientMessageType,
  type MarketHeader,
  type MarketId,
  type MessageIdValue,
  type OrderUpdate,
  type RunnerTraded,
  type ServerMessage,
  type ServerMessageOf,
  type ServerMessageType,
  type WsErrorCode,
} from '@playchacha/protocol';

/** The part of the WebSocket interface this client uses (the browser's and the `ws` package's). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketFactory = new (url: string) => WebSocketLike;

export interface ClientOptions {
  /** e.g. ws://127.0.0.1:8080/v1/ws */
  readonly url: string;
  readonly accessToken?: string;
  readonly apiKey?: string;
  readonly encoding?: 'json' | 'msgpack';
  /** Opt in to cancel-on-disconnect with this grace period. */
  readonly cancelOnDisconnectMs?: number;
  /** Defaults to globalThis.WebSocket. */
  readonly WebSocket?: WebSocketFactory;
  /** How long a request waits for its reply. */
  readonly requestTimeoutMs?: number;
}

export class WsRequestError extends Error {
  override name = 'WsRequestError';
  constructor(
    readonly code: WsErrorCode | 'timeout' | 'closed',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

type Body<K extends ClientMessageType> = Omit<ClientMessageOf<K>, 'id' | 'type'>;
type Listener<K extends ServerMessageType> = (message: ServerMessageOf<K>) => void;

interface Pending {
  resolve(message: ServerMessage): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class WsClient {
  hello!: ServerMessageOf<'hello'>;
  private nextId = 1;
  private readonly pending = new Map<MessageIdValue, Pending>();
  private readonly listeners = new Map<ServerMessageType, Set<(message: ServerMessage) => void>>();
  private readonly feeds = new Map<MarketId, MarketFeed>();
  private closeListeners: Array<(code: number, reason: string) => void> = [];
  private readonly encoding: 'json' | 'msgpack';
  /** Set once the connection has closed: requests then fail at once instead of timing out. */
  private closedWith: WsRequestError | null = null;

  private constructor(
    private readonly socket: WebSocketLike,
    options: ClientOptions,
  ) {
    this.encoding = options.encoding ?? 'json';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  private readonly requestTimeoutMs: number;

  static connect(options: ClientOptions): Promise<WsClient> {
    const Factory = options.WebSocket ?? (globalThis as unknown as { WebSocket: WebSocketFactory }).WebSocket;
    const query = new URLSearchParams();
    if (options.accessToken !== undefined) query.set('access_token', options.accessToken);
    if (options.apiKey !== undefined) query.set('api_key', options.apiKey);
    if (options.encoding !== undefined) query.set('encoding', options.encoding);
    if (options.cancelOnDisconnectMs !== undefined) query.set('cancelOnDisconnectMs', String(options.cancelOnDisconnectMs));
    const socket = new Factory(`${options.url}?${query.toString()}`);
    socket.binaryType = 'arraybuffer';
    const client = new WsClient(socket, options);
    return new Promise((resolve, reject) => {
      let opened = false;
      client.once('hello', (hello) => {
        client.hello = hello;
        opened = true;
        resolve(client);
      });
      socket.onmessage = (event) => client.receive(event.data);
      socket.onerror = () => {
        if (!opened) reject(new WsRequestError('closed', 'the connection failed (refused, or the upgrade was rejected)'));
      };
      socket.onclose = (event) => {
        client.closedWith = new WsRequestError('closed', `connection closed (${event.code} ${event.reason})`);
        client.failAll(client.closedWith);
        for (const listener of client.closeListeners) listener(event.code, event.reason);
        if (!opened) reject(new WsRequestError('closed', `closed before hello (${event.code})`));
      };
    });
  }

  // ----- Requests -------------------------------------------------------------------------------

  place(body: Body<'place'>): Promise<ServerMessageOf<'result'>> {
    return this.request('place', body) as Promise<ServerMessageOf<'result'>>;
  }

  cancel(body: Body<'cancel'>): Promise<ServerMessageOf<'result'>> {
    return this.request('cancel', body) as Promise<ServerMessageOf<'result'>>;
  }

  replace(body: Body<'replace'>): Promise<ServerMessageOf<'result'>> {
    return this.request('replace', body) as Promise<ServerMessageOf<'result'>>;
  }

  batch(mode: 'all_or_none' | 'best_effort', instructions: readonly BatchInstruction[]): Promise<ServerMessageOf<'result'>> {
    return this.request('batch', { mode, instructions: [...instructions] }) as Promise<ServerMessageOf<'result'>>;
  }

  massCancel(body: Body<'mass_cancel'> = {}): Promise<ServerMessageOf<'mass_cancel_result'>> {
    return this.request('mass_cancel', body) as Promise<ServerMessageOf<'mass_cancel_result'>>;
  }

  subscribeOrders(): Promise<ServerMessageOf<'orders_snapshot'>> {
    return this.request('subscribe_orders', {}) as Promise<ServerMessageOf<'orders_snapshot'>>;
  }

  setCancelOnDisconnect(graceMs: number): Promise<ServerMessageOf<'cancel_on_disconnect_set'>> {
    return this.request('set_cancel_on_disconnect', { graceMs }) as Promise<ServerMessageOf<'cancel_on_disconnect_set'>>;
  }

  ping(): Promise<ServerMessageOf<'pong'>> {
    return this.request('ping', {}) as Promise<ServerMessageOf<'pong'>>;
  }

  /** Subscribes to a market and keeps its book; resolves once the book is synchronised. */
  async subscribeMarket(marketId: MarketId, options: { conflateMs?: number; fromSeq?: number; book?: MarketFeed } = {}): Promise<MarketFeed> {
    const feed = options.book ?? new MarketFeed(this, marketId, options.conflateMs ?? 0);
    feed.client = this;
    this.feeds.set(marketId, feed);
    await feed.synchronise(options.fromSeq);
    return feed;
  }

  /** Sends any client message; resolves with the reply that echoes its id. */
  request<K extends ClientMessageType>(type: K, body: Body<K>): Promise<ServerMessage> {
    const id = this.nextId++;
    const message = { id, type, ...body };
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const sentAtMs = Date.now();
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // A timer that fires late means this process's event loop was blocked, not that the server was silent.
        reject(new WsRequestError('timeout', `no reply to ${type} ${id} within ${this.requestTimeoutMs} ms (timer fired after ${Date.now() - sentAtMs} ms)`));
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.send(this.encoding === 'json' ? JSON.stringify(message) : encode(message));
    });
  }

  // ----- Events ---------------------------------------------------------------------------------

  on<K extends ServerMessageType>(type: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) this.listeners.set(type, (set = new Set()));
    const wrapped = listener as (message: ServerMessage) => void;
    set.add(wrapped);
    return () => void set.delete(wrapped);
  }

  once<K extends ServerMessageType>(type: K, listener: Listener<K>): void {
    const off = this.on(type, (message) => {
      off();
      listener(message);
    });
  }

  onOrderUpdates(listener: (updates: readonly OrderUpdate[]) => void): () => void {
    return this.on('order_updates', (message) => listener(message.updates));
  }

  onClose(listener: (code: number, reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  close(code = 1000, reason = ''): void {
    this.socket.close(code, reason);
  }

  private receive(data: unknown): void {
    let message: ServerMessage;
    try {
      message = (typeof data === 'string' ? JSON.parse(data) : decode(data as ArrayBuffer)) as ServerMessage;
    } catch {
      return;
    }
    if (message.type === 'market_delta') this.feeds.get(message.marketId)?.onDelta(message);
    if (message.type === 'market_snapshot') this.feeds.get(message.marketId)?.onSnapshot(message);
    if (message.type === 'market_resumed') this.feeds.get(message.marketId)?.onResumed(message);
    const id = 'id' in message ? message.id : null;
    if (id !== null && id !== undefined) {
      const pending = this.pending.get(id);
      if (pending !== undefined) {
        this.pending.delete(id);
        clearTimeout(pending.timer);
        if (message.type === 'error') pending.reject(new WsRequestError(message.code, message.message, message.field));
        else pending.resolve(message);
      }
    }
    for (const listener of this.listeners.get(message.type) ?? []) listener(message);
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}

/** A market's book kept from a snapshot and its deltas. */
export class MarketFeed {
  /** The market as last applied; null before the first snapshot. */
  private market: LocalMarket | null = null;
  /** False before the first snapshot and while resynchronising. */
  private live = false;
  /** Resynchronisations caused by a broken seq chain or a checksum mismatch. */
  resyncs = 0;
  private readonly listeners: Array<(feed: MarketFeed) => void> = [];
  private synchronising = false;

  constructor(
    /** The connection it is fed by; a feed moves to a new client when it resumes after a reconnect. */
    public client: WsClient,
    readonly marketId: MarketId,
    readonly conflateMs: number,
  ) {}

  get book(): MarketBook {
    return this.market?.book ?? new MarketBook(0);
  }

  get header(): MarketHeader | null {
    return this.market?.header ?? null;
  }

  /** Each runner's last traded price and matched volume, by runner index. */
  get traded(): readonly RunnerTraded[] {
    return this.market?.traded ?? [];
  }

  /** The market's total matched volume. */
  get matchedMinor(): number {
    return this.market?.matchedMinor ?? 0;
  }

  /** The seq of the last message applied; -1 before the first snapshot and while resynchronising. */
  get seq(): number {
    return this.live && this.market !== null ? this.market.seq : -1;
  }

  onUpdate(listener: (feed: MarketFeed) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Resumes from `fromSeq` when given (the server sends a snapshot if it cannot), else a snapshot.
   * A resume that does not continue the book kept here is followed by a snapshot.
   */
  async synchronise(fromSeq?: number): Promise<void> {
    this.synchronising = true;
    this.resumeFromSeq = fromSeq ?? null;
    try {
      await this.client.request('subscribe_market', {
        marketId: this.marketId,
        ...(this.conflateMs > 0 ? { conflateMs: this.conflateMs } : {}),
        ...(fromSeq !== undefined ? { fromSeq } : {}),
      });
    } finally {
      this.synchronising = false;
    }
    if (!this.live && fromSeq !== undefined) await this.synchronise();
  }

  private resumeFromSeq: number | null = null;

  onSnapshot(snapshot: ServerMessageOf<'market_snapshot'>): void {
    this.market = LocalMarket.fromSnapshot(snapshot);
    this.live = true;
    this.emit();
  }

  /** The server continues from the seq asked for: the book kept locally stays. */
  onResumed(resumed: ServerMessageOf<'market_resumed'>): void {
    if (this.resumeFromSeq === resumed.seq && this.market?.seq === resumed.seq) this.live = true;
  }

  onDelta(delta: ServerMessageOf<'market_delta'>): void {
    if (!this.live || this.market === null) return;
    switch (this.market.applyDelta(delta)) {
      case 'applied':
        this.emit();
        return;
      case 'stale':
        return;
      case 'gap':
        this.resync(this.market.seq);
        return;
      case 'checksum_mismatch':
        this.resync(undefined);
        return;
    }
  }

  private resync(fromSeq: number | undefined): void {
    if (this.synchronising) return;
    this.resyncs++;
    this.live = false;
    void this.synchronise(fromSeq).catch(() => undefined);
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this);
  }
}
