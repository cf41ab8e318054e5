// The WebSocket API (v1) on uWebSockets.js: authentication at the upgrade, order entry mapped to
// engine commands for the session's own account, market data and the private order stream fanned
// out from the engine's durable frames, cancel-on-disconnect, and the limits that keep one client
// from hurting the others.

import { randomUUID } from 'node:crypto';
import uWS from 'uWebSockets.js';
import type { HttpResponse, TemplatedApp, us_listen_socket, us_socket_context_t, WebSocket } from 'uWebSockets.js';
import { pino, type Logger } from 'pino';
import { BATCH_INSTRUCTIONS_MAX, type AccountId, type EngineEvent, type MarketId } from '@playchacha/protocol';
import type { Authenticator, UpgradeCredentials } from './auth.js';
import { CancelOnDisconnect, type CancelOnDisconnectReport } from './cancel-on-disconnect.js';
import type { EngineLink } from './engine-link.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { endWithError, SpanKind, traceparentOf, type Span, type Tracer } from '../../engine/src/io/tracing.js';
import type { MarketDelta, MarketReadModel } from './market-read-model.js';
import { commandOf, instructionsOf, massCancelCommand, massCancelled, resultsOf, type OrderMessage } from './order-commands.js';
import type { OrderReadModel } from './order-read-model.js';
import { GatewayReadModels } from './read-models.js';
import { decodeFrame, type WireEncoding } from './wire-codec.js';
import { UPGRADE_REJECTIONS, WS_CLOSE_CODES, WS_ERROR_CODES, type UpgradeRejection, type WsErrorCode } from './ws-errors.js';
import { API_VERSION, CANCEL_ON_DISCONNECT_MS_MAX, parseClientMessage, type ClientMessage, type ClientMessageOf, type MessageIdValue, type ServerMessage } from './ws-messages.js';
import { EncodedCache, Session, type MarketSubscription, type SessionUserData } from './ws-session.js';

export const WS_PATH = `/${API_VERSION}/ws`;

export interface WsServerOptions {
  readonly link: EngineLink;
  readonly authenticator: Authenticator;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  readonly maxPayloadBytes?: number;
  /** A connection whose send queue passes this is closed (4002) and leaves the fan-out. */
  readonly maxBackpressureBytes?: number;
  /** Pushed messages carry `lagging: true` while the send queue is above this. */
  readonly laggingBytes?: number;
  readonly messagesPerSecond?: number;
  readonly messageBurst?: number;
  readonly connectionsPerAccountMax?: number;
  /**
   * Connections without credentials (market data only) per remote address; 0 turns anonymous
   * access off. Default 32.
   */
  readonly anonymousConnectionsPerAddressMax?: number;
  readonly marketSubscriptionsMax?: number;
  readonly heartbeatMs?: number;
  readonly idleTimeoutSeconds?: number;
  /**
   * The process's read models, which the server fans out from; without them the server keeps its
   * own, with `recentDeltasPerMarket` deltas per market (default 2048) and `now` as their clock.
   */
  readonly readModels?: GatewayReadModels;
  readonly recentDeltasPerMarket?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
  readonly metrics?: GatewayMetrics;
  /** The engine markets of a catalog event, or null when there is no such event (subscribe_event). */
  readonly eventMarkets?: (eventId: number) => Promise<readonly MarketId[] | null>;
  /** A span per order message, whose traceparent goes with the command to the engine. */
  readonly tracer?: Tracer | null;
  /** The catalog event of an engine market, or null; lets subscribe_event follow markets added later. */
  readonly marketEvent?: (marketId: MarketId) => Promise<number | null>;
}

interface Settings {
  readonly maxPayloadBytes: number;
  readonly maxBackpressureBytes: number;
  readonly laggingBytes: number;
  readonly messagesPerSecond: number;
  readonly messageBurst: number;
  readonly connectionsPerAccountMax: number;
  readonly anonymousConnectionsPerAddressMax: number;
  readonly marketSubscriptionsMax: number;
  readonly heartbeatMs: number;
}

/** What a connection without credentials may send: market data and pings. */
const ANONYMOUS_MESSAGES = new Set<ClientMessage['type']>(['subscribe_market', 'subscribe_event', 'unsubscribe_market', 'unsubscribe_event', 'ping']);

