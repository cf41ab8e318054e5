// Market data by event: subscribe_event resolves the event's markets through the catalog lookup
// the server is given, and answers a snapshot of each then event_subscribed; deltas follow for all
// of them. Unknown events and subscription limits are refused and change nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed, signToken, startHarness, TestClient, type Harness } from './testing/ws-harness.js';

let h: Harness;
const EVENTS = new Map<number, number[]>([
  [9, [21, 22, 23]],
  [10, [21, 404]],
]);

beforeAll(async () => {
  h = await startHarness({ marketSubscriptionsMax: 4, eventMarkets: async (eventId) => EVENTS.get(eventId) ?? null });
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
});
