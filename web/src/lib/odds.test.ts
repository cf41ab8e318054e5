import { describe, expect, it } from 'vitest';
import { FINEST_LADDER, STANDARD_LADDER } from '@playchacha/protocol';
import { ladderOf, oddsText, parseOdds, stepTick } from './odds';

describe('odds on the ladder', () => {
  it('steps tick by tick across the ladder bands and stops at its ends', () => {
    const tick = (text: string) => {
      const parsed = parseOdds(STANDARD_LADDER, text);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.priceTicks;
    };
    expect(oddsText(STANDARD_LADDER, stepTick(STANDARD_LADDER, tick('1.99'), 1))).toBe('2');
    expect(oddsText(STANDARD_LADDER, stepTick(STANDARD_LADDER, tick('2'), 1))).toBe('2.02');
    expect(oddsText(STANDARD_LADDER, stepTick(STANDARD_LADDER, tick('3'), 1))).toBe('3.05');
    expect(oddsText(STANDARD_LADDER, stepTick(STANDARD_LADDER, tick('10'), 1))).toBe('10.5');
    expect(oddsText(STANDARD_LADDER, stepTick(STANDARD_LADDER, tick('100'), 1))).toBe('110');
    expect(oddsText(STANDARD_LADDER, stepTick(STANDARD_LADDER, tick('2.02'), -1))).toBe('2');
    expect(stepTick(STANDARD_LADDER, 0, -1)).toBe(0);
    expect(stepTick(STANDARD_LADDER, 349, 1)).toBe(349);
    expect(stepTick(STANDARD_LADDER, 10, 500)).toBe(349);
  });

  it('accepts only prices on the ladder and names the nearest ones', () => {
    expect(parseOdds(STANDARD_LADDER, '2.5')).toEqual({ ok: true, priceTicks: STANDARD_LADDER.pricesX100.indexOf(250) });
    expect(parseOdds(STANDARD_LADDER, '2.50').ok).toBe(true);
    const off = parseOdds(STANDARD_LADDER, '2.03');
    expect(off.ok).toBe(false);
    if (!off.ok) {
      expect(off.error).toBe('2.03 is not a price on the ladder: 2.02 or 2.04.');
      expect(off.nearestTicks).toBe(STANDARD_LADDER.pricesX100.indexOf(202));
    }
    expect(parseOdds(STANDARD_LADDER, '1')).toMatchObject({ ok: false, error: 'The lowest price is 1.01.', nearestTicks: 0 });
    expect(parseOdds(STANDARD_LADDER, '1001')).toMatchObject({ ok: false, error: 'The highest price is 1000.', nearestTicks: 349 });
    expect(parseOdds(STANDARD_LADDER, 'evens')).toMatchObject({ ok: false, nearestTicks: null });
    expect(parseOdds(STANDARD_LADDER, '2.555').ok).toBe(false);
    expect(parseOdds(FINEST_LADDER, '2.03').ok).toBe(true);
  });

  it('uses the standard ladder unless the market names another', () => {
    expect(ladderOf(undefined)).toBe(STANDARD_LADDER);
    expect(ladderOf('finest')).toBe(FINEST_LADDER);
    expect(ladderOf('no-such-ladder')).toBe(STANDARD_LADDER);
  });
});