interface CopiedUpgrade {
  readonly secWebSocketKey: string;
  readonly secWebSocketProtocol: string;
  readonly secWebSocketExtensions: string;
  readonly credentials: UpgradeCredentials;
  readonly query: URLSearchParams;
  readonly remoteAddress: string;
  /** An Authorization header of any kind: a connection that sent one is never anonymous. */
  readonly authorizationPresent: boolean;
}

export class WsServer {
  readonly markets: MarketReadModel;
  readonly orders: OrderReadModel;
  private readonly readModels: GatewayReadModels;
  private readonly app: TemplatedApp;
  private listenSocket: us_listen_socket | null = null;
  private readonly sessions = new Set<Session>();
  private readonly connectionsByAccount = new Map<AccountId, number>();
  private readonly anonymousByAddress = new Map<string, number>();
  private readonly marketSubscribers = new Map<MarketId, Set<Session>>();
  private readonly eventSubscribers = new Map<number, Set<Session>>();
  private readonly orderSubscribers = new Map<AccountId, Set<Session>>();
  private readonly cancelOnDisconnect: CancelOnDisconnect;
  private readonly settings: Settings;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly stopFollowing: () => void;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  port = 0;

  private constructor(private readonly options: WsServerOptions) {
    const maxBackpressureBytes = options.maxBackpressureBytes ?? 1024 * 1024;
    this.settings = {
      maxPayloadBytes: options.maxPayloadBytes ?? 64 * 1024,
      maxBackpressureBytes,
      laggingBytes: options.laggingBytes ?? Math.floor(maxBackpressureBytes / 4),
      messagesPerSecond: options.messagesPerSecond ?? 100,
      messageBurst: options.messageBurst ?? 200,
      connectionsPerAccountMax: options.connectionsPerAccountMax ?? 8,
      anonymousConnectionsPerAddressMax: options.anonymousConnectionsPerAddressMax ?? 32,
      marketSubscriptionsMax: options.marketSubscriptionsMax ?? 200,
      heartbeatMs: options.heartbeatMs ?? 5_000,
    };
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.now = options.now ?? Date.now;
    this.readModels = options.readModels ?? new GatewayReadModels(options.link, { recentDeltasPerMarket: options.recentDeltasPerMarket ?? 2048, now: this.now });
    this.markets = this.readModels.markets;
    this.orders = this.readModels.orders;
    this.cancelOnDisconnect = new CancelOnDisconnect(
      options.link,
      (accountId, report) => this.deliverReport(accountId, report),
      (accountId, error) => this.logger.error({ err: error, accountId }, 'cancel-on-disconnect failed'),
      this.now,
    );
    this.stopFollowing = this.readModels.onFrame(({ deltas, created, updates }) => {
      if (created.length > 0 && this.eventSubscribers.size > 0) void this.followCreatedMarkets(created);
      for (const delta of deltas) this.publishDelta(delta);
      const publishTimeMs = this.now();
      for (const [accountId, list] of updates) {
        const subscribers = this.orderSubscribers.get(accountId);
        if (subscribers === undefined || list.length === 0) continue;
        const encoded = new EncodedCache({ type: 'order_updates', updates: list, publishTimeMs });
        for (const session of subscribers) session.send({ type: 'order_updates', updates: list, publishTimeMs }, publishTimeMs, encoded);
      }
    });
    this.app = uWS.App();
    this.app.ws<SessionUserData>(WS_PATH, {
      maxPayloadLength: this.settings.maxPayloadBytes,
      maxBackpressure: this.settings.maxBackpressureBytes,
      closeOnBackpressureLimit: 1,
      idleTimeout: options.idleTimeoutSeconds ?? 60,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => this.open(ws),
      message: (ws, data, isBinary) => this.message(ws, data, isBinary),
      close: (ws) => this.closed(ws),
    });
    this.app.any('/*', (res) => {
      res.cork(() => res.writeStatus('404 Not Found').end());
    });
  }

  static async start(options: WsServerOptions): Promise<WsServer> {
    const server = new WsServer(options);
    await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    server.heartbeatTimer = setInterval(() => server.heartbeat(), server.settings.heartbeatMs);
    return server;
  }

