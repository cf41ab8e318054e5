// A day on the exchange through a real engine: deposits, matched and unmatched bets, a settlement
// with commission, a dead heat, a void with open orders, a market left open, withdrawals (one
// refused). Then a seeded random load for volume.

import { sampleCommandEnvelopes } from '@playchacha/engine/testing';
import { STANDARD_LADDER, tickOfPriceX100, type Command, type EngineEvent } from '@playchacha/protocol';
import type { EngineHarness } from './engine-harness.js';

const tick = (priceX100: number): number => tickOfPriceX100(STANDARD_LADDER, priceX100);

function place(accountId: number, clientOrderId: string, marketId: number, runnerIndex: number, side: 'back' | 'lay', priceX100: number, stakeMinor: number): Command {
  return { type: 'PlaceOrder', accountId, clientOrderId, marketId, runnerIndex, side, priceTicks: tick(priceX100), stakeMinor };
}

function expectAccepted(events: readonly EngineEvent[], what: string): void {
  const rejected = events.find((e) => e.type === 'OrderRejected' || e.type === 'CommandRejected');
  if (rejected !== undefined) throw new Error(`${what} was rejected: ${JSON.stringify(rejected)}`);
}

export async function runExchangeDay(engine: EngineHarness): Promise<void> {
  const step = async (command: Command, what = command.type): Promise<readonly EngineEvent[]> => {
    const events = await engine.submit(command);
    expectAccepted(events, what);
    return events;
  };
  for (const accountId of [1, 2, 3, 4, 5]) {
    await step({ type: 'OpenAccount', accountId });
    await step({ type: 'Deposit', accountId, transferId: `dep-${accountId}`, amountMinor: 100_000 });
  }
  await engine.submitAll([
    { type: 'CreateMarket', marketId: 10, runnerCount: 2, commissionBps: 500 },
    { type: 'CreateMarket', marketId: 11, runnerCount: 3, commissionBps: 250 },
    { type: 'CreateMarket', marketId: 12, runnerCount: 2 },
    { type: 'CreateMarket', marketId: 13, runnerCount: 2 },
  ]);

  // Market 10: a partly matched back, a matched pair on the other runner; settled, runner 0 wins.
  const back = await step(place(1, 'm10-b', 10, 0, 'back', 300, 5_000));
  await step(place(2, 'm10-l', 10, 0, 'lay', 300, 3_000));
  await engine.submitAll([place(3, 'm10-b2', 10, 1, 'back', 250, 2_000), place(4, 'm10-l2', 10, 1, 'lay', 250, 2_000)]);
  const accepted = back.find((e) => e.type === 'OrderAccepted');
  if (accepted?.type !== 'OrderAccepted') throw new Error('no OrderAccepted');
  await step({ type: 'CancelOrder', accountId: 1, marketId: 10, orderId: accepted.orderId, reduceByMinor: 500 });

  // Market 11: two matched pairs, settled as a dead heat between runners 0 and 1.
  await engine.submitAll([
    place(1, 'm11-b', 11, 0, 'back', 305, 1_001),
    place(2, 'm11-l', 11, 0, 'lay', 305, 1_001),
    place(3, 'm11-b2', 11, 1, 'back', 410, 777),
    place(5, 'm11-l2', 11, 1, 'lay', 410, 777),
  ]);

  // Market 12: a part-matched back and its layer, voided with the remainder still open.
  await step(place(4, 'm12-b', 12, 0, 'back', 200, 1_500));
  await step(place(5, 'm12-l', 12, 0, 'lay', 200, 1_000));

  // Market 13 stays open: escrow and held remain.
  await step(place(2, 'm13-b', 13, 1, 'back', 150, 4_000));
  await step(place(3, 'm13-l', 13, 1, 'lay', 150, 2_500));

  await step({ type: 'CloseMarket', marketId: 10 });
  await step({ type: 'SettleMarket', marketId: 10, winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 1 }] });
  await step({ type: 'CloseMarket', marketId: 11 });
  await step({
    type: 'SettleMarket',
    marketId: 11,
    winners: [
      { runnerIndex: 0, factorNumerator: 1, factorDenominator: 2 },
      { runnerIndex: 1, factorNumerator: 1, factorDenominator: 2 },
    ],
  });
  await step({ type: 'VoidMarket', marketId: 12, reason: 'abandoned' });

  await step({ type: 'Withdraw', accountId: 1, transferId: 'wd-1', amountMinor: 10_000 });
  await step({ type: 'Withdraw', accountId: 4, transferId: 'wd-4', amountMinor: 5_000 });
  const refused = await engine.submit({ type: 'Withdraw', accountId: 5, transferId: 'wd-5', amountMinor: 1_000_000 });
  if (!refused.some((e) => e.type === 'CommandRejected')) throw new Error('an over-large withdrawal was not refused');
}

/**
 * After runExchangeDay: account 1 withdraws everything it may, then market 10 is resettled with
 * runner 1 winning (account 1's win and more is clawed back: it owes), market 11 is voided after
 * its settlement, market 12 is un-voided with runner 0 winning, and account 1 deposits less than
 * it owes. Returns what account 1 withdrew.
 */
export async function runResettlements(engine: EngineHarness): Promise<number> {
  const step = async (command: Command, what = command.type): Promise<readonly EngineEvent[]> => {
    const events = await engine.submit(command);
    expectAccepted(events, what);
    return events;
  };
  const availableMinor = engine.partition.core.account(1)?.availableMinor ?? 0;
  await step({ type: 'Withdraw', accountId: 1, transferId: 'wd-1-all', amountMinor: availableMinor });
  const winner = (runnerIndex: number) => ({ runnerIndex, factorNumerator: 1, factorDenominator: 1 });
  await step({ type: 'ResettleMarket', marketId: 10, winners: [winner(1)], reason: 'wrong winner' });
  await step({ type: 'ResettleMarket', marketId: 11, winners: null, reason: 'event abandoned' });
  await step({ type: 'ResettleMarket', marketId: 12, winners: [winner(0)], reason: 'result confirmed' });
  await step({ type: 'Deposit', accountId: 1, transferId: 'dep-1-repay', amountMinor: 1_000 });
  return availableMinor;
}

/** A seeded random command stream, submitted in bursts of 1..24 commands (one frame per burst). */
export async function runSeededLoad(engine: EngineHarness, seed: number, maxSteps: number): Promise<void> {
  const commands = sampleCommandEnvelopes(seed, { maxSteps, minSteps: maxSteps }).map((e) => e.command);
  for (let i = 0, burst = 0; i < commands.length; burst++) {
    const size = 1 + ((burst * 2_654_435_761) >>> 0) % 24;
    await engine.submitAll(commands.slice(i, i + size));
    i += size;
  }
}
