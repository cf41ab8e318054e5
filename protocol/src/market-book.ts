// A market's book as the market-data stream describes it: the summed unmatched stake at each
// price of each runner's two sides, kept from a snapshot and its level changes. Used by the
// gateway's read model (which computes the changes) and by the clients (which apply them), so all
// keep "the same book" and checksum it alike.
//
// Sides are the sides of the resting orders: `back` holds resting back orders (best = lowest
// price), `lay` holds resting lay orders (best = highest price).

import { bookChecksum, CHECKSUM_DEPTH, type Level, type LevelChange, type RunnerLevels } from './book-checksum.js';
import type { Side } from './commands.js';
import type { RunnerIndex } from './ids.js';

class SideLevels {
  private readonly totals = new Map<number, number>();
  private sorted: number[] | null = [];

  constructor(private readonly ascending: boolean) {}

  set(priceTicks: number, totalMinor: number): void {
    const had = this.totals.has(priceTicks);
    if (totalMinor === 0) {
      if (!had) return;
      this.totals.delete(priceTicks);
      this.sorted = null;
      return;
    }
    this.totals.set(priceTicks, totalMinor);
    if (!had) this.sorted = null;
  }

  get(priceTicks: number): number {
    return this.totals.get(priceTicks) ?? 0;
  }

  ticks(): readonly number[] {
    if (this.sorted === null) {
      this.sorted = [...this.totals.keys()].sort(this.ascending ? (a, b) => a - b : (a, b) => b - a);
    }
    return this.sorted;
  }

  levels(limit = Infinity): Level[] {
    const ticks = this.ticks();
    const count = Math.min(limit, ticks.length);
    const levels: Level[] = [];
    for (let i = 0; i < count; i++) {
      const tick = ticks[i] as number;
      levels.push([tick, this.totals.get(tick) as number]);
    }
    return levels;
  }
}

export class MarketBook {
  private readonly sides: Array<{ back: SideLevels; lay: SideLevels }> = [];

  constructor(runnerCount: number) {
    this.resize(runnerCount);
  }

  get runnerCount(): number {
    return this.sides.length;
  }

  resize(runnerCount: number): void {
    while (this.sides.length < runnerCount) this.sides.push({ back: new SideLevels(true), lay: new SideLevels(false) });
  }

  static fromRunners(runnerCount: number, runners: readonly RunnerLevels[]): MarketBook {
    const book = new MarketBook(runnerCount);
    for (const runner of runners) {
      for (const [tick, total] of runner.back) book.set(runner.runnerIndex, 'back', tick, total);
      for (const [tick, total] of runner.lay) book.set(runner.runnerIndex, 'lay', tick, total);
    }
    return book;
  }

  set(runnerIndex: RunnerIndex, side: Side, priceTicks: number, totalMinor: number): void {
    const runner = this.sides[runnerIndex];
    if (runner === undefined) throw new RangeError(`runner ${runnerIndex} is not in the market`);
    runner[side].set(priceTicks, totalMinor);
  }

  get(runnerIndex: RunnerIndex, side: Side, priceTicks: number): number {
    return this.sides[runnerIndex]?.[side].get(priceTicks) ?? 0;
  }

  apply(changes: readonly LevelChange[]): void {
    for (const [runnerIndex, side, priceTicks, totalMinor] of changes) this.set(runnerIndex, side, priceTicks, totalMinor);
  }

  side(runnerIndex: RunnerIndex, side: Side, limit = Infinity): Level[] {
    return this.sides[runnerIndex]?.[side].levels(limit) ?? [];
  }

  /** Every runner's levels, best first, at most `depth` per side. */
  runners(depth = Infinity): RunnerLevels[] {
    return this.sides.map((runner, runnerIndex) => ({ runnerIndex, back: runner.back.levels(depth), lay: runner.lay.levels(depth) }));
  }

  checksum(): number {
    return bookChecksum(this.runners(CHECKSUM_DEPTH));
  }
}
