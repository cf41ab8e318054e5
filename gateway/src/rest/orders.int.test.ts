// Markets, the wallet, test deposits, placing and cancelling orders: strict inputs, the
// Idempotency-Key, and object-level authorization (another account's order is 404).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAndLogin, startRestHarness, type RestHarness, type Session } from '../testing/rest-harness.js';

let h: RestHarness;
let alice: Session;
let bob: Session;
const MARKET_ID = 7;

beforeAll(async () => {
  h = await startRestHarness();
  await h.engine.submit({ type: 'CreateMarket', marketId: MARKET_ID, runnerCount: 2 });
  alice = await registerAndLogin(h.app, 'alice@example.com');
  bob = await registerAndLogin(h.app, 'bob@example.com');
  for (const [session, key] of [[alice, 'seed-a'], [bob, 'seed-b']] as const) {
    const response = await deposit(session, 1_000_00, key);
    expect(response.statusCode).toBe(201);
  }
});
afterAll(async () => {
  await h?.stop();
});

function deposit(session: Session, amountMinor: unknown, key: string | null) {
  return h.app.inject({ method: 'POST', url: '/v1/deposits/test', headers: { ...session.headers, ...(key === null ? {} : { 'idempotency-key': key }) }, payload: { amountMinor } as object });
}

function place(session: Session, body: Record<string, unknown>, key: string | null) {
  return h.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...session.headers, ...(key === null ? {} : { 'idempotency-key': key }) }, payload: body });
}

const order = { marketId: MARKET_ID, runnerIndex: 0, side: 'back', priceTicks: 100, stakeMinor: 10_00 };

describe('markets and the wallet', () => {
  it('lists markets with status, runners and best prices', async () => {
    const list = await h.app.inject({ method: 'GET', url: '/v1/markets', headers: alice.headers });
    expect(list.statusCode).toBe(200);
    expect((list.json() as { markets: Array<{ marketId: number }> }).markets.map((m) => m.marketId)).toContain(MARKET_ID);
    const one = await h.app.inject({ method: 'GET', url: `/v1/markets/${MARKET_ID}`, headers: alice.headers });
    expect(one.json()).toMatchObject({ marketId: MARKET_ID, status: 'open', runnerCount: 2, ladderId: 'standard', runners: [{ runnerIndex: 0 }, { runnerIndex: 1 }] });
    for (const [url, status] of [['/v1/markets/999', 404], ['/v1/markets/abc', 400], ['/v1/markets/0', 400], ['/v1/markets/9999999999999999', 404], ['/v1/markets/99999999999999999', 400]] as const) {
      expect((await h.app.inject({ method: 'GET', url, headers: alice.headers })).statusCode).toBe(status);
    }
  });

  it('shows each account only its own wallet', async () => {
    const mine = await h.app.inject({ method: 'GET', url: '/v1/account', headers: alice.headers });
    expect(mine.json()).toEqual({ accountId: alice.accountId, balanceMinor: 1_000_00, exposureMinor: 0, availableMinor: 1_000_00 });
    const probe = await h.app.inject({ method: 'GET', url: `/v1/account?accountId=${bob.accountId}`, headers: alice.headers });
    expect(probe.statusCode).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: `/v1/admin/accounts/${bob.accountId}`, headers: alice.headers })).statusCode).toBe(403);
  });

  it('test deposits need an Idempotency-Key; a replay returns the first response, another body is 422', async () => {
    expect((await deposit(alice, 5_00, null)).json()).toMatchObject({ error: { code: 'missing_idempotency_key' } });
    const first = await deposit(alice, 5_00, 'dep-1');
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ amountMinor: 5_00, balanceMinor: 1_005_00, test: true });
    const replay = await deposit(alice, 5_00, 'dep-1');
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const mismatch = await deposit(alice, 6_00, 'dep-1');
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.json()).toMatchObject({ error: { code: 'idempotency_key_mismatch' } });
    // The same key is another request for another account.
    expect((await deposit(bob, 5_00, 'dep-1')).statusCode).toBe(201);
    const wallet = await h.app.inject({ method: 'GET', url: '/v1/account', headers: alice.headers });
    expect(wallet.json()).toMatchObject({ balanceMinor: 1_005_00 });
  });

  it('refuses bad amounts without crediting anything', async () => {
    for (const amountMinor of ['1000', -1, 0, 1.5, 2 ** 53 + 1, 10_000_000_001, null, 'NaN', 'Infinity', '1e3', true]) {
      const response = await deposit(bob, amountMinor, `bad-${String(amountMinor)}`);
      expect({ amountMinor, status: response.statusCode }).toEqual({ amountMinor, status: 400 });
    }
    const raw = await h.app.inject({ method: 'POST', url: '/v1/deposits/test', headers: { ...bob.headers, 'idempotency-key': 'raw-nan', 'content-type': 'application/json' }, payload: '{"amountMinor": NaN}' });
    expect(raw.statusCode).toBe(400);
    const wallet = await h.app.inject({ method: 'GET', url: '/v1/account', headers: bob.headers });
    expect(wallet.json()).toMatchObject({ balanceMinor: 1_005_00 });
  });
});

