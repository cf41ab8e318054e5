// Odds ladders. Odds are never stored as decimals: a price is an integer tick index into a
// market's ladder, and the ladder maps each tick to decimal odds × 100 (an integer).

import { assert } from './assert.js';
import { PRICE_X100_MAX } from './limits.js';

export interface Ladder {
  /** Stable name journaled with the market definition. */
  readonly id: string;
  /** Decimal odds × 100 for each tick, strictly increasing, all > 100. */
  readonly pricesX100: readonly number[];
}

/** [upper bound × 100, step × 100] bands of the standard 350-tick ladder from 1.01 to 1000. */
const STANDARD_BANDS: ReadonlyArray<readonly [number, number]> = [
  [200, 1],
  [300, 2],
  [400, 5],
  [600, 10],
  [1000, 20],
  [2000, 50],
  [3000, 100],
  [5000, 200],
  [10000, 500],
  [100000, 1000],
];

function buildStandard(): number[] {
  const prices: number[] = [];
  let price = 100;
  for (const [upperX100, stepX100] of STANDARD_BANDS) {
    while (price < upperX100) {
      price += stepX100;
      prices.push(price);
    }
  }
  return prices;
}

export const STANDARD_LADDER: Ladder = Object.freeze({
  id: 'standard',
  pricesX100: Object.freeze(buildStandard()),
});

/** Every 0.01 step from 1.01 to 1000 (for line and handicap markets). */
export const FINEST_LADDER: Ladder = Object.freeze({
  id: 'finest',
  pricesX100: Object.freeze(Array.from({ length: PRICE_X100_MAX - 100 }, (_, i) => 101 + i)),
});

const LADDERS: ReadonlyMap<string, Ladder> = new Map([
  [STANDARD_LADDER.id, STANDARD_LADDER],
  [FINEST_LADDER.id, FINEST_LADDER],
]);

export function ladderById(id: string): Ladder | undefined {
  return LADDERS.get(id);
}

export function isTick(ladder: Ladder, priceTicks: unknown): priceTicks is number {
  return (
    typeof priceTicks === 'number' &&
    Number.isInteger(priceTicks) &&
    priceTicks >= 0 &&
    priceTicks < ladder.pricesX100.length
  );
}

export function priceX100OfTick(ladder: Ladder, priceTicks: number): number {
  const priceX100 = ladder.pricesX100[priceTicks];
  // The message is built only on failure: this runs for every order and fill.
  if (priceX100 === undefined) assert(false, `tick ${priceTicks} is off the ${ladder.id} ladder`);
  return priceX100;
}

/** The tick of an exact price, or -1 when the price is not on the ladder. */
export function tickOfPriceX100(ladder: Ladder, priceX100: number): number {
  const prices = ladder.pricesX100;
  let lo = 0;
  let hi = prices.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const value = prices[mid] as number;
    if (value === priceX100) return mid;
    if (value < priceX100) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Parses decimal odds written as text ("2.5", "1.01", "1000") into a tick, or -1 when the text is
 * not a price on the ladder. Parsing is done on the digits, never through floating point.
 */
export function tickOfDecimalOdds(ladder: Ladder, text: string): number {
  const match = /^(\d{1,4})(?:\.(\d{1,2}))?$/.exec(text);
  if (match === null) return -1;
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '0').padEnd(2, '0'));
  return tickOfPriceX100(ladder, whole * 100 + fraction);
}

/** Decimal odds as text for display and the wire ("2.5" for 250). */
export function decimalOddsText(priceX100: number): string {
  const whole = Math.trunc(priceX100 / 100);
  const cents = priceX100 % 100;
  if (cents === 0) return String(whole);
  return `${whole}.${String(cents).padStart(2, '0').replace(/0$/, '')}`;
}

// The standard ladder has exactly 350 prices from 1.01 to 1000.
assert(STANDARD_LADDER.pricesX100.length === 350, 'the standard ladder has 350 ticks');
assert(STANDARD_LADDER.pricesX100[0] === 101, 'the standard ladder starts at 1.01');
assert(STANDARD_LADDER.pricesX100[349] === 100000, 'the standard ladder ends at 1000');
