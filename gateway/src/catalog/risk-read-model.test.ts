import { describe, expect, it } from 'vitest';
import { marketRisk, winnerSets } from './risk-read-model.js';

const position = (accountId: number, ifWin: number[], ifLose: number[], openBack: number[], openLay: number[], exposureMinor: number) => ({
  accountId, ifWinMinor: ifWin, ifLoseMinor: ifLose, openBackMinor: openBack, openLayMinor: openLay, exposureMinor,
});

describe('the risk view', () => {
  it('enumerates every set of winners', () => {
    expect(winnerSets(3, 1)).toEqual([[0], [1], [2]]);
    expect(winnerSets(3, 2)).toEqual([[0, 1], [0, 2], [1, 2]]);
    expect(winnerSets(4, 4)).toEqual([[0, 1, 2, 3]]);
    expect(winnerSets(100, 3)).toBeNull();
  });

  it('sums what users win and lose in each outcome of a two-winner market, and ranks accounts', () => {
    // Account 7 backed runner 0 for 10.00 at 3.0 (wins 20.00); account 8 laid it. Account 9 has an open back of 5.00 on runner 2.
    const risk = marketRisk(42, {
      numberOfWinners: 2,
      runnerCount: 3,
      positions: [
        position(7, [20_00, 0, 0], [-10_00, 0, 0], [0, 0, 0], [0, 0, 0], 10_00),
        position(8, [-20_00, 0, 0], [10_00, 0, 0], [0, 0, 0], [0, 0, 0], 20_00),
        position(9, [0, 0, 0], [0, 0, 0], [0, 0, 5_00], [0, 0, 0], 5_00),
      ],
    }, 2);
    expect(risk.outcomes).toEqual([
      { winners: [0, 1], usersWinMinor: 20_00, usersLoseMinor: 20_00, worstCaseLoseMinor: 20_00 + 5_00 },
      { winners: [0, 2], usersWinMinor: 20_00, usersLoseMinor: 20_00, worstCaseLoseMinor: 20_00 },
      { winners: [1, 2], usersWinMinor: 10_00, usersLoseMinor: 10_00, worstCaseLoseMinor: 10_00 },
    ]);
    expect(risk.runners[0]).toEqual({ runnerIndex: 0, netBackedStakeMinor: 10_00, netLaidLiabilityMinor: 20_00, unmatchedBackStakeMinor: 0, unmatchedLayLiabilityMinor: 0 });
    expect(risk.runners[2]?.unmatchedBackStakeMinor).toBe(5_00);
    expect(risk.topAccounts).toEqual([
      { accountId: 8, exposureMinor: 20_00, matchedExposureMinor: 20_00 },
      { accountId: 7, exposureMinor: 10_00, matchedExposureMinor: 10_00 },
    ]);
    expect([risk.accounts, risk.totalExposureMinor]).toEqual([3, 35_00]);
  });
});
