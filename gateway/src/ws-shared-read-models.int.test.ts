// The WebSocket server over the process's read models (as the gateway process runs it): it does not
// follow the engine itself, fans out what each frame changed in them, and leaves them following
// the engine when it closes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenOrApiKeyAuthenticator } from './auth.js';
import type { EngineLink } from './engine-link.js';
import { GatewayReadModels } from './read-models.js';
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, seed, startHarness, TestClient, type Harness } from './testing/ws-harness.js';
import { WS_PATH, WsServer } from './ws-server.js';

const MARKET = 3;
let h: Harness;
let follows = 0;
let readModels: GatewayReadModels;
let server: WsServer;

beforeAll(async () => {
  h = await startHarness();
  await seed(h, [1, 2], [{ marketId: MARKET, runnerCount: 2 }]);
  const link: EngineLink = {
    submit: (command, traceparent) => h.link.submit(command, traceparent),
    follow: (follower) => {
      follows++;
      return h.link.follow(follower);
    },
  };
  readModels = new GatewayReadModels(link);
  const authenticator = new TokenOrApiKeyAuthenticator({ secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE }, new Map());
  server = await WsServer.start({ link, authenticator, readModels, port: 0 });
});
afterAll(async () => {
  await server.close();
  readModels.stop();
  await h.stop();
});

describe('a WebSocket server over shared read models', () => {
  it('reads and fans out the shared read models without following the engine itself', async () => {
    expect(follows).toBe(1);
    expect(server.markets).toBe(readModels.markets);
    expect(server.orders).toBe(readModels.orders);
    const client = await TestClient.token(`ws://127.0.0.1:${server.port}${WS_PATH}`, 1);
    expect((await client.request({ type: 'subscribe_market', marketId: MARKET })).type).toBe('market_snapshot');
    expect((await client.request({ type: 'subscribe_orders' })).type).toBe('orders_snapshot');
    const reply = await client.request({ type: 'place', clientOrderId: 'shared-1', marketId: MARKET, runnerIndex: 1, side: 'back', priceTicks: 80, stakeMinor: 7_00 });
    const orderId = reply.type === 'result' && reply.results[0]?.status === 'accepted' ? reply.results[0].orderId : -1;
    expect(orderId).toBeGreaterThan(0);
    const delta = await client.next((m) => m.type === 'market_delta');
    expect(delta).toMatchObject({ marketId: MARKET, levels: [[1, 'back', 80, 7_00]] });
    const updates = await client.next((m) => m.type === 'order_updates');
    expect(updates.type === 'order_updates' ? updates.updates[0] : null).toMatchObject({ kind: 'accepted', order: { orderId, clientOrderId: 'shared-1' } });
    expect(readModels.orders.openOrder(1, orderId)).toMatchObject({ remainingMinor: 7_00 });
    expect(readModels.markets.deltasAfter(MARKET, delta.type === 'market_delta' ? delta.prevSeq : -1)).toHaveLength(1);
    expect(readModels.accounts.get(1)).toMatchObject({ exposureMinor: 7_00 });
    await client.close();
  });

  it('leaves the shared read models following the engine when it closes', async () => {
    await server.close();
    const events = await h.submit({ type: 'PlaceOrder', accountId: 2, marketId: MARKET, runnerIndex: 0, side: 'lay', priceTicks: 90, stakeMinor: 3_00, clientOrderId: 'after-close' });
    const accepted = events.find((event) => event.type === 'OrderAccepted');
    expect(accepted?.type).toBe('OrderAccepted');
    expect(readModels.orders.openOrder(2, accepted?.type === 'OrderAccepted' ? accepted.orderId : -1)).toMatchObject({ clientOrderId: 'after-close', remainingMinor: 3_00 });
    expect(readModels.markets.snapshot(MARKET)?.runners[0]?.lay).toEqual([[90, 3_00]]);
  });
});
