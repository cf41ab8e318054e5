// Market data by event: subscribe_event resolves the event's markets through the catalog lookup
// the server is given, and answers a snapshot of each then event_subscribed; deltas follow for all
// of them. Markets the catalog adds to a followed event later are followed too. Unknown events and
// subscription limits are refused and change nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed, signToken, startHarness, TestClient, type Harness } from './testing/ws-harness.js';

let h: Harness;
const EVENTS = new Map<number, number[]>([
  [9, [21, 22, 23]],
  [10, [21, 404]],
]);

beforeAll(async () => {
  h = await startHarness({
    marketSubscriptionsMax: 4,
    eventMarkets: async (eventId) => EVENTS.get(eventId) ?? null,
    marketEvent: async (marketId) => [...EVENTS].find(([, marketIds]) => marketIds.includes(marketId))?.[0] ?? null,
  });
  await seed(h, [1, 2], [{ marketId: 21, runnerCount: 3 }, { marketId: 22, runnerCount: 2 }, { marketId: 23, runnerCount: 2 }]);
});
afterAll(async () => h.stop());

describe('subscribe_event', () => {
  it('sends a snapshot of every market of the event, then event_subscribed, then deltas of each', async () => {
    const viewer = await TestClient.open(h.url);
    const answer = await viewer.request({ type: 'subscribe_event', eventId: 9 });
    expect(answer).toMatchObject({ type: 'market_snapshot' });
    const done = await viewer.next((m) => m.type === 'event_subscribed');
    expect(done).toMatchObject({ eventId: 9, marketIds: [21, 22, 23] });
    const snapshots = viewer.messages.filter((m) => m.type === 'market_snapshot');
    expect(snapshots.map((m) => (m as { marketId: number }).marketId)).toEqual([21, 22, 23]);
    // A market of the event that the engine does not know is left out.
    const partial = await TestClient.open(h.url);
    await partial.request({ type: 'subscribe_event', eventId: 10 });
    expect(await partial.next((m) => m.type === 'event_subscribed')).toMatchObject({ marketIds: [21] });

    const trader = await TestClient.open(h.url, { headers: { authorization: `Bearer ${await signToken(2)}` } });
    await trader.request({ type: 'place', clientOrderId: 'e1', marketId: 22, runnerIndex: 1, side: 'back', priceTicks: 40, stakeMinor: 300 });
    const delta = await viewer.next((m) => m.type === 'market_delta' && m.marketId === 22);
    expect(delta).toMatchObject({ levels: [[1, 'back', 40, 300]] });
    for (const client of [viewer, partial, trader]) await client.close();
  });

  it('refuses an unknown event, and an event whose markets would pass the subscription limit, changing nothing', async () => {
    const viewer = await TestClient.open(h.url);
    expect(await viewer.request({ type: 'subscribe_event', eventId: 77 })).toMatchObject({ type: 'error', code: 'unknown_event' });
    await viewer.request({ type: 'subscribe_market', marketId: 21 });
    await viewer.request({ type: 'subscribe_market', marketId: 22 });
    // 21 and 22 are held; event 9 adds only 23 (three of the four allowed).
    expect(await viewer.request({ type: 'subscribe_event', eventId: 9 })).toMatchObject({ type: 'market_snapshot' });
    await viewer.next((m) => m.type === 'event_subscribed');
    // Event 11 would add 24 and 25: five of four, so nothing is subscribed.
    EVENTS.set(11, [21, 22, 23, 24, 25]);
    await h.submit({ type: 'CreateMarket', marketId: 24, runnerCount: 2 });
    await h.submit({ type: 'CreateMarket', marketId: 25, runnerCount: 2 });
    const before = viewer.messages.length;
    expect(await viewer.request({ type: 'subscribe_event', eventId: 11 })).toMatchObject({ type: 'error', code: 'too_many_subscriptions' });
    expect(viewer.messages.slice(before).filter((m) => m.type === 'market_snapshot')).toEqual([]);
    expect(await viewer.request({ type: 'unsubscribe_market', marketId: 24 })).toMatchObject({ type: 'error', code: 'not_subscribed' });
    await viewer.close();
  });

  it('follows a market the catalog adds to the event later, within the limit, until unsubscribe_event', async () => {
    EVENTS.set(12, [31]);
    await h.submit({ type: 'CreateMarket', marketId: 31, runnerCount: 2 });
    const follower = await TestClient.open(h.url);
    const full = await TestClient.open(h.url);
    for (const marketId of [21, 22, 23]) await full.request({ type: 'subscribe_market', marketId });
    const subscribeId = 'ev12';
    follower.sendRaw({ id: subscribeId, type: 'subscribe_event', eventId: 12 });
    full.sendRaw({ id: subscribeId, type: 'subscribe_event', eventId: 12 });
    await follower.next((m) => m.type === 'event_subscribed');
    await full.next((m) => m.type === 'event_subscribed');

    // The catalog adds market 32 to event 12; the engine creates it.
    EVENTS.set(12, [31, 32]);
    await h.submit({ type: 'CreateMarket', marketId: 32, runnerCount: 3 });
    const added = await follower.next((m) => m.type === 'event_market_added');
    expect(added).toEqual({ type: 'event_market_added', eventId: 12, marketId: 32, subscribed: true });
    const snapshot = follower.messages.find((m) => m.type === 'market_snapshot' && m.marketId === 32);
    expect(snapshot).toMatchObject({ id: subscribeId, runners: [expect.anything(), expect.anything(), expect.anything()] });
    expect(follower.messages.indexOf(snapshot!)).toBeLessThan(follower.messages.indexOf(added));
    // The other connection already holds four markets: told, but nothing subscribed.
    expect(await full.next((m) => m.type === 'event_market_added')).toMatchObject({ marketId: 32, subscribed: false });
    expect(full.messages.filter((m) => m.type === 'market_snapshot' && m.marketId === 32)).toEqual([]);

    const trader = await TestClient.token(h.url, 2);
    await trader.request({ type: 'place', clientOrderId: 'e32', marketId: 32, runnerIndex: 2, side: 'lay', priceTicks: 50, stakeMinor: 500 });
    expect(await follower.next((m) => m.type === 'market_delta' && m.marketId === 32)).toMatchObject({ levels: [[2, 'lay', 50, 500]] });

    // unsubscribe_event drops the event's markets and stops following it.
    expect(await follower.request({ type: 'unsubscribe_event', eventId: 12 })).toMatchObject({ type: 'unsubscribed', topic: 'event', eventId: 12 });
    expect(await follower.request({ type: 'unsubscribe_market', marketId: 32 })).toMatchObject({ type: 'error', code: 'not_subscribed' });
    expect(await follower.request({ type: 'unsubscribe_event', eventId: 12 })).toMatchObject({ type: 'error', code: 'not_subscribed' });
    EVENTS.set(12, [31, 32, 33]);
    const before = follower.messages.length;
    await h.submit({ type: 'CreateMarket', marketId: 33, runnerCount: 2 });
    // The connection still holding the event hears of 33 (so the server has handled it) ...
    expect(await full.next((m) => m.type === 'event_market_added' && m.marketId === 33)).toMatchObject({ subscribed: false });
    // ... and the one that left it does not.
    expect(await follower.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(follower.messages.slice(before).filter((m) => m.type !== 'pong')).toEqual([]);
    for (const client of [follower, full, trader]) await client.close();
  });
});
