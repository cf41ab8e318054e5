// The catalog's market types: for each, its runners (named from the event's participants), its
// number of winners, and its winners given a full-time score. Pure.
//
// None of these football markets can dead-heat: every final score makes exactly one runner the
// winner (double chance: exactly two, its number of winners). Dead heats are settled by an
// operator with explicit winners and factors (POST /v1/admin/catalog/markets/:marketId/result).

import type { DeadHeat } from '@playchacha/protocol';

export const MARKET_TYPES = [
  'match_odds',
  'over_under_0_5',
  'over_under_1_5',
  'over_under_2_5',
  'over_under_3_5',
  'over_under_4_5',
  'both_teams_to_score',
  'correct_score',
  'double_chance',
] as const;

export type MarketType = (typeof MARKET_TYPES)[number];

/** The markets an imported football fixture gets unless the feed names others. */
export const DEFAULT_MARKET_TYPES: readonly MarketType[] = ['match_odds', 'over_under_2_5', 'both_teams_to_score', 'correct_score', 'double_chance'];

export interface FullTimeScore {
  readonly homeGoals: number;
  readonly awayGoals: number;
}

export interface MarketTypeDefinition {
  readonly name: string;
  readonly numberOfWinners: number;
  runners(home: string, away: string): string[];
  /** The winners (factor 1/1 each) given the full-time score, by runner index ascending. */
  winners(score: FullTimeScore): DeadHeat[];
}

const CORRECT_SCORE_MAX_GOALS = 3;

function outright(...runnerIndexes: number[]): DeadHeat[] {
  return [...runnerIndexes].sort((a, b) => a - b).map((runnerIndex) => ({ runnerIndex, factorNumerator: 1, factorDenominator: 1 }));
}

function overUnder(goalsBelow: number): MarketTypeDefinition {
  const line = `${goalsBelow}.5`;
  return {
    name: `Over/Under ${line} Goals`,
    numberOfWinners: 1,
    runners: () => [`Under ${line} Goals`, `Over ${line} Goals`],
    winners: ({ homeGoals, awayGoals }) => outright(homeGoals + awayGoals <= goalsBelow ? 0 : 1),
  };
}

function correctScoreRunners(): string[] {
  const names: string[] = [];
  for (let home = 0; home <= CORRECT_SCORE_MAX_GOALS; home++) {
    for (let away = 0; away <= CORRECT_SCORE_MAX_GOALS; away++) names.push(`${home} - ${away}`);
  }
  names.push('Any Other Home Win', 'Any Other Away Win', 'Any Other Draw');
  return names;
}

const CORRECT_SCORE_GRID = (CORRECT_SCORE_MAX_GOALS + 1) ** 2;

export const MARKET_TYPE_DEFINITIONS: Readonly<Record<MarketType, MarketTypeDefinition>> = {
  match_odds: {
    name: 'Match Odds',
    numberOfWinners: 1,
    runners: (home, away) => [home, away, 'The Draw'],
    winners: ({ homeGoals, awayGoals }) => outright(homeGoals > awayGoals ? 0 : homeGoals < awayGoals ? 1 : 2),
  },
  over_under_0_5: overUnder(0),
  over_under_1_5: overUnder(1),
  over_under_2_5: overUnder(2),
  over_under_3_5: overUnder(3),
  over_under_4_5: overUnder(4),
  both_teams_to_score: {
    name: 'Both Teams To Score',
    numberOfWinners: 1,
    runners: () => ['Yes', 'No'],
    winners: ({ homeGoals, awayGoals }) => outright(homeGoals > 0 && awayGoals > 0 ? 0 : 1),
  },
  correct_score: {
    name: 'Correct Score',
    numberOfWinners: 1,
    runners: correctScoreRunners,
    winners: ({ homeGoals, awayGoals }) => {
      if (homeGoals <= CORRECT_SCORE_MAX_GOALS && awayGoals <= CORRECT_SCORE_MAX_GOALS) return outright(homeGoals * (CORRECT_SCORE_MAX_GOALS + 1) + awayGoals);
      return outright(CORRECT_SCORE_GRID + (homeGoals > awayGoals ? 0 : homeGoals < awayGoals ? 1 : 2));
    },
  },
  double_chance: {
    name: 'Double Chance',
    numberOfWinners: 2,
    runners: (home, away) => [`${home} or Draw`, `${away} or Draw`, `${home} or ${away}`],
    winners: ({ homeGoals, awayGoals }) => (homeGoals > awayGoals ? outright(0, 2) : homeGoals < awayGoals ? outright(1, 2) : outright(0, 1)),
  },
};

export function isMarketType(value: unknown): value is MarketType {
  return typeof value === 'string' && (MARKET_TYPES as readonly string[]).includes(value);
}
