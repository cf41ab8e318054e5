import { describe, expect, it } from 'vitest';
import { COMMISSION_BPS_MAX, STAKE_MINOR_MAX } from '@playchacha/protocol';
import {
  configChanges,
  formatBpsAsPercent,
  formatWinners,
  limitsText,
  parseBps,
  parseLimitsText,
  parseOptionalAmountMinor,
  parseOptionalCount,
  parseWinners,
  statusActionsFor,
  userSearchQuery,
  winnerChoices,
  type PlatformConfigValues,
} from './admin';

describe('commission in basis points', () => {
  it.each([
    [0, '0%'],
    [1, '0.01%'],
    [10, '0.1%'],
    [250, '2.5%'],
    [500, '5%'],
    [1234, '12.34%'],
    [10_000, '100%'],
  ])('shows %i bps as %s', (bps, text) => {
    expect(formatBpsAsPercent(bps)).toBe(text);
  });

  it('refuses what is not whole basis points', () => {
    expect(() => formatBpsAsPercent(2.5)).toThrow(RangeError);
    expect(() => formatBpsAsPercent(-1)).toThrow(RangeError);
  });

  it('parses whole basis points up to 100%', () => {
    expect(parseBps(' 450 ')).toEqual({ ok: true, value: 450 });
    expect(parseBps('0')).toEqual({ ok: true, value: 0 });
    expect(parseBps(String(COMMISSION_BPS_MAX))).toEqual({ ok: true, value: COMMISSION_BPS_MAX });
    for (const text of ['', '4.5', '-1', '5%', '1e3', String(COMMISSION_BPS_MAX + 1)]) expect(parseBps(text).ok).toBe(false);
  });
});

describe('trading limits typed by an admin', () => {
  it('reads an empty field as no limit', () => {
    expect(parseOptionalAmountMinor(' ', STAKE_MINOR_MAX, false)).toEqual({ ok: true, value: null });
    expect(parseOptionalCount('', 10)).toEqual({ ok: true, value: null });
  });

  it('allows a zero amount only where asked', () => {
    expect(parseOptionalAmountMinor('0.00', 1000, true)).toEqual({ ok: true, value: 0 });
    expect(parseOptionalAmountMinor('0', 1000, false).ok).toBe(false);
  });

  it('parses amounts without floating point and counts within bounds', () => {
    expect(parseOptionalAmountMinor('1,234.56', STAKE_MINOR_MAX, false)).toEqual({ ok: true, value: 123_456 });
    expect(parseOptionalAmountMinor('0.29', STAKE_MINOR_MAX, false)).toEqual({ ok: true, value: 29 });
    expect(parseOptionalCount('0', 10).ok).toBe(false);
    expect(parseOptionalCount('11', 10).ok).toBe(false);
    expect(parseOptionalCount('2.5', 10).ok).toBe(false);
    expect(parseOptionalCount('10', 10)).toEqual({ ok: true, value: 10 });
  });

  it('round-trips the form and names the field that is wrong', () => {
    const limits = { stakeMinorMax: 50_00, marketExposureMinorMax: 0, openOrdersMax: 25 };
    expect(limitsText(limits)).toEqual({ stake: '50.00', exposure: '0.00', openOrders: '25' });
    expect(parseLimitsText(limitsText(limits))).toEqual({ ok: true, value: limits });
    expect(parseLimitsText({ stake: '', exposure: '', openOrders: '' })).toEqual({ ok: true, value: { stakeMinorMax: null, marketExposureMinorMax: null, openOrdersMax: null } });
    const wrong = parseLimitsText({ stake: '10', exposure: '1.234', openOrders: '' });
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.error).toMatch(/^Largest exposure per market: /);
  });
});

describe('user search', () => {
  it('sends only the filters that are set', () => {
    expect(userSearchQuery({ text: '  bob@x ', status: '', kyc: '', role: '' }, 25)).toBe('limit=25&q=bob%40x');
    expect(userSearchQuery({ text: '', status: 'frozen', kyc: 'pending', role: 'bettor' }, 10, '1000007')).toBe('limit=10&status=frozen&kyc=pending&role=bettor&after=1000007');
  });

  it('offers each status only the changes that make sense', () => {
    expect(statusActionsFor('active')).toEqual(['suspend', 'freeze']);
    expect(statusActionsFor('suspended')).toEqual(['freeze', 'reactivate']);
    expect(statusActionsFor('frozen')).toEqual(['reactivate']);
  });
});

describe('what changed between configuration versions', () => {
  const before: PlatformConfigValues = {
    defaultCommissionBps: 500,
    defaultAccountLimits: { stakeMinorMax: null, marketExposureMinorMax: 1_000_00, openOrdersMax: null },
    featureFlags: { registrationOpen: true },
  };

  it('is nothing for equal values', () => {
    expect(configChanges(before, structuredClone(before))).toEqual([]);
  });

  it('names each changed value with its old and new reading', () => {
    const after: PlatformConfigValues = {
      defaultCommissionBps: 450,
      defaultAccountLimits: { stakeMinorMax: 200_00, marketExposureMinorMax: null, openOrdersMax: 50 },
      featureFlags: { registrationOpen: false },
    };
    expect(configChanges(before, after)).toEqual([
      'Default commission 5% → 4.5%',
      'Largest stake no limit → 200.00',
      'Largest exposure per market 1,000.00 → no limit',
      'Open orders default → 50',
      'registrationOpen on → off',
    ]);
  });
});

describe('winners of a settlement', () => {
  it('asks for a winner', () => {
    expect(parseWinners(winnerChoices(3))).toEqual({ ok: false, error: 'Choose the winner.' });
  });

  it('takes the ticked runners with their dead-heat factors', () => {
    const choices = winnerChoices(3);
    choices[0] = { on: true, factor: '1/2' };
    choices[2] = { on: true, factor: ' 1 / 2 ' };
    expect(parseWinners(choices)).toEqual({
      ok: true,
      value: [
        { runnerIndex: 0, factorNumerator: 1, factorDenominator: 2 },
        { runnerIndex: 2, factorNumerator: 1, factorDenominator: 2 },
      ],
    });
  });

  it.each(['0/1', '3/2', '1/0', 'half', '1/1001'])('refuses the factor %s', (factor) => {
    const choices = winnerChoices(2);
    choices[1] = { on: true, factor };
    const parsed = parseWinners(choices);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/^Runner 2: /);
  });

  it('reads winners back with names, dead heats and voids', () => {
    expect(formatWinners(null, [])).toBe('void');
    expect(formatWinners([{ runnerIndex: 1, factorNumerator: 1, factorDenominator: 1 }], ['Home', 'Away'])).toBe('Away');
    expect(formatWinners([{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 2 }, { runnerIndex: 2, factorNumerator: 1, factorDenominator: 2 }], ['Home', 'Away'])).toBe('Home (1/2), Runner 3 (1/2)');
  });
});
