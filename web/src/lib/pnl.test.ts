import { describe, expect, it } from 'vitest';
import { commissionMinor, matchedBetOf, resultIfWins, slipOutcome } from './pnl';

describe('the bet slip figures', () => {
  it('shows a back bet\'s profit and its stake at risk', () => {
    expect(slipOutcome('back', 1000, 250)).toEqual({ profitMinor: 1500, riskMinor: 1000 });
  });

  it('shows a lay bet\'s liability and the backer\'s stake as its profit', () => {
    expect(slipOutcome('lay', 1000, 250)).toEqual({ profitMinor: 1000, riskMinor: 1500 });
  });

  it('rounds the liability down, as the engine does', () => {
    // 0.33 × (1.01 − 1) = 0.0033: no whole minor unit.
    expect(slipOutcome('back', 33, 101)).toEqual({ profitMinor: 0, riskMinor: 33 });
    expect(slipOutcome('lay', 333, 133)).toEqual({ profitMinor: 333, riskMinor: 109 });
  });
});

describe('the result per outcome', () => {
  it('nets backs and lays across runners', () => {
    const bets = [
      { runnerIndex: 0, side: 'back' as const, stakeMinor: 1000, liabilityMinor: 1000 },
      { runnerIndex: 1, side: 'lay' as const, stakeMinor: 500, liabilityMinor: 750 },
    ];
    // Runner 0 wins: +1000 on the back, +500 on the lay of runner 1.
    // Runner 1 wins: −1000 on the back, −750 on the lay.
    // Runner 2 wins: −1000 on the back, +500 on the lay.
    expect(resultIfWins(3, bets)).toEqual([1500, -1750, -500]);
  });

  it('is zero everywhere without bets, and a back and a lay at one price cancel out', () => {
    expect(resultIfWins(2, [])).toEqual([0, 0]);
    const hedged = [
      { runnerIndex: 0, side: 'back' as const, stakeMinor: 1000, liabilityMinor: 1000 },
      { runnerIndex: 0, side: 'lay' as const, stakeMinor: 1000, liabilityMinor: 1000 },
    ];
    expect(resultIfWins(2, hedged)).toEqual([0, 0]);
  });
});

describe('valuing an order\'s matched part', () => {
  const order = { orderId: 1, runnerIndex: 0, side: 'back' as const, priceTicks: 99, matchedMinor: 1000, averagePriceX100: null };

  it('is exact from its fills', () => {
    const fills = [{ stakeMinor: 400, liabilityMinor: 440 }, { stakeMinor: 600, liabilityMinor: 600 }];
    expect(matchedBetOf({ ...order, averagePriceX100: 204 }, fills, 200)).toEqual({ runnerIndex: 0, side: 'back', stakeMinor: 1000, liabilityMinor: 1040, exact: true });
  });

  it('is exact from a whole mean price when the fills are unknown', () => {
    expect(matchedBetOf({ ...order, averagePriceX100: 210 }, undefined, 200)).toMatchObject({ liabilityMinor: 1100, exact: true });
  });

  it('falls back to the order\'s own price, marked approximate, when fills are partial and the mean is fractional', () => {
    const partial = [{ stakeMinor: 400, liabilityMinor: 440 }];
    expect(matchedBetOf({ ...order, averagePriceX100: 203.33 }, partial, 200)).toMatchObject({ liabilityMinor: 1000, exact: false });
  });
});

describe('commission', () => {
  it('is charged on a positive result only, rounded down', () => {
    expect(commissionMinor(1000, 500)).toBe(50);
    expect(commissionMinor(1019, 500)).toBe(50);
    expect(commissionMinor(0, 500)).toBe(0);
    expect(commissionMinor(-1000, 500)).toBe(0);
    expect(commissionMinor(12345, 0)).toBe(0);
  });
});