  private listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (socket) => {
        if (socket === false) {
          reject(new Error(`cannot listen on ${host}:${port}`));
          return;
        }
        this.listenSocket = socket;
        this.port = uWS.us_socket_local_port(socket as unknown as Parameters<typeof uWS.us_socket_local_port>[0]);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.stopFollowing();
    if (this.options.readModels === undefined) this.readModels.stop();
    this.cancelOnDisconnect.close();
    if (this.listenSocket !== null) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
    for (const session of [...this.sessions]) session.end(WS_CLOSE_CODES.goingAway, 'server shutting down');
  }

  /** Open connections of an account (for tests and metrics). */
  connectionsOf(accountId: AccountId): number {
    return this.connectionsByAccount.get(accountId) ?? 0;
  }

  // ----- Upgrade ------------------------------------------------------------------------------

  private upgrade(res: HttpResponse, req: uWS.HttpRequest, context: us_socket_context_t): void {
    // The request is only valid in this callback: copy everything out of it before any await.
    const authorization = req.getHeader('authorization');
    const copied: CopiedUpgrade = {
      secWebSocketKey: req.getHeader('sec-websocket-key'),
      secWebSocketProtocol: req.getHeader('sec-websocket-protocol'),
      secWebSocketExtensions: req.getHeader('sec-websocket-extensions'),
      query: new URLSearchParams(req.getQuery() ?? ''),
      remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(),
      authorizationPresent: authorization !== '',
      credentials: {
        bearerToken: authorization.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : null,
        apiKey: req.getHeader('x-api-key') || null,
      },
    };
    const aborted = { value: false };
    res.onAborted(() => {
      aborted.value = true;
    });
    void this.completeUpgrade(res, context, copied, aborted);
  }

  private async completeUpgrade(res: HttpResponse, context: us_socket_context_t, copied: CopiedUpgrade, aborted: { value: boolean }): Promise<void> {
    const query = copied.query;
    const encoding = query.get('encoding') ?? 'json';
    const codText = query.get('cancelOnDisconnectMs') ?? '0';
    const cancelOnDisconnectMs = /^[0-9]{1,6}$/.test(codText) ? Number(codText) : -1;
    if ((encoding !== 'json' && encoding !== 'msgpack') || cancelOnDisconnectMs < 0 || cancelOnDisconnectMs > CANCEL_ON_DISCONNECT_MS_MAX) {
      this.rejectUpgrade(res, aborted, 'bad_request');
      return;
    }
    const credentials: UpgradeCredentials = {
      bearerToken: copied.credentials.bearerToken ?? query.get('access_token'),
      apiKey: copied.credentials.apiKey ?? query.get('api_key'),
    };
    const noCredentials = !copied.authorizationPresent && credentials.bearerToken === null && credentials.apiKey === null;
    if (noCredentials && this.settings.anonymousConnectionsPerAddressMax > 0) {
      this.upgradeAnonymous(res, context, copied, aborted, encoding);
      return;
    }
    let result;
    try {
      result = await this.options.authenticator.authenticate(credentials);
    } catch (error) {
      this.logger.error({ err: error }, 'authenticator failed');
      result = { ok: false as const, reason: 'authenticator failed' };
    }
    if (aborted.value) return;
    if (!result.ok) {
      this.rejectUpgrade(res, aborted, 'unauthorized');
      return;
    }
    const { principal } = result;
    const open = this.connectionsByAccount.get(principal.accountId) ?? 0;
    if (open >= this.settings.connectionsPerAccountMax) {
      this.rejectUpgrade(res, aborted, 'too_many_connections');
      return;
    }
    this.connectionsByAccount.set(principal.accountId, open + 1);
    const nowMs = this.now();
    const session = new Session(
      randomUUID(),
      principal.accountId,
      encoding,
      cancelOnDisconnectMs,
      principal.expiresAtMs,
      { maxBackpressureBytes: this.settings.maxBackpressureBytes, laggingBytes: this.settings.laggingBytes },
      { messagesPerSecond: this.settings.messagesPerSecond, messageBurst: this.settings.messageBurst },
      nowMs,
    );
    // Not inside res.cork: after an asynchronous upgrade, cork()'s post-response check can read
    // the new WebSocket's memory as the HTTP response's state and close the socket right after
    // `open` (uNetworking/uWebSockets#1928, fixed upstream in #1929 but not in this build). The
    // price is uWS.js's "writes must be made from within a corked callback" warning on stderr.
    res.upgrade<SessionUserData>({ session }, copied.secWebSocketKey, copied.secWebSocketProtocol, copied.secWebSocketExtensions, context);
  }

