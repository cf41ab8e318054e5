import { describe, expect, it } from 'vitest';
import { MARKET_TYPE_DEFINITIONS, MARKET_TYPES } from './market-types.js';

const winners = (type: keyof typeof MARKET_TYPE_DEFINITIONS, homeGoals: number, awayGoals: number) =>
  MARKET_TYPE_DEFINITIONS[type].winners({ homeGoals, awayGoals }).map((w) => MARKET_TYPE_DEFINITIONS[type].runners('Arsenal', 'Chelsea')[w.runnerIndex]);

describe('market types', () => {
  it('name their runners from the participants', () => {
    expect(MARKET_TYPE_DEFINITIONS.match_odds.runners('Arsenal', 'Chelsea')).toEqual(['Arsenal', 'Chelsea', 'The Draw']);
    expect(MARKET_TYPE_DEFINITIONS.over_under_2_5.runners('Arsenal', 'Chelsea')).toEqual(['Under 2.5 Goals', 'Over 2.5 Goals']);
    expect(MARKET_TYPE_DEFINITIONS.correct_score.runners('Arsenal', 'Chelsea')).toHaveLength(19);
    expect(MARKET_TYPE_DEFINITIONS.double_chance.runners('Arsenal', 'Chelsea')).toEqual(['Arsenal or Draw', 'Chelsea or Draw', 'Arsenal or Chelsea']);
  });

  it('settle match odds, over/under, both teams to score, correct score and double chance from the score', () => {
    expect(winners('match_odds', 2, 1)).toEqual(['Arsenal']);
    expect(winners('match_odds', 0, 3)).toEqual(['Chelsea']);
    expect(winners('match_odds', 1, 1)).toEqual(['The Draw']);
    expect(winners('over_under_2_5', 2, 0)).toEqual(['Under 2.5 Goals']);
    expect(winners('over_under_2_5', 2, 1)).toEqual(['Over 2.5 Goals']);
    expect(winners('over_under_0_5', 0, 0)).toEqual(['Under 0.5 Goals']);
    expect(winners('over_under_4_5', 3, 2)).toEqual(['Over 4.5 Goals']);
    expect(winners('both_teams_to_score', 1, 1)).toEqual(['Yes']);
    expect(winners('both_teams_to_score', 3, 0)).toEqual(['No']);
    expect(winners('correct_score', 2, 1)).toEqual(['2 - 1']);
    expect(winners('correct_score', 0, 0)).toEqual(['0 - 0']);
    expect(winners('correct_score', 3, 3)).toEqual(['3 - 3']);
    expect(winners('correct_score', 5, 1)).toEqual(['Any Other Home Win']);
    expect(winners('correct_score', 0, 4)).toEqual(['Any Other Away Win']);
    expect(winners('correct_score', 4, 4)).toEqual(['Any Other Draw']);
    expect(winners('double_chance', 2, 1)).toEqual(['Arsenal or Draw', 'Arsenal or Chelsea']);
    expect(winners('double_chance', 1, 1)).toEqual(['Arsenal or Draw', 'Chelsea or Draw']);
    expect(winners('double_chance', 0, 1)).toEqual(['Chelsea or Draw', 'Arsenal or Chelsea']);
  });

  it('give every score exactly the market\'s number of winners, each 1/1 (no dead heats)', () => {
    for (const type of MARKET_TYPES) {
      const definition = MARKET_TYPE_DEFINITIONS[type];
      const runnerCount = definition.runners('A', 'B').length;
      for (let home = 0; home <= 6; home++) {
        for (let away = 0; away <= 6; away++) {
          const won = definition.winners({ homeGoals: home, awayGoals: away });
          expect(won).toHaveLength(definition.numberOfWinners);
          for (const winner of won) {
            expect(winner.runnerIndex).toBeLessThan(runnerCount);
            expect([winner.factorNumerator, winner.factorDenominator]).toEqual([1, 1]);
          }
        }
      }
    }
  });
});
