// Order entry over the WebSocket API against the in-process engine on a file journal: place,
// cancel (full and partial), replace, batch in both modes, mass cancel, duplicates; one account
// cannot touch another's order; every reply comes after the engine journaled the command.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage, ServerMessageOf } from './ws-messages.js';
import { seed, startHarness, TestClient, type Harness } from './testing/ws-harness.js';

const MARKET = 7;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await seed(h, [1, 2, 3], [{ marketId: MARKET, runnerCount: 3 }]);
});
afterAll(async () => h.stop());

function result(message: ServerMessage): ServerMessageOf<'result'> {
  if (message.type !== 'result') throw new Error(`expected a result, got ${JSON.stringify(message)}`);
  return message;
}

describe('order entry', () => {
  it('places an order, echoing the id and client order id, only after it is journaled', async () => {
    const client = await TestClient.token(h.url, 1);
    const reply = result(await client.request({ type: 'place', clientOrderId: 'p-1', marketId: MARKET, runnerIndex: 0, side: 'back', priceTicks: 100, stakeMinor: 10_00 }));
    const [first] = reply.results;
    expect(first).toMatchObject({ status: 'accepted', kind: 'place', clientOrderId: 'p-1', matchedMinor: 0, remainingMinor: 10_00 });
    const orderId = first?.status === 'accepted' ? first.orderId : -1;
    // Journaled: the engine's durable state has it.
    expect(h.partition.core.openOrders().find((o) => o.orderId === orderId)).toMatchObject({ accountId: 1, remainingMinor: 10_00 });
    expect(await h.partition['options'].journal.lastSeq()).toBe(h.partition.appliedSeq);
    await client.close();
  });

  it('answers a repeated client order id with the original result and changes nothing', async () => {
    const client = await TestClient.token(h.url, 1);
    const order = { type: 'place', clientOrderId: 'dup-1', marketId: MARKET, runnerIndex: 1, side: 'lay', priceTicks: 50, stakeMinor: 5_00 };
    const first = result(await client.request(order)).results[0];
    const before = h.partition.core.openOrders().length;
    const second = result(await client.request(order)).results[0];
    expect(first?.status).toBe('accepted');
    expect(second).toMatchObject({ status: 'duplicate', clientOrderId: 'dup-1', orderId: first?.status === 'accepted' ? first.orderId : -1, code: null });
    expect(h.partition.core.openOrders().length).toBe(before);
    await client.close();
  });

  it('reports a match on arrival, a partial cancel that keeps the order, and a full cancel', async () => {
    const maker = await TestClient.token(h.url, 1);
    const taker = await TestClient.token(h.url, 2);
    const rest = result(await maker.request({ type: 'place', clientOrderId: 'm-1', marketId: MARKET, runnerIndex: 2, side: 'back', priceTicks: 120, stakeMinor: 30_00 })).results[0];
    const restId = rest?.status === 'accepted' ? rest.orderId : -1;
    const take = result(await taker.request({ type: 'place', clientOrderId: 't-1', marketId: MARKET, runnerIndex: 2, side: 'lay', priceTicks: 120, stakeMinor: 10_00, timeInForce: 'ioc' })).results[0];
    expect(take).toMatchObject({ status: 'accepted', matchedMinor: 10_00, remainingMinor: 0, closeReason: 'matched' });
    const reduced = result(await maker.request({ type: 'cancel', marketId: MARKET, orderId: restId, reduceByMinor: 5_00 })).results[0];
    expect(reduced).toEqual({ status: 'reduced', kind: 'cancel', orderId: restId, reducedByMinor: 5_00, remainingMinor: 15_00 });
    const cancelled = result(await maker.request({ type: 'cancel', marketId: MARKET, orderId: restId })).results[0];
    expect(cancelled).toEqual({ status: 'cancelled', kind: 'cancel', orderId: restId, matchedMinor: 10_00, cancelledMinor: 20_00 });
    expect(h.partition.core.openOrders().some((o) => o.orderId === restId)).toBe(false);
    await Promise.all([maker.close(), taker.close()]);
  });

  it('replaces an order atomically at a new price', async () => {
    const client = await TestClient.token(h.url, 1);
    const placed = result(await client.request({ type: 'place', clientOrderId: 'r-1', marketId: MARKET, runnerIndex: 0, side: 'lay', priceTicks: 40, stakeMinor: 8_00 })).results[0];
    const oldId = placed?.status === 'accepted' ? placed.orderId : -1;
    const replaced = result(await client.request({ type: 'replace', marketId: MARKET, orderId: oldId, clientOrderId: 'r-2', priceTicks: 45 })).results[0];
    expect(replaced).toMatchObject({ status: 'accepted', kind: 'replace', clientOrderId: 'r-2', replacedOrderId: oldId, remainingMinor: 8_00 });
    const open = h.partition.core.openOrders();
    expect(open.some((o) => o.orderId === oldId)).toBe(false);
    expect(open.find((o) => o.orderId === (replaced?.status === 'accepted' ? replaced.orderId : -1))).toMatchObject({ priceTicks: 45, remainingMinor: 8_00 });
    await client.close();
  });

  it('runs a best-effort batch instruction by instruction and an all-or-none batch not at all when one fails', async () => {
    const client = await TestClient.token(h.url, 3);
    const best = result(
      await client.request({
        type: 'batch',
        mode: 'best_effort',
        instructions: [
          { kind: 'place', clientOrderId: 'b-1', marketId: MARKET, runnerIndex: 0, side: 'back', priceTicks: 200, stakeMinor: 1_00 },
          { kind: 'place', clientOrderId: 'b-2', marketId: MARKET, runnerIndex: 0, side: 'back', priceTicks: 349, stakeMinor: 1_00 },
          { kind: 'place', clientOrderId: 'b-3', marketId: MARKET, runnerIndex: 9, side: 'back', priceTicks: 200, stakeMinor: 1_00 },
          { kind: 'cancel', marketId: MARKET, orderId: 999_999 },
        ],
      }),
    );
    expect(best.results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'rejected', 'rejected']);
    expect(best.results[2]).toMatchObject({ code: 'invalid_runner', clientOrderId: 'b-3' });
    expect(best.results[3]).toMatchObject({ code: 'unknown_order', orderId: 999_999 });
    const before = h.partition.core.openOrders().length;
    const aon = result(
      await client.request({
        type: 'batch',
        mode: 'all_or_none',
        instructions: [
          { kind: 'place', clientOrderId: 'a-1', marketId: MARKET, runnerIndex: 1, side: 'back', priceTicks: 200, stakeMinor: 1_00 },
          { kind: 'place', clientOrderId: 'a-2', marketId: MARKET, runnerIndex: 1, side: 'back', priceTicks: 350, stakeMinor: 1_00 },
        ],
      }),
    );
    expect(aon.results).toEqual([
      { status: 'rejected', kind: 'place', code: 'batch_instruction_rejected', clientOrderId: 'a-1' },
      { status: 'rejected', kind: 'place', code: 'invalid_price', clientOrderId: 'a-2' },
    ]);
    expect(h.partition.core.openOrders().length).toBe(before);
    await client.close();
  });

  it('mass cancels the account\'s orders on a market and nobody else\'s', async () => {
    const one = await TestClient.token(h.url, 1);
    const two = await TestClient.token(h.url, 2);
    await one.request({ type: 'place', clientOrderId: 'mc-1', marketId: MARKET, runnerIndex: 1, side: 'back', priceTicks: 300, stakeMinor: 2_00 });
    await two.request({ type: 'place', clientOrderId: 'mc-2', marketId: MARKET, runnerIndex: 1, side: 'back', priceTicks: 300, stakeMinor: 2_00 });
    const openOfOne = h.partition.core.openOrders().filter((o) => o.accountId === 1 && o.marketId === MARKET).map((o) => o.orderId);
    const openOfTwo = h.partition.core.openOrders().filter((o) => o.accountId === 2).length;
    const reply = await one.request({ type: 'mass_cancel', marketId: MARKET });
    if (reply.type !== 'mass_cancel_result') throw new Error(JSON.stringify(reply));
    expect(reply.code).toBeUndefined();
    expect(reply.orders.map((o) => o.orderId).sort((a, b) => a - b)).toEqual(openOfOne);
    expect(h.partition.core.openOrders().filter((o) => o.accountId === 1)).toEqual([]);
    expect(h.partition.core.openOrders().filter((o) => o.accountId === 2).length).toBe(openOfTwo);
    await Promise.all([one.close(), two.close()]);
  });

  it('never lets one account cancel or replace another\'s order: unknown_order, the order untouched', async () => {
    const owner = await TestClient.token(h.url, 1);
    const other = await TestClient.token(h.url, 2);
    const placed = result(await owner.request({ type: 'place', clientOrderId: 'own-1', marketId: MARKET, runnerIndex: 2, side: 'lay', priceTicks: 10, stakeMinor: 4_00 })).results[0];
    const orderId = placed?.status === 'accepted' ? placed.orderId : -1;
    const before = h.partition.core.openOrders().find((o) => o.orderId === orderId);
    const cancel = result(await other.request({ type: 'cancel', marketId: MARKET, orderId }));
    expect(cancel.results).toEqual([{ status: 'rejected', kind: 'cancel', code: 'unknown_order', orderId }]);
    const reduce = result(await other.request({ type: 'cancel', marketId: MARKET, orderId, reduceByMinor: 1_00 }));
    expect(reduce.results[0]).toMatchObject({ status: 'rejected', code: 'unknown_order' });
    const replace = result(await other.request({ type: 'replace', marketId: MARKET, orderId, clientOrderId: 'steal-1', priceTicks: 11 }));
    expect(replace.results[0]).toMatchObject({ status: 'rejected', code: 'unknown_order' });
    const forged = await other.request({ type: 'cancel', marketId: MARKET, orderId, accountId: 1 });
    expect(forged).toMatchObject({ type: 'error', code: 'forbidden_field', field: '/accountId' });
    expect(h.partition.core.openOrders().find((o) => o.orderId === orderId)).toEqual(before);
    await Promise.all([owner.close(), other.close()]);
  });

  it('speaks msgpack in binary frames', async () => {
    const client = await TestClient.token(h.url, 3, {}, 'msgpack');
    const reply = result(await client.request({ type: 'place', clientOrderId: 'mp-1', marketId: MARKET, runnerIndex: 2, side: 'back', priceTicks: 250, stakeMinor: 3_00 }));
    expect(reply.results[0]).toMatchObject({ status: 'accepted', clientOrderId: 'mp-1' });
    const pong = await client.request({ type: 'ping' });
    expect(pong.type).toBe('pong');
    await client.close();
  });
});
