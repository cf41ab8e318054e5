// Integer money. Every amount is a safe integer of minor units (pence, cents); every division
// names its rounding. No floating point is ever used to compute an amount.
import { assert } from './assert.js';
import { STAKE_MINOR_MAX, PRICE_X100_MAX } from './limits.js';

export function isMinor(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

export function assertMinor(value: number, what: string): void {
  assert(Number.isSafeInteger(value), `${what} must be a safe integer, got ${value}`);
}

/**
 * The layer's liability (= the backer's profit) for a matched backer's stake at decimal odds
 * priceX100 / 100: floor(stake × (priceX100 − 100) / 100). Both sides of a match use this one
 * number, so back profit equals lay liability exactly; the sub-unit remainder stays with the
 * layer (the backer's profit is rounded down).
 */
export function liabilityMinor(stakeMinor: number, priceX100: number): number {
  assert(stakeMinor >= 0 && stakeMinor <= STAKE_MINOR_MAX, 'stake out of range');
  assert(priceX100 > 100 && priceX100 <= PRICE_X100_MAX, 'price out of range');
  return divFloor(stakeMinor * (priceX100 - 100), 100);
}

/** floor(n / d) for a safe integer n and a positive safe integer d, exactly (no float rounding). */
export function divFloor(n: number, d: number): number {
  assert(Number.isSafeInteger(n) && Number.isSafeInteger(d) && d > 0, 'divFloor needs safe integers');
  const remainder = n % d;
  const quotient = (n - remainder) / d;
  return remainder < 0 ? quotient - 1 : quotient;
}

/** floor(a × numerator / denominator) computed exactly, for any safe integers (denominator > 0). */
export function mulDivFloor(a: number, numerator: number, denominator: number): number {
  assert(denominator > 0, 'denominator must be positive');
  const product = a * numerator;
  if (Number.isSafeInteger(product)) return divFloor(product, denominator);
  const big = BigInt(a) * BigInt(numerator);
  const d = BigInt(denominator);
  let q = big / d;
  if (big % d !== 0n && big < 0n) q -= 1n;
  const result = Number(q);
  assert(Number.isSafeInteger(result), 'mulDivFloor result out of range');
  return result;
}
