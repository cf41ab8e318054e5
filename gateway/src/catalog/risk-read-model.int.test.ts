// The risk read model follows frames by re-copying only the positions their events name; after
// every command of a seeded flow (orders, fills, cancels, in-play lapses, settlement, void and
// resettlement) it must equal a model built afresh from the engine's positions.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, type Command } from '@playchacha/protocol';
import { seed, startHarness, type Harness } from '../testing/ws-harness.js';
import { corePositions, RiskReadModel } from './risk-read-model.js';

let h: Harness;
const ACCOUNTS = [11, 12, 13, 14, 15, 16];
const MARKETS = [31, 32, 33];

beforeAll(async () => {
  h = await startHarness();
  await seed(h, ACCOUNTS, MARKETS.map((marketId) => ({ marketId, runnerCount: 3 })));
});
afterAll(async () => h?.stop());

function view(model: RiskReadModel): unknown {
  return { markets: MARKETS.map((marketId) => model.risk(marketId, 100)), byExposure: model.marketsByExposure(), accounts: model.accountsByExposure(100) };
}

describe('the risk read model', () => {
  it('equals a fresh copy of the engine after every command of a seeded flow', async () => {
    const seedValue = 20261125;
    const random = mulberry32(seedValue);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const source = corePositions(() => h.partition.core);
    const followed = new RiskReadModel(h.link, source);
    const open = new Map<number, { accountId: number; marketId: number }>();
    const lifecycle: Command[] = [
      { type: 'TurnInPlay', marketId: 31, betDelayMs: 0 },
      { type: 'CloseMarket', marketId: 32 },
      { type: 'SettleMarket', marketId: 32, winners: [{ runnerIndex: 1, factorNumerator: 1, factorDenominator: 1 }] },
      { type: 'ResettleMarket', marketId: 32, winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 1 }], reason: 'wrong result' },
      { type: 'CloseMarket', marketId: 33 },
      { type: 'VoidMarket', marketId: 33, reason: 'abandoned' },
    ];
    try {
      for (let step = 0; step < 400; step++) {
        let command: Command;
        if (step % 60 === 59 && lifecycle.length > 0) command = lifecycle.shift() as Command;
        else if (open.size > 0 && random() < 0.25) {
          const [orderId, order] = pick([...open.entries()]);
          command = { type: 'CancelOrder', accountId: order.accountId, marketId: order.marketId, orderId };
        } else {
          const side = random() < 0.5 ? 'back' : 'lay';
          command = {
            type: 'PlaceOrder',
            accountId: pick(ACCOUNTS),
            clientOrderId: `r${step}`,
            marketId: pick(MARKETS),
            runnerIndex: Math.floor(random() * 3),
            side,
            priceTicks: side === 'back' ? 95 + Math.floor(random() * 10) : 90 + Math.floor(random() * 10),
            stakeMinor: 100 + Math.floor(random() * 5_000),
            persistence: random() < 0.5 ? 'lapse' : 'persist',
          };
        }
        for (const event of await h.submit(command)) {
          if (event.type === 'OrderAccepted') open.set(event.orderId, { accountId: event.accountId, marketId: event.marketId });
          if (event.type === 'OrderClosed') open.delete(event.orderId);
        }
        const fresh = new RiskReadModel(h.link, source);
        expect(view(followed), `step ${step} (${command.type}), seed ${seedValue}`).toEqual(view(fresh));
        fresh.stop();
      }
      // The flow reached what it meant to: money at risk on the open market, none on the finished ones.
      expect(followed.risk(31)?.accounts).toBeGreaterThan(0);
      expect(followed.risk(32)?.accounts).toBe(0);
      expect(followed.risk(33)?.accounts).toBe(0);
    } finally {
      followed.stop();
    }
  });
});
