// Market data and the private order stream: snapshot + deltas rebuild exactly the engine's book
// after a seeded flow; resume after a reconnect with no gap; conflation; the order stream's image
// and updates with fills, average price, reasons and volume ahead; cancel-on-disconnect with its
// report; and a slow consumer dropped while another client keeps receiving.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instruction } from '@playchacha/protocol';
import { MarketBook } from './market-book.js';
import { WsClient, type MarketFeed, type WebSocketFactory } from './ws-client.js';
import type { OrderUpdate, ServerMessageOf } from './ws-messages.js';
import { CheckedWebSocket, seed, signToken, sleep, startHarness, TestClient, type Harness } from './testing/ws-harness.js';
import { mulberry32 } from '@playchacha/engine/testing';

const MARKET = 11;
const RUNNERS = 3;
const SEED = Number(process.env['SEED'] ?? 4242);
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ maxBackpressureBytes: 256 * 1024, messagesPerSecond: 1000, messageBurst: 1000, heartbeatMs: 200 });
  await seed(h, [1, 2, 3, 4], [{ marketId: MARKET, runnerCount: RUNNERS }, { marketId: 12, runnerCount: 20 }]);
});
afterAll(async () => h.stop());


/** A seeded flow of places (some crossing), partial and full cancels, from accounts 1–3. */
async function seededFlow(marketId: number, steps: number, seed: number): Promise<void> {
  const next = mulberry32(seed);
  const open: Array<{ accountId: number; orderId: number }> = [];
  for (let step = 0; step < steps; step++) {
    const accountId = 1 + Math.floor(next() * 3);
    const roll = next();
    if (roll < 0.7 || open.length === 0) {
      const side = next() < 0.5 ? 'back' : 'lay';
      const priceTicks = side === 'back' ? 95 + Math.floor(next() * 12) : 88 + Math.floor(next() * 12);
      const events = await h.submit({
        type: 'PlaceOrder', accountId, clientOrderId: `f-${seed}-${step}`, marketId, runnerIndex: Math.floor(next() * RUNNERS),
        side, priceTicks, stakeMinor: 1_00 + Math.floor(next() * 50_00),
      });
      for (const event of events) if (event.type === 'OrderAccepted') open.push({ accountId, orderId: event.orderId });
    } else {
      const index = Math.floor(next() * open.length);
      const order = open[index] as { accountId: number; orderId: number };
      const partial = roll < 0.85;
      await h.submit({ type: 'CancelOrder', accountId: order.accountId, marketId, orderId: order.orderId, ...(partial ? { reduceByMinor: 50 } : {}) });
      if (!partial) open.splice(index, 1);
    }
  }
}

function engineBook(marketId: number, runnerCount: number): MarketBook {
  const book = new MarketBook(runnerCount);
  for (let r = 0; r < runnerCount; r++) {
    for (const side of ['back', 'lay'] as const) for (const level of h.partition.core.bookSide(marketId, r, side)) book.set(r, side, level.priceTicks, level.totalMinor);
  }
  return book;
}

async function connect(accountId: number, extra: { cancelOnDisconnectMs?: number; encoding?: 'json' | 'msgpack' } = {}): Promise<WsClient> {
  return WsClient.connect({ url: h.url, accessToken: await signToken(accountId), WebSocket: CheckedWebSocket as unknown as WebSocketFactory, requestTimeoutMs: 20_000, ...extra });
}

async function settle(feed: MarketFeed): Promise<void> {
  for (let i = 0; i < 400 && feed.seq !== h.partition.core.market(feed.marketId)?.seq; i++) await sleep(5);
}