  /** A connection without credentials: market data only, counted per remote address. */
  private upgradeAnonymous(res: HttpResponse, context: us_socket_context_t, copied: CopiedUpgrade, aborted: { value: boolean }, encoding: WireEncoding): void {
    if (aborted.value) return;
    const open = this.anonymousByAddress.get(copied.remoteAddress) ?? 0;
    if (open >= this.settings.anonymousConnectionsPerAddressMax) {
      this.rejectUpgrade(res, aborted, 'too_many_connections');
      return;
    }
    this.anonymousByAddress.set(copied.remoteAddress, open + 1);
    const session = new Session(
      randomUUID(),
      null,
      encoding,
      0,
      null,
      { maxBackpressureBytes: this.settings.maxBackpressureBytes, laggingBytes: this.settings.laggingBytes },
      { messagesPerSecond: this.settings.messagesPerSecond, messageBurst: this.settings.messageBurst },
      this.now(),
      copied.remoteAddress,
    );
    res.cork(() => {
      res.upgrade<SessionUserData>({ session }, copied.secWebSocketKey, copied.secWebSocketProtocol, copied.secWebSocketExtensions, context);
    });
  }

  private rejectUpgrade(res: HttpResponse, aborted: { value: boolean }, code: UpgradeRejection): void {
    if (aborted.value) return;
    const rejection = UPGRADE_REJECTIONS[code];
    res.cork(() => {
      res
        .writeStatus(rejection.status)
        .writeHeader('content-type', 'application/json')
        .end(JSON.stringify({ code, message: rejection.description }));
    });
  }

  // ----- Connection lifecycle -----------------------------------------------------------------

  private open(ws: WebSocket<SessionUserData>): void {
    const session = ws.getUserData().session;
    session.ws = ws;
    this.sessions.add(session);
    this.options.metrics?.wsConnections.inc({ kind: session.accountId === null ? 'anonymous' : 'account' });
    const nowMs = this.now();
    if (session.expiresAtMs !== null) {
      session.expiryTimer = setTimeout(() => session.end(WS_CLOSE_CODES.tokenExpired, 'token expired'), Math.max(0, session.expiresAtMs - nowMs));
    }
    const reports = session.accountId === null ? [] : this.cancelOnDisconnect.connected(session.accountId);
    session.send(
      {
        type: 'hello',
        version: API_VERSION,
        accountId: session.accountId,
        sessionId: session.sessionId,
        serverTimeMs: nowMs,
        cancelOnDisconnectMs: session.cancelOnDisconnectMs,
        heartbeatMs: this.settings.heartbeatMs,
        limits: {
          maxPayloadBytes: this.settings.maxPayloadBytes,
          messagesPerSecond: this.settings.messagesPerSecond,
          messageBurst: this.settings.messageBurst,
          batchInstructionsMax: BATCH_INSTRUCTIONS_MAX,
          connectionsPerAccountMax: this.settings.connectionsPerAccountMax,
          marketSubscriptionsMax: this.settings.marketSubscriptionsMax,
        },
      },
      nowMs,
    );
    for (const report of reports) session.send({ type: 'cancel_on_disconnect_report', ...report }, nowMs);
  }

