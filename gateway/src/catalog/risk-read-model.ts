// The risk view of each market: what the exchange's users stand to win or lose in each outcome,
// the money in play per runner, and the accounts most exposed. Built from the engine's positions
// (per account and runner: matched result if the runner wins or loses, and the open back stake and
// lay liability), copied after every durable frame, so it never shows state the journal does not
// hold. A frame re-copies only the positions of the accounts its events name on each market (an
// order, a fill, a settlement always names its accounts), and a whole market only on an event
// that names none (its creation, lifecycle and results), so a busy market with many accounts costs
// per frame what the frame changed, not what the market holds.

import type { MarketId } from '@playchacha/protocol';
import type { ExchangeCore } from '@playchacha/engine';
import type { EngineLink, EngineView, EventFrame } from '../engine-link.js';

interface PositionLike {
  readonly accountId: number;
  readonly ifWinMinor: ArrayLike<number>;
  readonly ifLoseMinor: ArrayLike<number>;
  readonly openBackMinor: ArrayLike<number>;
  readonly openLayMinor: ArrayLike<number>;
  readonly exposureMinor: number;
  readonly finished: boolean;
}

/** The engine's positions on one market; read only inside a follower callback. */
export type PositionSource = (marketId: MarketId) =>
  | {
      readonly numberOfWinners: number;
      readonly runnerCount: number;
      readonly positions: Iterable<PositionLike>;
      /** One account's position on the market, if it has one. */
      position(accountId: number): PositionLike | undefined;
    }
  | undefined;

/** Positions of an in-process core (the embedded default and the tests). */
export function corePositions(core: () => ExchangeCore): PositionSource {
  return (marketId) => {
    const market = core().risk.markets.get(marketId);
    return market === undefined
      ? undefined
      : {
          numberOfWinners: market.numberOfWinners,
          runnerCount: market.runnerCount,
          positions: market.positions.values(),
          position: (accountId) => market.positions.get(accountId),
        };
  };
}

interface PositionCopy {
  readonly accountId: number;
  readonly ifWinMinor: readonly number[];
  readonly ifLoseMinor: readonly number[];
  readonly openBackMinor: readonly number[];
  readonly openLayMinor: readonly number[];
  readonly exposureMinor: number;
}

interface MarketPositions {
  readonly numberOfWinners: number;
  readonly runnerCount: number;
  readonly positions: readonly PositionCopy[];
}

export interface OutcomeRisk {
  /** The runners that win in this outcome. */
  readonly winners: readonly number[];
  /** Sum of the accounts' matched results that are positive (what winners are paid before commission). */
  readonly usersWinMinor: number;
  /** Sum of the accounts' matched results that are negative, as a positive number. */
  readonly usersLoseMinor: number;
  /** As usersLoseMinor, with every open order assumed matched where it hurts its account. */
  readonly worstCaseLoseMinor: number;
}

export interface RunnerRisk {
  readonly runnerIndex: number;
  /** Matched stake backed on the runner, net of each account's own lays. */
  readonly netBackedStakeMinor: number;
  /** Matched liability laid on the runner, net of each account's own backs. */
  readonly netLaidLiabilityMinor: number;
  /** Open (unmatched or delayed) back stake and lay liability. */
  readonly unmatchedBackStakeMinor: number;
  readonly unmatchedLayLiabilityMinor: number;
}

export interface AccountRisk {
  readonly accountId: number;
  /** Worst case of matched bets and open orders together (held from the balance). */
  readonly exposureMinor: number;
  /** Worst case of the matched bets alone. */
  readonly matchedExposureMinor: number;
}

export interface MarketRisk {
  readonly marketId: MarketId;
  readonly numberOfWinners: number;
  readonly accounts: number;
  readonly totalExposureMinor: number;
  readonly runners: readonly RunnerRisk[];
  /** Every outcome (set of winners); empty when there are more than OUTCOMES_MAX. */
  readonly outcomes: readonly OutcomeRisk[];
  readonly topAccounts: readonly AccountRisk[];
}

export const OUTCOMES_MAX = 200;

/** Every way to choose k of n runners, in lexicographic order, or null if there are more than `max`. */
export function winnerSets(n: number, k: number, max = OUTCOMES_MAX): number[][] | null {
  const sets: number[][] = [];
  const pick: number[] = [];
  const walk = (start: number): boolean => {
    if (pick.length === k) {
      sets.push([...pick]);
      return sets.length <= max;
    }
    for (let i = start; i < n; i++) {
      pick.push(i);
      if (!walk(i + 1)) return false;
      pick.pop();
    }
    return true;
  };
  if (k < 1 || k > n) return [];
  return walk(0) ? sets : null;
}