describe('market data', () => {
  it('rebuilds exactly the engine\'s book from a snapshot and deltas, each checked by seq and checksum', async () => {
    await seededFlow(MARKET, 60, SEED);
    const json = await connect(4);
    const msgpack = await connect(4, { encoding: 'msgpack' });
    const feeds = [await json.subscribeMarket(MARKET), await msgpack.subscribeMarket(MARKET)];
    const deltas: Array<ServerMessageOf<'market_delta'>> = [];
    json.on('market_delta', (delta) => deltas.push(delta));
    await seededFlow(MARKET, 300, SEED + 1);
    for (const feed of feeds) {
      await settle(feed);
      expect(feed.resyncs).toBe(0);
      expect(feed.seq).toBe(h.partition.core.market(MARKET)?.seq);
      expect(feed.book.runners()).toEqual(engineBook(MARKET, RUNNERS).runners());
    }
    expect(deltas.length).toBeGreaterThan(100);
    for (let i = 1; i < deltas.length; i++) expect(deltas[i]?.prevSeq).toBe(deltas[i - 1]?.seq);
    json.close();
    msgpack.close();
  });

  it('resumes after a reconnect from the last seq with no gap, or sends a fresh snapshot', async () => {
    const first = await connect(4);
    const feed = await first.subscribeMarket(MARKET);
    first.close();
    await seededFlow(MARKET, 40, SEED + 2);
    const second = await connect(4);
    const resumed = new Promise<ServerMessageOf<'market_resumed'>>((resolve) => second.once('market_resumed', resolve));
    const fromSeq = feed.seq;
    await second.subscribeMarket(MARKET, { fromSeq, book: feed });
    expect((await resumed).seq).toBe(fromSeq);
    await settle(feed);
    expect(feed.resyncs).toBe(0);
    expect(feed.book.runners()).toEqual(engineBook(MARKET, RUNNERS).runners());
    // A seq the server no longer holds (or never carried) gets a snapshot instead.
    const snapshot = new Promise<ServerMessageOf<'market_snapshot'>>((resolve) => second.once('market_snapshot', resolve));
    await second.subscribeMarket(MARKET, { fromSeq: 10_000_000 });
    expect((await snapshot).seq).toBe(h.partition.core.market(MARKET)?.seq);
    // A resume onto a feed that kept no book is followed by a snapshot.
    const currentSeq = h.partition.core.market(MARKET)?.seq as number;
    const kinds: string[] = [];
    second.on('market_resumed', () => kinds.push('resumed'));
    second.on('market_snapshot', () => kinds.push('snapshot'));
    const fresh = await second.subscribeMarket(MARKET, { fromSeq: currentSeq });
    expect(kinds).toEqual(['resumed', 'snapshot']);
    expect(fresh.seq).toBe(currentSeq);
    expect(fresh.book.runners()).toEqual(engineBook(MARKET, RUNNERS).runners());
    second.close();
  });

  it('merges deltas within conflateMs and still rebuilds the book; sends heartbeats when idle', async () => {
    const client = await connect(4);
    const feed = await client.subscribeMarket(MARKET, { conflateMs: 100 });
    const deltas: Array<ServerMessageOf<'market_delta'>> = [];
    client.on('market_delta', (delta) => deltas.push(delta));
    await seededFlow(MARKET, 50, SEED + 3);
    await sleep(150);
    await settle(feed);
    expect(feed.book.runners()).toEqual(engineBook(MARKET, RUNNERS).runners());
    expect(deltas.some((delta) => delta.conflated === true)).toBe(true);
    expect(deltas.length).toBeLessThan(50);
    const heartbeat = await new Promise<ServerMessageOf<'heartbeat'>>((resolve) => client.once('heartbeat', resolve));
    expect(heartbeat.serverTimeMs).toBeGreaterThan(0);
    client.close();
  });

  it('answers a subscription to an unknown market with unknown_market', async () => {
    const client = await TestClient.token(h.url, 4);
    expect(await client.request({ type: 'subscribe_market', marketId: 999 })).toMatchObject({ type: 'error', code: 'unknown_market' });
    await client.close();
  });

  it('drops a slow consumer from the fan-out while another client keeps receiving', async () => {
    // A deep book on a 20-runner market makes each snapshot large.
    for (let batch = 0; batch < 20; batch++) {
      const instructions: Instruction[] = [];
      for (let i = 0; i < 200; i++) {
        const n = batch * 200 + i;
        const runnerIndex = n % 20;
        const back = n % 2 === 0;
        const priceTicks = back ? 200 + (Math.floor(n / 40) % 140) : 10 + (Math.floor(n / 40) % 140);
        instructions.push({ kind: 'place', clientOrderId: `deep-${n}`, marketId: 12, runnerIndex, side: back ? 'back' : 'lay', priceTicks, stakeMinor: 1 });
      }
      await h.submit({ type: 'Batch', accountId: 4, mode: 'best_effort', instructions });
    }
    const healthy = await TestClient.token(h.url, 2);
    const slow = await TestClient.token(h.url, 3);
    await healthy.request({ type: 'subscribe_market', marketId: MARKET });
    await slow.request({ type: 'subscribe_market', marketId: MARKET });
    slow.socket.pause();
    for (let i = 0; i < 300; i++) slow.sendRaw({ id: 10_000 + i, type: 'subscribe_market', marketId: 12 });
    // The server drops it at once (its close handler runs); the client learns when it reads again.
    for (let i = 0; i < 1000 && h.server.connectionsOf(3) > 0; i++) await sleep(10);
    expect(h.server.connectionsOf(3)).toBe(0);
    slow.socket.resume();
    const code = await slow.waitClosed(10_000);
    expect([4002, 1006]).toContain(code);
    // The healthy client still gets every delta.
    const before = healthy.messages.filter((m) => m.type === 'market_delta').length;
    await seededFlow(MARKET, 10, SEED + 4);
    await healthy.next(() => healthy.messages.filter((m) => m.type === 'market_delta').length >= before + 5);
    expect(h.server.connectionsOf(3)).toBe(0);
    await healthy.close();
  });
});