  private closed(ws: WebSocket<SessionUserData>): void {
    const session = ws.getUserData().session;
    session.closed = true;
    session.ws = null;
    session.clearTimers();
    this.sessions.delete(session);
    this.options.metrics?.wsConnections.dec({ kind: session.accountId === null ? 'anonymous' : 'account' });
    if (session.droppedForBackpressure) this.options.metrics?.wsSlowConsumersDropped.inc();
    for (const marketId of session.markets.keys()) this.marketSubscribers.get(marketId)?.delete(session);
    for (const eventId of session.events.keys()) this.eventSubscribers.get(eventId)?.delete(session);
    const accountId = session.accountId;
    if (accountId === null) {
      const open = (this.anonymousByAddress.get(session.remoteAddress) ?? 1) - 1;
      if (open <= 0) this.anonymousByAddress.delete(session.remoteAddress);
      else this.anonymousByAddress.set(session.remoteAddress, open);
      return;
    }
    const open = (this.connectionsByAccount.get(accountId) ?? 1) - 1;
    if (open <= 0) this.connectionsByAccount.delete(accountId);
    else this.connectionsByAccount.set(accountId, open);
    this.orderSubscribers.get(accountId)?.delete(session);
    if (session.cancelOnDisconnectMs > 0) this.cancelOnDisconnect.disconnected(accountId, session.cancelOnDisconnectMs);
  }

  private deliverReport(accountId: AccountId, report: CancelOnDisconnectReport): boolean {
    let delivered = false;
    const nowMs = this.now();
    for (const session of this.sessions) {
      if (session.accountId === accountId && session.send({ type: 'cancel_on_disconnect_report', ...report }, nowMs)) delivered = true;
    }
    return delivered;
  }

  private heartbeat(): void {
    const nowMs = this.now();
    for (const session of this.sessions) {
      if (nowMs - session.lastSentAtMs >= this.settings.heartbeatMs) session.send({ type: 'heartbeat', serverTimeMs: nowMs }, nowMs);
    }
  }

  // ----- Messages -----------------------------------------------------------------------------

  private message(ws: WebSocket<SessionUserData>, data: ArrayBuffer, isBinary: boolean): void {
    const session = ws.getUserData().session;
    const nowMs = this.now();
    if (!session.bucket.take(nowMs)) {
      session.end(WS_CLOSE_CODES.policyViolation, 'rate_limited');
      return;
    }
    // The buffer is only valid during this callback; decodeFrame reads it synchronously.
    const decoded = decodeFrame(data, isBinary);
    if (!decoded.ok) {
      this.error(session, null, 'malformed_frame', decoded.detail);
      return;
    }
    const parsed = parseClientMessage(decoded.value);
    if (!parsed.ok) {
      this.error(session, parsed.id, parsed.code, parsed.detail, parsed.field);
      return;
    }
    this.dispatch(session, parsed.message);
  }

  private dispatch(session: Session, message: ClientMessage): void {
    const nowMs = this.now();
    this.options.metrics?.wsMessages.inc({ type: message.type });
    const accountId = session.accountId;
    if (ANONYMOUS_MESSAGES.has(message.type)) {
      this.dispatchMarketData(session, message);
      return;
    }
    if (accountId === null) {
      this.error(session, message.id, 'login_required', `${message.type} needs a connection opened with an access token or API key`);
      return;
    }
    switch (message.type) {
      case 'place':
      case 'cancel':
      case 'replace':
      case 'batch':
        this.submitOrders(session, accountId, message);
        return;
      case 'mass_cancel':
        this.submitMassCancel(session, accountId, message);
        return;
      case 'subscribe_orders': {
        let subscribers = this.orderSubscribers.get(accountId);
        if (subscribers === undefined) this.orderSubscribers.set(accountId, (subscribers = new Set()));
        subscribers.add(session);
        session.ordersSubscribed = true;
        const image = this.orders.image(accountId);
        session.send({ type: 'orders_snapshot', id: message.id, open: image.open, recentlyClosed: image.recentlyClosed }, nowMs);
        return;
      }
      case 'unsubscribe_orders':
        if (!session.ordersSubscribed) {
          this.error(session, message.id, 'not_subscribed', 'not subscribed to orders');
          return;
        }
        session.ordersSubscribed = false;
        this.orderSubscribers.get(accountId)?.delete(session);
        session.send({ type: 'unsubscribed', id: message.id, topic: 'orders' }, nowMs);
        return;
      case 'set_cancel_on_disconnect':
        session.cancelOnDisconnectMs = message.graceMs;
        session.send({ type: 'cancel_on_disconnect_set', id: message.id, graceMs: message.graceMs }, nowMs);
        return;
      default:
        this.dispatchMarketData(session, message);
    }
  }

