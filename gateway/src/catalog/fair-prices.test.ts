import { describe, expect, it } from 'vitest';
import { STANDARD_LADDER, priceX100OfTick, tickOfDecimalOdds } from '@playchacha/protocol';
import { drawnScore, fairTick, goalMeans, runnerProbabilities } from './fair-prices.js';
import { MARKET_TYPE_DEFINITIONS, MARKET_TYPES } from './market-types.js';

describe('fair prices', () => {
  it('give each market type runner probabilities that sum to its number of winners', () => {
    const means = goalMeans('epl-20261128-mci-tot');
    for (const type of MARKET_TYPES) {
      const total = runnerProbabilities(type, means).reduce((sum, p) => sum + p, 0);
      expect(total).toBeCloseTo(MARKET_TYPE_DEFINITIONS[type].numberOfWinners, 4);
    }
  });

  it('favour the stronger side', () => {
    const [home, away] = runnerProbabilities('match_odds', { homeMean: 2.2, awayMean: 0.7 });
    expect(home).toBeGreaterThan(0.6);
    expect(away).toBeLessThan(0.15);
  });

  it('round fair odds to the nearest tick of the ladder', () => {
    expect(fairTick(0.5)).toBe(tickOfDecimalOdds(STANDARD_LADDER, '2'));
    expect(priceX100OfTick(STANDARD_LADDER, fairTick(1 / 3.33))).toBe(335);
    expect(fairTick(1)).toBe(0);
    expect(fairTick(0)).toBe(STANDARD_LADDER.pricesX100.length - 1);
  });

  it('draw the same result for the same key', () => {
    expect(drawnScore('demo:x')).toEqual(drawnScore('demo:x'));
    const scores = Array.from({ length: 200 }, (_, i) => drawnScore(`k${i}`));
    expect(new Set(scores.map((s) => `${s.homeGoals}-${s.awayGoals}`)).size).toBeGreaterThan(8);
  });
});
