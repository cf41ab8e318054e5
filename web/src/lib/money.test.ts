import { describe, expect, it } from 'vitest';
import { STAKE_MINOR_MAX } from '@playchacha/protocol';
import { formatMinor, formatMinorCompact, formatSignedMinor, parseAmountMinor } from './money';

describe('parseAmountMinor', () => {
  it.each([
    ['10', 1000],
    ['10.5', 1050],
    ['10.50', 1050],
    ['0.01', 1],
    ['.5', 50],
    ['1,234.56', 123456],
    [' 7 ', 700],
    ['0.29', 29],
    ['1.1', 110],
    ['100000000', 10_000_000_000],
  ])('reads %j as %i minor units exactly', (text, amountMinor) => {
    expect(parseAmountMinor(text)).toEqual({ ok: true, amountMinor });
  });

  it.each(['', '  ', '.', 'abc', '1e3', '-5', '+5', '1.234', '1..2', '0x10', 'Infinity', 'NaN', '١٢'])('refuses %j', (text) => {
    expect(parseAmountMinor(text).ok).toBe(false);
  });

  it('refuses zero and amounts over the maximum', () => {
    expect(parseAmountMinor('0')).toEqual({ ok: false, error: 'The amount must be more than zero.' });
    expect(parseAmountMinor('0.00').ok).toBe(false);
    expect(parseAmountMinor('100000000.01')).toEqual({ ok: false, error: `The amount may be at most ${formatMinor(STAKE_MINOR_MAX)}.` });
    expect(parseAmountMinor('5', 499).ok).toBe(false);
    expect(parseAmountMinor('4.99', 499)).toEqual({ ok: true, amountMinor: 499 });
  });

  it('never goes through floating point (0.1 + 0.2 style errors cannot appear)', () => {
    for (let cents = 0; cents < 100; cents++) {
      const text = `12345678.${String(cents).padStart(2, '0')}`;
      expect(parseAmountMinor(text, Number.MAX_SAFE_INTEGER)).toEqual({ ok: true, amountMinor: 1_234_567_800 + cents });
    }
  });
});

describe('formatting', () => {
  it('formats minor units with two decimals and thousands separators', () => {
    expect(formatMinor(0)).toBe('0.00');
    expect(formatMinor(5)).toBe('0.05');
    expect(formatMinor(123456)).toBe('1,234.56');
    expect(formatMinor(-1050)).toBe('−10.50');
    expect(formatMinor(100_000_000_000)).toBe('1,000,000,000.00');
  });

  it('round-trips every formatted amount through the parser', () => {
    for (const amountMinor of [1, 99, 100, 101, 123456, 9_999_999_999]) {
      expect(parseAmountMinor(formatMinor(amountMinor))).toEqual({ ok: true, amountMinor });
    }
  });

  it('refuses a non-integer amount instead of formatting it', () => {
    expect(() => formatMinor(1.5)).toThrow(RangeError);
  });

  it('signs results and compacts book totals', () => {
    expect(formatSignedMinor(1000)).toBe('+10.00');
    expect(formatSignedMinor(-1000)).toBe('−10.00');
    expect(formatSignedMinor(0)).toBe('0.00');
    expect(formatMinorCompact(5_000)).toBe('50');
    expect(formatMinorCompact(999_999)).toBe('9999');
    expect(formatMinorCompact(1_234_567)).toBe('12.3k');
    expect(formatMinorCompact(987_654_321)).toBe('9.8m');
  });
});