  /** Market data and pings: open to every connection, with or without an account. */
  private dispatchMarketData(session: Session, message: ClientMessage): void {
    const nowMs = this.now();
    switch (message.type) {
      case 'subscribe_market':
        this.subscribeMarket(session, message);
        return;
      case 'subscribe_event':
        void this.subscribeEvent(session, message);
        return;
      case 'unsubscribe_market': {
        const subscription = session.markets.get(message.marketId);
        if (subscription === undefined) {
          this.error(session, message.id, 'not_subscribed', `not subscribed to market ${message.marketId}`);
          return;
        }
        this.dropSubscription(session, subscription);
        session.send({ type: 'unsubscribed', id: message.id, topic: 'market', marketId: message.marketId }, nowMs);
        return;
      }
      case 'unsubscribe_event': {
        const followed = session.events.get(message.eventId);
        if (followed === undefined) {
          this.error(session, message.id, 'not_subscribed', `not subscribed to event ${message.eventId}`);
          return;
        }
        session.events.delete(message.eventId);
        this.eventSubscribers.get(message.eventId)?.delete(session);
        for (const marketId of followed.marketIds) {
          const subscription = session.markets.get(marketId);
          if (subscription !== undefined) this.dropSubscription(session, subscription);
        }
        session.send({ type: 'unsubscribed', id: message.id, topic: 'event', eventId: message.eventId }, nowMs);
        return;
      }
      case 'ping':
        session.send({ type: 'pong', id: message.id, serverTimeMs: nowMs }, nowMs);
        return;
      default:
        throw new Error(`unhandled message type ${message.type}`);
    }
  }

  private submitOrders(session: Session, accountId: AccountId, message: OrderMessage): void {
    const instructions = instructionsOf(message);
    const command = commandOf(message, accountId);
    const stopTimer = this.options.metrics?.orderAnswerSeconds.startTimer();
    const span = this.orderSpan(message.type, accountId, instructions.length);
    this.options.link.submit(command, traceparentOf(span)).then(
      (events: readonly EngineEvent[]) => {
        stopTimer?.();
        session.send({ type: 'result', id: message.id, results: resultsOf(instructions, events, accountId) }, this.now());
        span?.end();
      },
      (error: unknown) => {
        if (span !== null) endWithError(span, error);
        this.engineFailed(session, message.id, error);
      },
    );
  }

  /** The span of one order message (null when tracing is off). */
  private orderSpan(type: ClientMessage['type'], accountId: AccountId, instructions: number): Span | null {
    const tracer = this.options.tracer ?? null;
    if (tracer === null) return null;
    return tracer.startSpan(`ws ${type}`, { kind: SpanKind.SERVER, attributes: { 'exch.account_id': accountId, 'exch.instructions': instructions } });
  }

  private submitMassCancel(session: Session, accountId: AccountId, message: ClientMessageOf<'mass_cancel'>): void {
    const span = this.orderSpan(message.type, accountId, 1);
    this.options.link.submit(massCancelCommand(message, accountId), traceparentOf(span)).then(
      (events) => {
        span?.end();
        const rejected = events.find((event) => event.type === 'CommandRejected');
        const orders = massCancelled(events, accountId);
        session.send(
          rejected?.type === 'CommandRejected'
            ? { type: 'mass_cancel_result', id: message.id, code: rejected.code, orders }
            : { type: 'mass_cancel_result', id: message.id, orders },
          this.now(),
        );
      },
      (error: unknown) => {
        if (span !== null) endWithError(span, error);
        this.engineFailed(session, message.id, error);
      },
    );
  }

  private engineFailed(session: Session, id: MessageIdValue, error: unknown): void {
    this.logger.warn({ err: error, accountId: session.accountId }, 'engine did not take a command');
    this.error(session, id, 'engine_unavailable', 'the engine did not journal the command; retry with the same client order id');
  }