describe('order stream', () => {
  it('sends an image of open and recently closed orders, then fills with average price, reductions, closes and volume ahead', async () => {
    await h.submit({ type: 'MassCancel', marketId: MARKET });
    const maker = await connect(1);
    const taker = await connect(2);
    const image = await maker.subscribeOrders();
    expect(image.open).toEqual([]);
    const updates: OrderUpdate[] = [];
    maker.onOrderUpdates((list) => updates.push(...list));
    const first = (await maker.place({ clientOrderId: 'os-1', marketId: MARKET, runnerIndex: 0, side: 'lay', priceTicks: 99, stakeMinor: 10_00 })).results[0];
    const second = (await maker.place({ clientOrderId: 'os-2', marketId: MARKET, runnerIndex: 0, side: 'lay', priceTicks: 99, stakeMinor: 20_00 })).results[0];
    const firstId = first?.status === 'accepted' ? first.orderId : -1;
    const secondId = second?.status === 'accepted' ? second.orderId : -1;
    await maker.place({ clientOrderId: 'os-3', marketId: MARKET, runnerIndex: 0, side: 'lay', priceTicks: 98, stakeMinor: 10_00 });
    const snapshot = await maker.subscribeOrders();
    expect(snapshot.open.find((o) => o.orderId === secondId)).toMatchObject({ clientOrderId: 'os-2', volumeAheadMinor: 10_00, remainingMinor: 20_00 });
    // The taker backs 15.00 at 1.99 or better: the lays at 2.00 (tick 99) fill first, oldest first.
    await taker.place({ clientOrderId: 'tk-1', marketId: MARKET, runnerIndex: 0, side: 'back', priceTicks: 98, stakeMinor: 15_00, timeInForce: 'ioc' });
    await maker.cancel({ marketId: MARKET, orderId: secondId, reduceByMinor: 5_00 });
    for (let i = 0; i < 200 && !updates.some((u) => u.kind === 'reduced'); i++) await sleep(5);
    const matched = updates.filter((u): u is Extract<OrderUpdate, { kind: 'matched' }> => u.kind === 'matched');
    expect(matched.map((u) => [u.orderId, u.stakeMinor, u.role])).toEqual([[firstId, 10_00, 'maker'], [secondId, 5_00, 'maker']]);
    expect(matched[1]).toMatchObject({ matchedMinor: 5_00, remainingMinor: 15_00, averagePriceX100: 200 });
    expect(new Set(matched.map((u) => u.fillId)).size).toBe(2);
    expect(updates).toContainEqual({ kind: 'closed', orderId: firstId, marketId: MARKET, reason: 'matched', sizeMinor: 10_00, matchedMinor: 10_00, cancelledMinor: 0 });
    expect(updates).toContainEqual({ kind: 'queue', orderId: secondId, marketId: MARKET, volumeAheadMinor: 0 });
    expect(updates).toContainEqual({ kind: 'reduced', orderId: secondId, marketId: MARKET, reducedByMinor: 5_00, remainingMinor: 10_00 });
    expect(updates.some((u) => u.kind === 'account')).toBe(true);
    const after = await maker.subscribeOrders();
    expect(after.recentlyClosed.find((o) => o.orderId === firstId)).toMatchObject({ closeReason: 'matched', averagePriceX100: 200 });
    const engineOpen = h.partition.core.openOrders().filter((o) => o.accountId === 1);
    expect(after.open.map((o) => [o.orderId, o.remainingMinor, o.matchedMinor, o.cancelledMinor])).toEqual(engineOpen.map((o) => [o.orderId, o.remainingMinor, o.matchedMinor, o.cancelledMinor]));
    // The taker never sees the maker's orders.
    const takerImage = await taker.subscribeOrders();
    expect(takerImage.open.every((o) => !engineOpen.some((e) => e.orderId === o.orderId))).toBe(true);
    maker.close();
    taker.close();
  });
});

