// The seeded order flow the partitioned engine's tests run: four 3-runner markets and six funded
// accounts, places at prices around one tick (so they cross often), mass cancels and withdrawals,
// then closes, settlements, a void and a resettlement.

import { mulberry32, type Command } from '@playchacha/protocol';

const MARKETS = [1, 2, 3, 4];
const ACCOUNTS = [1, 2, 3, 4, 5, 6];

export function opening(): Command[] {
  const commands: Command[] = MARKETS.map((marketId) => ({ type: 'CreateMarket', marketId, runnerCount: 3 }));
  for (const accountId of ACCOUNTS) {
    commands.push({ type: 'OpenAccount', accountId });
    commands.push({ type: 'Deposit', accountId, transferId: `open-${accountId}`, amountMinor: 1_000_000_000 });
  }
  return commands;
}

/** Places at prices around one tick so that they cross often, mass cancels and a few withdrawals. */
export function orderFlow(seed: number, count: number): Command[] {
  const random = mulberry32(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const commands: Command[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random();
    const accountId = pick(ACCOUNTS);
    if (roll < 0.9) {
      commands.push({
        type: 'PlaceOrder',
        accountId,
        clientOrderId: `c${i}`,
        marketId: pick(MARKETS),
        runnerIndex: Math.floor(random() * 3),
        side: random() < 0.5 ? 'back' : 'lay',
        priceTicks: 96 + Math.floor(random() * 9),
        stakeMinor: 1 + Math.floor(random() * 5_000),
      });
    } else if (roll < 0.97) {
      commands.push({ type: 'MassCancel', accountId, marketId: pick(MARKETS) });
    } else {
      commands.push({ type: 'Withdraw', accountId, transferId: `w${i}`, amountMinor: 1 + Math.floor(random() * 1_000) });
    }
  }
  return commands;
}

export function closing(): Command[] {
  return [
    ...MARKETS.map((marketId): Command => ({ type: 'CloseMarket', marketId })),
    { type: 'SettleMarket', marketId: 1, winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 1 }] },
    { type: 'SettleMarket', marketId: 2, winners: [{ runnerIndex: 1, factorNumerator: 1, factorDenominator: 1 }] },
    { type: 'VoidMarket', marketId: 3, reason: 'abandoned' },
    { type: 'ResettleMarket', marketId: 1, winners: [{ runnerIndex: 2, factorNumerator: 1, factorDenominator: 1 }], reason: 'wrong result' },
  ];
}
