// Money as the bettor types and reads it. Amounts are integers of minor units (pence, cents); a
// typed amount is parsed from its decimal text digit by digit, never through floating point.

import { STAKE_MINOR_MAX } from '@playchacha/protocol';

export type ParsedAmount = { readonly ok: true; readonly amountMinor: number } | { readonly ok: false; readonly error: string };

/**
 * Parses "12", "12.5", "12.50", "1,234.56" or ".5" (major units, at most two decimals) into minor
 * units. Anything else — signs, exponents, three decimals, an empty field — is refused with a
 * message for the bettor.
 */
export function parseAmountMinor(text: string, maxMinor: number = STAKE_MINOR_MAX): ParsedAmount {
  const cleaned = text.trim().replace(/,/g, '');
  if (cleaned === '') return { ok: false, error: 'Enter an amount.' };
  const match = /^(\d{0,12})(?:\.(\d{0,2}))?$/.exec(cleaned);
  if (match === null || (match[1] === '' && (match[2] ?? '') === '')) {
    return { ok: false, error: 'Enter an amount like 10 or 10.50 (at most two decimals).' };
  }
  const wholeMinor = Number(match[1] === '' ? '0' : match[1]) * 100;
  const fractionMinor = Number((match[2] ?? '').padEnd(2, '0'));
  const amountMinor = wholeMinor + fractionMinor;
  if (!Number.isSafeInteger(amountMinor)) return { ok: false, error: 'The amount is too large.' };
  if (amountMinor <= 0) return { ok: false, error: 'The amount must be more than zero.' };
  if (amountMinor > maxMinor) return { ok: false, error: `The amount may be at most ${formatMinor(maxMinor)}.` };
  return { ok: true, amountMinor };
}

/** 123456 → "1,234.56"; −5 → "−0.05". Integer arithmetic only. */
export function formatMinor(amountMinor: number): string {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError(`not an amount of minor units: ${amountMinor}`);
  const negative = amountMinor < 0;
  const magnitude = negative ? -amountMinor : amountMinor;
  const cents = magnitude % 100;
  const whole = (magnitude - cents) / 100;
  const wholeText = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '−' : ''}${wholeText}.${String(cents).padStart(2, '0')}`;
}

/** Compact for book cells: 1234567 → "12.3k" (a display only; never parsed back). */
export function formatMinorCompact(amountMinor: number): string {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0) throw new RangeError(`not a total: ${amountMinor}`);
  const whole = (amountMinor - (amountMinor % 100)) / 100;
  if (whole < 10_000) return String(whole);
  if (whole < 1_000_000) {
    const tenths = (whole - (whole % 100)) / 100;
    return `${(tenths - (tenths % 10)) / 10}.${tenths % 10}k`;
  }
  const tenths = (whole - (whole % 100_000)) / 100_000;
  return `${(tenths - (tenths % 10)) / 10}.${tenths % 10}m`;
}

/** Signed, for profit and loss: "+12.00", "−3.50", "0.00". */
export function formatSignedMinor(amountMinor: number): string {
  return amountMinor > 0 ? `+${formatMinor(amountMinor)}` : formatMinor(amountMinor);
}