describe('cancel-on-disconnect', () => {
  it('cancels the account\'s orders when it does not reconnect within the grace, and reports it on the next connect', async () => {
    // The grace leaves a wide margin over the checks before it ends (a loaded machine is slow).
    const client = await connect(3, { cancelOnDisconnectMs: 1_000 });
    expect(client.hello.cancelOnDisconnectMs).toBe(1_000);
    const placed = (await client.place({ clientOrderId: 'cod-1', marketId: MARKET, runnerIndex: 1, side: 'back', priceTicks: 300, stakeMinor: 2_00 })).results[0];
    const orderId = placed?.status === 'accepted' ? placed.orderId : -1;
    client.close();
    await sleep(40);
    expect(h.partition.core.openOrders().some((o) => o.orderId === orderId)).toBe(true);
    for (let i = 0; i < 1_000 && h.partition.core.openOrders().some((o) => o.orderId === orderId); i++) await sleep(10);
    expect(h.partition.core.openOrders().some((o) => o.orderId === orderId)).toBe(false);
    const raw = await TestClient.token(h.url, 3);
    const report = await raw.next((m) => m.type === 'cancel_on_disconnect_report');
    expect(report).toMatchObject({ type: 'cancel_on_disconnect_report', orders: expect.arrayContaining([{ orderId, marketId: MARKET, matchedMinor: 0, cancelledMinor: 2_00 }]) });
    await raw.close();
  });

  it('keeps the orders when the account reconnects within the grace (set by message)', async () => {
    const client = await connect(3);
    await client.setCancelOnDisconnect(1_500);
    const placed = (await client.place({ clientOrderId: 'cod-2', marketId: MARKET, runnerIndex: 1, side: 'back', priceTicks: 301, stakeMinor: 2_00 })).results[0];
    const orderId = placed?.status === 'accepted' ? placed.orderId : -1;
    client.close();
    await sleep(50);
    const again = await connect(3);
    await sleep(1_800);
    expect(h.partition.core.openOrders().some((o) => o.orderId === orderId)).toBe(true);
    again.close();
  });
});

describe('typed client', () => {
  it('fails a request on a closed connection at once instead of waiting for its timeout', async () => {
    const client = await connect(4);
    const closed = new Promise<number>((resolve) => client.onClose((code) => resolve(code)));
    client.close();
    expect(await closed).toBe(1000);
    await expect(client.subscribeMarket(MARKET)).rejects.toMatchObject({ name: 'WsRequestError', code: 'closed' });
  });
});