/** An account's result if exactly `winners` win; with open orders counted where they hurt. */
function resultMinor(position: PositionCopy, winners: ReadonlySet<number>, withOpen: boolean): number {
  let total = 0;
  for (let i = 0; i < position.ifWinMinor.length; i++) {
    if (winners.has(i)) total += (position.ifWinMinor[i] as number) - (withOpen ? (position.openLayMinor[i] as number) : 0);
    else total += (position.ifLoseMinor[i] as number) - (withOpen ? (position.openBackMinor[i] as number) : 0);
  }
  return total;
}

/** The worst case of matched bets alone, as the engine computes it (negative = a loss). */
function matchedWorstCaseMinor(position: PositionCopy, numberOfWinners: number): number {
  const n = position.ifWinMinor.length;
  if (numberOfWinners === 1) {
    let loseSum = 0;
    let worstDelta = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      loseSum += position.ifLoseMinor[i] as number;
      worstDelta = Math.min(worstDelta, (position.ifWinMinor[i] as number) - (position.ifLoseMinor[i] as number));
    }
    return n === 0 ? 0 : loseSum + worstDelta;
  }
  let worst = 0;
  for (let i = 0; i < n; i++) worst += Math.min(position.ifWinMinor[i] as number, position.ifLoseMinor[i] as number);
  return worst;
}

export function marketRisk(marketId: MarketId, market: MarketPositions, topAccounts: number): MarketRisk {
  const runners: RunnerRisk[] = [];
  for (let i = 0; i < market.runnerCount; i++) {
    let netBackedStakeMinor = 0;
    let netLaidLiabilityMinor = 0;
    let unmatchedBackStakeMinor = 0;
    let unmatchedLayLiabilityMinor = 0;
    for (const position of market.positions) {
      netBackedStakeMinor += Math.max(0, -(position.ifLoseMinor[i] as number));
      netLaidLiabilityMinor += Math.max(0, -(position.ifWinMinor[i] as number));
      unmatchedBackStakeMinor += position.openBackMinor[i] as number;
      unmatchedLayLiabilityMinor += position.openLayMinor[i] as number;
    }
    runners.push({ runnerIndex: i, netBackedStakeMinor, netLaidLiabilityMinor, unmatchedBackStakeMinor, unmatchedLayLiabilityMinor });
  }
  const outcomes = (winnerSets(market.runnerCount, market.numberOfWinners) ?? []).map((winners) => {
    const set = new Set(winners);
    let usersWinMinor = 0;
    let usersLoseMinor = 0;
    let worstCaseLoseMinor = 0;
    for (const position of market.positions) {
      const matched = resultMinor(position, set, false);
      if (matched > 0) usersWinMinor += matched;
      else usersLoseMinor -= matched;
      worstCaseLoseMinor += Math.max(0, -resultMinor(position, set, true));
    }
    return { winners, usersWinMinor, usersLoseMinor, worstCaseLoseMinor };
  });
  const accounts = market.positions
    .map((position) => ({ accountId: position.accountId, exposureMinor: position.exposureMinor, matchedExposureMinor: Math.max(0, -matchedWorstCaseMinor(position, market.numberOfWinners)) }))
    .filter((account) => account.exposureMinor > 0 || account.matchedExposureMinor > 0);
  accounts.sort((a, b) => b.exposureMinor - a.exposureMinor || a.accountId - b.accountId);
  return {
    marketId,
    numberOfWinners: market.numberOfWinners,
    accounts: accounts.length,
    totalExposureMinor: accounts.reduce((sum, account) => sum + account.exposureMinor, 0),
    runners,
    outcomes,
    topAccounts: accounts.slice(0, topAccounts),
  };
}

function copyOf(position: PositionLike): PositionCopy {
  return {
    accountId: position.accountId,
    ifWinMinor: Array.from(position.ifWinMinor),
    ifLoseMinor: Array.from(position.ifLoseMinor),
    openBackMinor: Array.from(position.openBackMinor),
    openLayMinor: Array.from(position.openLayMinor),
    exposureMinor: position.exposureMinor,
  };
}

/** The accounts an event names (an order's, both sides of a fill, a settled account). */
function accountsNamed(event: object): number[] {
  const named: number[] = [];
  for (const field of ['accountId', 'backAccountId', 'layAccountId'] as const) {
    const value = (event as Record<string, unknown>)[field];
    if (typeof value === 'number') named.push(value);
  }
  return named;
}

