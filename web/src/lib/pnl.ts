// Profit and loss in integer minor units: what a bet slip risks and wins, and an account's result on
// a market for each outcome ("if X wins"). Liability = floor(stake × (price − 100) / 100), the one
// formula the engine uses for both sides of a match.

import { liabilityMinor } from '@playchacha/protocol';

export type Side = 'back' | 'lay';

export interface SlipOutcome {
  /** What the bettor wins if the bet wins (back: the runner wins; lay: it loses). */
  readonly profitMinor: number;
  /** What the bettor loses if the bet loses: the stake for a back, the liability for a lay. */
  readonly riskMinor: number;
}

export function slipOutcome(side: Side, stakeMinor: number, priceX100: number): SlipOutcome {
  const liability = liabilityMinor(stakeMinor, priceX100);
  return side === 'back' ? { profitMinor: liability, riskMinor: stakeMinor } : { profitMinor: stakeMinor, riskMinor: liability };
}

/** One matched bet: the backer's stake and the matched liability (= the backer's profit). */
export interface MatchedBet {
  readonly runnerIndex: number;
  readonly side: Side;
  readonly stakeMinor: number;
  readonly liabilityMinor: number;
}

/**
 * The account's result on a single-winner market if each runner wins, from its matched bets: a back
 * on the winner wins its liability, a lay on the winner loses it; a back on a loser loses its
 * stake, a lay on a loser wins it.
 */
export function resultIfWins(runnerCount: number, bets: readonly MatchedBet[]): number[] {
  const results = new Array<number>(runnerCount).fill(0);
  for (let winner = 0; winner < runnerCount; winner++) {
    let total = 0;
    for (const bet of bets) {
      if (bet.runnerIndex === winner) total += bet.side === 'back' ? bet.liabilityMinor : -bet.liabilityMinor;
      else total += bet.side === 'back' ? -bet.stakeMinor : bet.stakeMinor;
    }
    results[winner] = total;
  }
  return results;
}

/** The part of an order state needed to value its matched part. */
export interface MatchedOrder {
  readonly orderId: number;
  readonly runnerIndex: number;
  readonly side: Side;
  readonly priceTicks: number;
  readonly matchedMinor: number;
  /** Stake-weighted mean matched price (not an integer in general); null before a fill. */
  readonly averagePriceX100: number | null;
}

/**
 * The matched bet of an order. Exact from its fills when they are known (the order stream gives
 * each fill's liability); exact from the mean price when every fill was at one price (the mean is
 * then an integer tick price); otherwise valued at the order's own limit price, which is never
 * better for the bettor than what it got, and marked approximate.
 */
export function matchedBetOf(
  order: MatchedOrder,
  fills: readonly { readonly stakeMinor: number; readonly liabilityMinor: number }[] | undefined,
  limitPriceX100: number,
): MatchedBet & { readonly exact: boolean } {
  const base = { runnerIndex: order.runnerIndex, side: order.side, stakeMinor: order.matchedMinor };
  if (fills !== undefined) {
    let stake = 0;
    let liability = 0;
    for (const fill of fills) {
      stake += fill.stakeMinor;
      liability += fill.liabilityMinor;
    }
    if (stake === order.matchedMinor) return { ...base, liabilityMinor: liability, exact: true };
  }
  const average = order.averagePriceX100;
  if (average !== null && Number.isInteger(average) && average > 100) {
    return { ...base, liabilityMinor: liabilityMinor(order.matchedMinor, average), exact: true };
  }
  return { ...base, liabilityMinor: liabilityMinor(order.matchedMinor, limitPriceX100), exact: order.matchedMinor === 0 };
}

/** Commission on a positive market result: floor(result × bps / 10000). */
export function commissionMinor(resultMinor: number, commissionBps: number): number {
  if (resultMinor <= 0) return 0;
  const product = resultMinor * commissionBps;
  return (product - (product % 10_000)) / 10_000;
}