  /** Every market of a catalog event: a snapshot of each (all or none), then event_subscribed. */
  private async subscribeEvent(session: Session, message: ClientMessageOf<'subscribe_event'>): Promise<void> {
    let marketIds: readonly MarketId[] | null = null;
    try {
      marketIds = (await this.options.eventMarkets?.(message.eventId)) ?? null;
    } catch (error) {
      this.logger.warn({ err: error, eventId: message.eventId }, 'could not read the event\'s markets');
    }
    if (session.closed) return;
    if (marketIds === null) {
      this.error(session, message.id, 'unknown_event', `no event ${message.eventId}`);
      return;
    }
    const live = marketIds.filter((marketId) => this.markets.has(marketId));
    const added = live.filter((marketId) => !session.markets.has(marketId)).length;
    if (session.markets.size + added > this.settings.marketSubscriptionsMax) {
      this.error(session, message.id, 'too_many_subscriptions', `the event has ${live.length} markets; at most ${this.settings.marketSubscriptionsMax} markets per connection`);
      return;
    }
    for (const marketId of live) this.subscribeMarket(session, { id: message.id, type: 'subscribe_market', marketId, ...(message.conflateMs === undefined ? {} : { conflateMs: message.conflateMs }) });
    const followed = session.events.get(message.eventId);
    if (followed === undefined) session.events.set(message.eventId, { id: message.id, conflateMs: message.conflateMs, marketIds: new Set(live) });
    else for (const marketId of live) followed.marketIds.add(marketId);
    let subscribers = this.eventSubscribers.get(message.eventId);
    if (subscribers === undefined) this.eventSubscribers.set(message.eventId, (subscribers = new Set()));
    subscribers.add(session);
    session.send({ type: 'event_subscribed', id: message.id, eventId: message.eventId, marketIds: live }, this.now());
  }

  /** Markets just created in the engine: each session following the market's event gets it too. */
  private async followCreatedMarkets(marketIds: readonly MarketId[]): Promise<void> {
    for (const marketId of marketIds) {
      let eventId: number | null = null;
      try {
        eventId = (await this.options.marketEvent?.(marketId)) ?? null;
      } catch (error) {
        this.logger.warn({ err: error, marketId }, 'could not read the market\'s event');
      }
      if (eventId === null) continue;
      for (const session of this.eventSubscribers.get(eventId) ?? []) {
        const followed = session.events.get(eventId);
        if (session.closed || followed === undefined || session.markets.has(marketId)) continue;
        const nowMs = this.now();
        if (session.markets.size >= this.settings.marketSubscriptionsMax) {
          session.send({ type: 'event_market_added', eventId, marketId, subscribed: false }, nowMs);
          continue;
        }
        followed.marketIds.add(marketId);
        this.subscribeMarket(session, { id: followed.id, type: 'subscribe_market', marketId, ...(followed.conflateMs === undefined ? {} : { conflateMs: followed.conflateMs }) });
        session.send({ type: 'event_market_added', eventId, marketId, subscribed: true }, nowMs);
      }
    }
  }

  private subscribeMarket(session: Session, message: ClientMessageOf<'subscribe_market'>): void {
    const nowMs = this.now();
    const { marketId } = message;
    const snapshot = this.markets.snapshot(marketId);
    if (snapshot === undefined) {
      this.error(session, message.id, 'unknown_market', `no market ${marketId}`);
      return;
    }
    const existing = session.markets.get(marketId);
    if (existing === undefined && session.markets.size >= this.settings.marketSubscriptionsMax) {
      this.error(session, message.id, 'too_many_subscriptions', `at most ${this.settings.marketSubscriptionsMax} markets per connection`);
      return;
    }
    if (existing !== undefined) this.dropSubscription(session, existing);
    const subscription: MarketSubscription = { marketId, conflateMs: message.conflateMs ?? 0, pending: null, timer: null };
    session.markets.set(marketId, subscription);
    let subscribers = this.marketSubscribers.get(marketId);
    if (subscribers === undefined) this.marketSubscribers.set(marketId, (subscribers = new Set()));
    subscribers.add(session);
    const deltas = message.fromSeq === undefined ? null : this.markets.deltasAfter(marketId, message.fromSeq);
    if (deltas !== null && message.fromSeq !== undefined) {
      session.send({ type: 'market_resumed', id: message.id, marketId, seq: message.fromSeq }, nowMs);
      for (const delta of deltas) session.send(deltaMessage(delta), nowMs);
      return;
    }
    session.send(
      {
        type: 'market_snapshot',
        id: message.id,
        ...snapshot.header,
        seq: snapshot.seq,
        runners: snapshot.runners,
        traded: snapshot.traded,
        matchedMinor: snapshot.matchedMinor,
        checksum: snapshot.checksum,
      },
      nowMs,
    );
  }

