// Odds on the market's ladder. A price is always a tick; the bettor steps along the ladder or types
// decimal odds, which are accepted only when they are exactly a price on it.

import { decimalOddsText, ladderById, priceX100OfTick, STANDARD_LADDER, tickOfDecimalOdds, type Ladder } from '@playchacha/protocol';

export function ladderOf(ladderId: string | undefined): Ladder {
  return (ladderId === undefined ? undefined : ladderById(ladderId)) ?? STANDARD_LADDER;
}

/** The tick `steps` ticks away (negative = shorter odds), kept on the ladder. */
export function stepTick(ladder: Ladder, priceTicks: number, steps: number): number {
  const last = ladder.pricesX100.length - 1;
  return Math.min(last, Math.max(0, priceTicks + steps));
}

export function oddsText(ladder: Ladder, priceTicks: number): string {
  return decimalOddsText(priceX100OfTick(ladder, priceTicks));
}

export type ParsedOdds = { readonly ok: true; readonly priceTicks: number } | { readonly ok: false; readonly error: string; readonly nearestTicks: number | null };

/**
 * Typed decimal odds → a tick, or a refusal naming the nearest prices on the ladder ("2.03 is not a
 * price on the ladder: 2.02 or 2.04").
 */
export function parseOdds(ladder: Ladder, text: string): ParsedOdds {
  const cleaned = text.trim();
  const tick = tickOfDecimalOdds(ladder, cleaned);
  if (tick >= 0) return { ok: true, priceTicks: tick };
  const match = /^(\d{1,4})(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (match === null) return { ok: false, error: 'Enter decimal odds such as 2.5.', nearestTicks: null };
  const priceX100 = Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'));
  const prices = ladder.pricesX100;
  const first = prices[0] as number;
  const last = prices[prices.length - 1] as number;
  if (priceX100 < first) return { ok: false, error: `The lowest price is ${decimalOddsText(first)}.`, nearestTicks: 0 };
  if (priceX100 > last) return { ok: false, error: `The highest price is ${decimalOddsText(last)}.`, nearestTicks: prices.length - 1 };
  let above = 0;
  while ((prices[above] as number) < priceX100) above++;
  const below = above - 1;
  return {
    ok: false,
    error: `${cleaned} is not a price on the ladder: ${decimalOddsText(prices[below] as number)} or ${decimalOddsText(prices[above] as number)}.`,
    nearestTicks: below,
  };
}