describe('orders', () => {
  it('rejects unknown or forbidden fields and bad stakes with 400, and places nothing', async () => {
    const cases: Array<Record<string, unknown>> = [
      { ...order, accountId: bob.accountId },
      { ...order, userId: 1 },
      { ...order, role: 'admin' },
      { ...order, isAdmin: true },
      { ...order, filled: 0 },
      { ...order, stakeMinor: '1000' },
      { ...order, stakeMinor: 2 ** 53 + 1 },
      { ...order, stakeMinor: -5 },
      { ...order, stakeMinor: 0 },
      { ...order, stakeMinor: 10.5 },
      { ...order, stakeMinor: 'NaN' },
      { ...order, priceTicks: -1 },
      { ...order, priceTicks: '100' },
      { ...order, side: 'sideways' },
      { ...order, marketId: '7' },
    ];
    for (const [index, body] of cases.entries()) {
      const response = await place(alice, body, `bad-order-${index}`);
      expect({ index, status: response.statusCode }).toEqual({ index, status: 400 });
    }
    expect((await place(alice, order, null)).json()).toMatchObject({ error: { code: 'missing_idempotency_key' } });
    const orders = await h.app.inject({ method: 'GET', url: '/v1/orders', headers: alice.headers });
    expect(orders.json()).toEqual({ open: [], recentlyClosed: [] });
  });

  it('places an order once per Idempotency-Key and lists it; a reused key with another body is 422', async () => {
    const first = await place(alice, order, 'place-1');
    expect(first.statusCode).toBe(201);
    const placed = first.json() as { orderId: number; status: string; clientOrderId: string };
    expect(placed).toMatchObject({ status: 'accepted', matchedMinor: 0, remainingMinor: 10_00 });
    const replay = await place(alice, { stakeMinor: 10_00, side: 'back', runnerIndex: 0, priceTicks: 100, marketId: MARKET_ID }, 'place-1');
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toEqual(placed);
    expect((await place(alice, { ...order, stakeMinor: 11_00 }, 'place-1')).statusCode).toBe(422);

    const list = (await h.app.inject({ method: 'GET', url: '/v1/orders', headers: alice.headers })).json() as { open: Array<{ orderId: number; volumeAheadMinor: number | null }> };
    expect(list.open.map((o) => o.orderId)).toEqual([placed.orderId]);
    const filtered = await h.app.inject({ method: 'GET', url: '/v1/orders?marketId=999', headers: alice.headers });
    expect(filtered.json()).toEqual({ open: [], recentlyClosed: [] });
    const wallet = (await h.app.inject({ method: 'GET', url: '/v1/account', headers: alice.headers })).json() as { exposureMinor: number; availableMinor: number; balanceMinor: number };
    expect(wallet.exposureMinor).toBe(10_00);
    expect(wallet.availableMinor).toBe(wallet.balanceMinor - 10_00);

    const bobsView = await h.app.inject({ method: 'GET', url: '/v1/orders', headers: bob.headers });
    expect((bobsView.json() as { open: unknown[] }).open).toEqual([]);
  });

  it('returns engine rejections as errors with their reject code', async () => {
    const poor = await place(bob, { ...order, stakeMinor: 5_000_00 }, 'too-big');
    expect(poor.statusCode).toBe(422);
    expect(poor.json()).toMatchObject({ error: { code: 'insufficient_funds' } });
    const replay = await place(bob, { ...order, stakeMinor: 5_000_00 }, 'too-big');
    expect(replay.json()).toEqual(poor.json());
    expect((await place(bob, { ...order, marketId: 999 }, 'no-market')).json()).toMatchObject({ error: { code: 'unknown_market' } });
    expect((await place(bob, { ...order, priceTicks: 5000 }, 'off-ladder')).json()).toMatchObject({ error: { code: 'invalid_price' } });
  });

  it('one account cannot cancel another\'s order (404, order unchanged); the owner can', async () => {
    const placed = (await place(alice, { ...order, priceTicks: 120 }, 'place-2')).json() as { orderId: number };
    const stolen = await h.app.inject({ method: 'DELETE', url: `/v1/orders/${placed.orderId}`, headers: bob.headers });
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json()).toMatchObject({ error: { code: 'order_not_found' } });
    const missing = await h.app.inject({ method: 'DELETE', url: '/v1/orders/987654', headers: bob.headers });
    expect(missing.json()).toEqual(stolen.json());
    expect(h.readModels.orders.openOrder(alice.accountId, placed.orderId)).toMatchObject({ remainingMinor: 10_00 });

    const cancelled = await h.app.inject({ method: 'DELETE', url: `/v1/orders/${placed.orderId}`, headers: alice.headers });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toEqual({ status: 'cancelled', orderId: placed.orderId, marketId: MARKET_ID, matchedMinor: 0, cancelledMinor: 10_00 });
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/orders/${placed.orderId}`, headers: alice.headers })).statusCode).toBe(404);
    const list = (await h.app.inject({ method: 'GET', url: '/v1/orders', headers: alice.headers })).json() as { recentlyClosed: Array<{ orderId: number; closeReason: string }> };
    expect(list.recentlyClosed).toContainEqual(expect.objectContaining({ orderId: placed.orderId, closeReason: 'cancelled' }));
  });

  it('matches two accounts\' orders and shows the best prices and what traded in the catalog', async () => {
    type Summary = { matchedMinor: number; runners: Array<{ back: Array<{ priceTicks: number; totalMinor: number; priceX100: number }>; lastPriceTicks: number | null; matchedMinor: number }> };
    const before = (await h.app.inject({ method: 'GET', url: `/v1/markets/${MARKET_ID}`, headers: bob.headers })).json() as Summary;
    const lay = await place(bob, { ...order, side: 'lay', priceTicks: 100, stakeMinor: 4_00 }, 'lay-1');
    expect(lay.json()).toMatchObject({ status: 'accepted', matchedMinor: 4_00, remainingMinor: 0, closeReason: 'matched' });
    const market = (await h.app.inject({ method: 'GET', url: `/v1/markets/${MARKET_ID}`, headers: bob.headers })).json() as Summary;
    expect(market.runners[0]?.back[0]).toEqual({ priceTicks: 100, priceX100: 202, totalMinor: 6_00 });
    expect(market.runners[0]?.lastPriceTicks).toBe(100);
    expect(market.runners[0]?.matchedMinor).toBe((before.runners[0]?.matchedMinor ?? -1) + 4_00);
    expect(market.matchedMinor).toBe(before.matchedMinor + 4_00);
    expect(market.runners[1]).toMatchObject({ lastPriceTicks: before.runners[1]?.lastPriceTicks, matchedMinor: before.runners[1]?.matchedMinor });
  });
});
