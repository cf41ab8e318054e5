// The example bot quotes both sides of every runner through the real server and engine, requotes
// without leaving stale orders, and sees its fills on the order stream.

import WebSocket from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WsClient, type WebSocketFactory } from '../ws-client.js';
import { MAKER_API_KEY, seed, signToken, sleep, startHarness, type Harness } from '../testing/ws-harness.js';
import { MarketMakerBot } from './market-maker-bot.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await seed(h, [1, 2], [{ marketId: 1, runnerCount: 3 }]);
});
afterAll(async () => h.stop());

it('quotes a back and a lay on every runner, requotes, and follows its fills', async () => {
  const bot = await MarketMakerBot.start({ url: h.url, apiKey: MAKER_API_KEY, marketId: 1, requoteMs: 60_000 });
  const sides = () => h.partition.core.openOrders().filter((o) => o.accountId === 1).map((o) => `${o.runnerIndex}:${o.side}`).sort();
  expect(sides()).toEqual(['0:back', '0:lay', '1:back', '1:lay', '2:back', '2:lay']);
  await bot.requote();
  expect(sides()).toHaveLength(6);
  expect(bot.openQuotes).toEqual(h.partition.core.openOrders().filter((o) => o.accountId === 1).map((o) => o.orderId));
  const bettor = await WsClient.connect({ url: h.url, accessToken: await signToken(2), WebSocket: WebSocket as unknown as WebSocketFactory });
  const lay = h.partition.core.openOrders().find((o) => o.accountId === 1 && o.runnerIndex === 0 && o.side === 'lay');
  // A bettor backs into the bot's lay quote.
  await bettor.place({ clientOrderId: 'hit-1', marketId: 1, runnerIndex: 0, side: 'back', priceTicks: lay?.priceTicks ?? 0, stakeMinor: 1_00, timeInForce: 'ioc' });
  for (let i = 0; i < 200 && bot.fills.length === 0; i++) await sleep(5);
  expect(bot.fills[0]).toMatchObject({ orderId: lay?.orderId, stakeMinor: 1_00, role: 'maker' });
  bettor.close();
  bot.stop();
});
