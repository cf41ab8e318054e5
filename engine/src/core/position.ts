// An account's position on one market: what it has matched on each runner and what its open
// orders could still cost, and from these the worst case over the market's outcomes.

import { assert, liabilityMinor } from '@playchacha/protocol';

export class Position {
  /** Matched result on bets on runner i if i wins. */
  readonly ifWinMinor: Float64Array;
  /** Matched result on bets on runner i if i loses. */
  readonly ifLoseMinor: Float64Array;
  /** Remaining stake of open back orders on runner i. */
  readonly openBackMinor: Float64Array;
  /** Liability of the remaining size of open lay orders on runner i. */
  readonly openLayMinor: Float64Array;
  exposureMinor = 0;
  /** Settled or void: the position no longer counts toward exposure. */
  finished = false;
  /** What the last settlement paid the account (result net of commission), for audit and resettlement. */
  settledResultMinor = 0;
  settledCommissionMinor = 0;

  constructor(
    readonly accountId: number,
    readonly marketId: number,
    readonly runnerCount: number,
    readonly numberOfWinners: number,
  ) {
    this.ifWinMinor = new Float64Array(runnerCount);
    this.ifLoseMinor = new Float64Array(runnerCount);
    this.openBackMinor = new Float64Array(runnerCount);
    this.openLayMinor = new Float64Array(runnerCount);
  }

  /** Adds (sign 1) or removes (sign −1) the open part of an order. */
  addOpen(runnerIndex: number, isBack: boolean, remainingMinor: number, priceX100: number, sign: 1 | -1): void {
    if (isBack) {
      this.openBackMinor[runnerIndex] = (this.openBackMinor[runnerIndex] as number) + sign * remainingMinor;
    } else {
      const liability = liabilityMinor(remainingMinor, priceX100);
      this.openLayMinor[runnerIndex] = (this.openLayMinor[runnerIndex] as number) + sign * liability;
    }
  }

  /** A fill of stake q with liability L on runner i, from the account's back or lay side. */
  addMatched(runnerIndex: number, isBack: boolean, stakeMinor: number, liability: number): void {
    const win = this.ifWinMinor[runnerIndex] as number;
    const lose = this.ifLoseMinor[runnerIndex] as number;
    if (isBack) {
      this.ifWinMinor[runnerIndex] = win + liability;
      this.ifLoseMinor[runnerIndex] = lose - stakeMinor;
    } else {
      this.ifWinMinor[runnerIndex] = win - liability;
      this.ifLoseMinor[runnerIndex] = lose + stakeMinor;
    }
  }

  /** The worst case over outcomes, counting open orders only where they hurt. */
  worstCaseMinor(): number {
    const n = this.runnerCount;
    if (this.numberOfWinners === 1) {
      let loseSum = 0;
      let worstDelta = Number.POSITIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const ifLose = (this.ifLoseMinor[i] as number) - (this.openBackMinor[i] as number);
        const ifWin = (this.ifWinMinor[i] as number) - (this.openLayMinor[i] as number);
        loseSum += ifLose;
        const delta = ifWin - ifLose;
        if (delta < worstDelta) worstDelta = delta;
      }
      return loseSum + worstDelta;
    }
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const ifLose = (this.ifLoseMinor[i] as number) - (this.openBackMinor[i] as number);
      const ifWin = (this.ifWinMinor[i] as number) - (this.openLayMinor[i] as number);
      worst += ifWin < ifLose ? ifWin : ifLose;
    }
    return worst;
  }

  /** The worst case of the matched bets alone (open orders ignored). */
  matchedWorstCaseMinor(): number {
    const n = this.runnerCount;
    if (this.numberOfWinners === 1) {
      let loseSum = 0;
      let worstDelta = Number.POSITIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const ifLose = this.ifLoseMinor[i] as number;
        loseSum += ifLose;
        const delta = (this.ifWinMinor[i] as number) - ifLose;
        if (delta < worstDelta) worstDelta = delta;
      }
      return loseSum + worstDelta;
    }
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const ifLose = this.ifLoseMinor[i] as number;
      const ifWin = this.ifWinMinor[i] as number;
      worst += ifWin < ifLose ? ifWin : ifLose;
    }
    return worst;
  }

  /** What the matched bets alone hold: max(0, −matched worst case); zero once finished. */
  escrowMinor(): number {
    if (this.finished) return 0;
    const worst = this.matchedWorstCaseMinor();
    return worst >= 0 ? 0 : -worst;
  }

  /** The command during which this position last changed, and its figures before that command. */
  touchedInCommand = -1;
  exposureBeforeMinor = 0;
  escrowBeforeMinor = 0;

  /** Recomputes the exposure; returns the change. */
  refreshExposure(): number {
    const worst = this.worstCaseMinor();
    const exposure = this.finished || worst >= 0 ? 0 : -worst;
    assert(Number.isSafeInteger(exposure), 'exposure must be a safe integer');
    const change = exposure - this.exposureMinor;
    this.exposureMinor = exposure;
    return change;
  }
}
