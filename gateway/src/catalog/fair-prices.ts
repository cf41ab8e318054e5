// Fair prices for the demo market maker: each side's goals are independent Poisson counts with
// means drawn from the event's key, and every market type's runner probabilities follow from the
// score grid. Pure and deterministic (the same key gives the same prices and the same result).

import { mulberry32, STANDARD_LADDER, type Ladder } from '@playchacha/protocol';
import { MARKET_TYPE_DEFINITIONS, type FullTimeScore, type MarketType } from './market-types.js';

const GOALS_MAX = 10;

export interface GoalMeans {
  readonly homeMean: number;
  readonly awayMean: number;
}

/** A 32-bit FNV-1a hash of a text. */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** Home 0.8–2.3 goals, away 0.6–1.9, from the key. */
export function goalMeans(key: string): GoalMeans {
  const random = mulberry32(hashText(key));
  return { homeMean: 0.8 + random() * 1.5, awayMean: 0.6 + random() * 1.3 };
}

function poisson(mean: number): number[] {
  const p: number[] = [Math.exp(-mean)];
  for (let k = 1; k <= GOALS_MAX; k++) p.push(((p[k - 1] as number) * mean) / k);
  return p;
}

/** Each runner's probability of being among the winners. */
export function runnerProbabilities(marketType: MarketType, means: GoalMeans): number[] {
  const definition = MARKET_TYPE_DEFINITIONS[marketType];
  const probabilities = definition.runners('home', 'away').map(() => 0);
  const home = poisson(means.homeMean);
  const away = poisson(means.awayMean);
  for (let h = 0; h <= GOALS_MAX; h++) {
    for (let a = 0; a <= GOALS_MAX; a++) {
      const p = (home[h] as number) * (away[a] as number);
      for (const winner of definition.winners({ homeGoals: h, awayGoals: a })) probabilities[winner.runnerIndex] = (probabilities[winner.runnerIndex] as number) + p;
    }
  }
  return probabilities;
}

/** The ladder tick nearest (in odds ratio) to the fair odds 1/p. */
export function fairTick(probability: number, ladder: Ladder = STANDARD_LADDER): number {
  const prices = ladder.pricesX100;
  const target = Math.min(prices[prices.length - 1] as number, Math.max(prices[0] as number, 100 / Math.max(probability, 1e-9)));
  let low = 0;
  let high = prices.length - 1;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if ((prices[middle] as number) <= target) low = middle;
    else high = middle;
  }
  return target / (prices[low] as number) <= (prices[high] as number) / target ? low : high;
}

/** A full-time score drawn from the key's goal means (the demo's results). */
export function drawnScore(key: string): FullTimeScore {
  const means = goalMeans(key);
  const random = mulberry32(hashText(`${key}:result`));
  const draw = (mean: number) => {
    const p = poisson(mean);
    let u = random();
    for (let k = 0; k < p.length; k++) {
      u -= p[k] as number;
      if (u <= 0) return k;
    }
    return GOALS_MAX;
  };
  return { homeGoals: draw(means.homeMean), awayGoals: draw(means.awayMean) };
}