interface MarketCopies {
  readonly numberOfWinners: number;
  readonly runnerCount: number;
  /** Unfinished positions by account. */
  readonly byAccount: Map<number, PositionCopy>;
  /** The positions as a list, built on the first read after a change. */
  list: readonly PositionCopy[] | null;
}

export class RiskReadModel {
  private readonly markets = new Map<MarketId, MarketCopies>();
  private readonly unfollow: () => void;

  constructor(link: EngineLink, private readonly source: PositionSource) {
    this.unfollow = link.follow({
      init: (view: EngineView) => {
        this.markets.clear();
        for (const marketId of view.marketIds()) this.copy(marketId);
      },
      frame: (frame: EventFrame) => {
        const whole = new Set<MarketId>();
        const accounts = new Map<MarketId, Set<number>>();
        for (const entry of frame.entries) {
          for (const event of entry.events) {
            if (!('marketId' in event) || typeof event.marketId !== 'number') continue;
            const named = accountsNamed(event);
            if (named.length === 0) {
              whole.add(event.marketId);
              continue;
            }
            let set = accounts.get(event.marketId);
            if (set === undefined) accounts.set(event.marketId, (set = new Set()));
            for (const accountId of named) set.add(accountId);
          }
        }
        for (const marketId of whole) this.copy(marketId);
        for (const [marketId, named] of accounts) if (!whole.has(marketId)) this.copyAccounts(marketId, named);
      },
    });
  }

  private copy(marketId: MarketId): void {
    const market = this.source(marketId);
    if (market === undefined) return;
    const byAccount = new Map<number, PositionCopy>();
    for (const position of market.positions) if (!position.finished) byAccount.set(position.accountId, copyOf(position));
    this.markets.set(marketId, { numberOfWinners: market.numberOfWinners, runnerCount: market.runnerCount, byAccount, list: null });
  }

  private copyAccounts(marketId: MarketId, accountIds: ReadonlySet<number>): void {
    const copies = this.markets.get(marketId);
    const market = this.source(marketId);
    if (copies === undefined || market === undefined) {
      this.copy(marketId);
      return;
    }
    for (const accountId of accountIds) {
      const position = market.position(accountId);
      if (position === undefined || position.finished) copies.byAccount.delete(accountId);
      else copies.byAccount.set(accountId, copyOf(position));
    }
    copies.list = null;
  }

  private positionsOf(market: MarketCopies): MarketPositions {
    market.list ??= [...market.byAccount.values()].sort((a, b) => a.accountId - b.accountId);
    return { numberOfWinners: market.numberOfWinners, runnerCount: market.runnerCount, positions: market.list };
  }

  /** The market's risk as of the last durable frame, or undefined if there is no such market. */
  risk(marketId: MarketId, topAccounts = 10): MarketRisk | undefined {
    const market = this.markets.get(marketId);
    return market === undefined ? undefined : marketRisk(marketId, this.positionsOf(market), topAccounts);
  }

  /** Markets with money at risk, most exposed first. */
  marketsByExposure(): Array<{ marketId: MarketId; accounts: number; totalExposureMinor: number }> {
    const rows = [...this.markets.entries()].map(([marketId, market]) => {
      const positions = [...market.byAccount.values()];
      return {
        marketId,
        accounts: positions.filter((position) => position.exposureMinor > 0).length,
        totalExposureMinor: positions.reduce((sum, position) => sum + position.exposureMinor, 0),
      };
    });
    return rows.filter((row) => row.totalExposureMinor > 0).sort((a, b) => b.totalExposureMinor - a.totalExposureMinor || a.marketId - b.marketId);
  }

  /** Accounts by their exposure summed over every market, most exposed first. */
  accountsByExposure(limit: number): Array<{ accountId: number; exposureMinor: number; markets: number }> {
    const byAccount = new Map<number, { accountId: number; exposureMinor: number; markets: number }>();
    for (const market of this.markets.values()) {
      for (const position of market.byAccount.values()) {
        if (position.exposureMinor <= 0) continue;
        const row = byAccount.get(position.accountId) ?? { accountId: position.accountId, exposureMinor: 0, markets: 0 };
        row.exposureMinor += position.exposureMinor;
        row.markets++;
        byAccount.set(position.accountId, row);
      }
    }
    return [...byAccount.values()].sort((a, b) => b.exposureMinor - a.exposureMinor || a.accountId - b.accountId).slice(0, limit);
  }

  stop(): void {
    this.unfollow();
  }
}
