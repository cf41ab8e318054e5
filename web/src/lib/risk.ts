// The admin risk views of the gateway (liability per market and outcome, top accounts), when it
// serves them: null when the routes do not exist.

import { api, ApiFailure } from './session.svelte';

export interface RiskOverview {
  readonly markets: ReadonlyArray<{ readonly marketId: number; readonly name: string | null; readonly accounts: number; readonly totalExposureMinor: number }>;
  readonly topAccounts: ReadonlyArray<{ readonly accountId: number; readonly email: string | null; readonly exposureMinor: number; readonly markets: number }>;
}

export interface MarketRisk {
  readonly marketId: number;
  readonly name: string | null;
  readonly status: string;
  readonly inPlay: boolean;
  readonly numberOfWinners: number;
  readonly accounts: number;
  readonly totalExposureMinor: number;
  readonly runners: ReadonlyArray<{
    readonly runnerIndex: number;
    readonly name: string | null;
    readonly netBackedStakeMinor: number;
    readonly netLaidLiabilityMinor: number;
    readonly unmatchedBackStakeMinor: number;
    readonly unmatchedLayLiabilityMinor: number;
  }>;
  readonly outcomes: ReadonlyArray<{ readonly winners: readonly number[]; readonly usersWinMinor: number; readonly usersLoseMinor: number; readonly worstCaseLoseMinor: number }>;
  readonly topAccounts: ReadonlyArray<{ readonly accountId: number; readonly email: string | null; readonly exposureMinor: number; readonly matchedExposureMinor: number }>;
}

async function optional<T>(path: string): Promise<T | null> {
  try {
    return await api<T>(path);
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404 && error.code === 'not_found') return null;
    throw error;
  }
}

export function riskOverview(top = 20): Promise<RiskOverview | null> {
  return optional(`/v1/admin/risk?top=${top}`);
}

export function marketRisk(marketId: number, top = 10): Promise<MarketRisk | null> {
  return optional(`/v1/admin/markets/${marketId}/risk?top=${top}`);
}