  private dropSubscription(session: Session, subscription: MarketSubscription): void {
    if (subscription.timer !== null) clearTimeout(subscription.timer);
    session.markets.delete(subscription.marketId);
    this.marketSubscribers.get(subscription.marketId)?.delete(session);
  }

  private publishDelta(delta: MarketDelta): void {
    const subscribers = this.marketSubscribers.get(delta.marketId);
    if (subscribers === undefined || subscribers.size === 0) return;
    const message = deltaMessage(delta);
    const encoded = new EncodedCache(message);
    const nowMs = this.now();
    for (const session of subscribers) {
      const subscription = session.markets.get(delta.marketId);
      if (subscription === undefined) continue;
      if (subscription.conflateMs === 0) {
        session.send(message, nowMs, encoded);
        continue;
      }
      this.conflate(session, subscription, delta);
    }
  }

  private conflate(session: Session, subscription: MarketSubscription, delta: MarketDelta): void {
    if (subscription.pending === null) {
      const levels = new Map(delta.levels.map((level) => [`${level[0]}:${level[1]}:${level[2]}`, level] as const));
      const traded = new Map((delta.traded ?? []).map((runner) => [runner.runnerIndex, runner] as const));
      subscription.pending = { prevSeq: delta.prevSeq, seq: delta.seq, levels, traded, matchedMinor: delta.matchedMinor ?? null, delta, merged: 1 };
      subscription.timer = setTimeout(() => this.flushConflated(session, subscription), subscription.conflateMs);
      return;
    }
    const pending = subscription.pending;
    for (const level of delta.levels) pending.levels.set(`${level[0]}:${level[1]}:${level[2]}`, level);
    for (const runner of delta.traded ?? []) pending.traded.set(runner.runnerIndex, runner);
    if (delta.matchedMinor !== undefined) pending.matchedMinor = delta.matchedMinor;
    pending.seq = delta.seq;
    pending.delta = { ...delta, ...(delta.market === undefined && pending.delta.market !== undefined ? { market: pending.delta.market } : {}) };
    pending.merged++;
  }

  private flushConflated(session: Session, subscription: MarketSubscription): void {
    subscription.timer = null;
    const pending = subscription.pending;
    subscription.pending = null;
    if (pending === null || session.markets.get(subscription.marketId) !== subscription) return;
    const base = deltaMessage(pending.delta);
    session.send(
      {
        ...base,
        prevSeq: pending.prevSeq,
        seq: pending.seq,
        levels: [...pending.levels.values()],
        ...(pending.matchedMinor === null ? {} : { traded: [...pending.traded.values()].sort((a, b) => a.runnerIndex - b.runnerIndex), matchedMinor: pending.matchedMinor }),
        ...(pending.merged > 1 ? { conflated: true as const } : {}),
      },
      this.now(),
    );
  }

  private error(session: Session, id: MessageIdValue | null, code: WsErrorCode, detail: string, field?: string): void {
    this.options.metrics?.wsErrors.inc({ code });
    const message: ServerMessage = {
      type: 'error',
      id,
      code,
      message: `${WS_ERROR_CODES[code]} ${detail}`.trim(),
      ...(field !== undefined && field !== '' ? { field } : {}),
    };
    session.send(message, this.now());
  }
}

function deltaMessage(delta: MarketDelta): Extract<ServerMessage, { type: 'market_delta' }> {
  return {
    type: 'market_delta',
    marketId: delta.marketId,
    prevSeq: delta.prevSeq,
    seq: delta.seq,
    levels: delta.levels,
    ...(delta.market !== undefined ? { market: delta.market } : {}),
    ...(delta.traded !== undefined && delta.matchedMinor !== undefined ? { traded: delta.traded, matchedMinor: delta.matchedMinor } : {}),
    checksum: delta.checksum,
    publishTimeMs: delta.publishTimeMs,
  };
}
