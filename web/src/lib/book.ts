// A market's price levels as the market-data stream describes them, and the CRC-32 checksum of its
// top of book, defined exactly as in the WebSocket API reference (§ Market data): for each runner
// in index order `<runnerIndex>:` + its best three back levels `<tick>@<total>` joined by `,`, `/`,
// its best three lay levels; runners joined by `;`.
//
// `back` holds resting back orders (best = lowest price: what a layer can take); `lay` holds
// resting lay orders (best = highest price: what a backer can take).

import { bookChecksum, CHECKSUM_DEPTH, type Level, type LevelChange, type RunnerLevels } from '@playchacha/protocol';

export { bookChecksum, CHECKSUM_DEPTH, crc32 } from '@playchacha/protocol';
export type { Level, LevelChange, RunnerLevels } from '@playchacha/protocol';

export class LocalBook {
  private readonly runners: Array<{ back: Map<number, number>; lay: Map<number, number> }> = [];

  constructor(runnerCount: number, levels: readonly RunnerLevels[] = []) {
    this.resize(runnerCount);
    for (const runner of levels) {
      for (const [tick, total] of runner.back) this.set(runner.runnerIndex, 'back', tick, total);
      for (const [tick, total] of runner.lay) this.set(runner.runnerIndex, 'lay', tick, total);
    }
  }

  get runnerCount(): number {
    return this.runners.length;
  }

  resize(runnerCount: number): void {
    while (this.runners.length < runnerCount) this.runners.push({ back: new Map(), lay: new Map() });
  }

  set(runnerIndex: number, side: 'back' | 'lay', priceTicks: number, totalMinor: number): void {
    const runner = this.runners[runnerIndex];
    if (runner === undefined) throw new RangeError(`runner ${runnerIndex} is not in the market`);
    if (totalMinor === 0) runner[side].delete(priceTicks);
    else runner[side].set(priceTicks, totalMinor);
  }

  apply(changes: readonly LevelChange[]): void {
    for (const [runnerIndex, side, priceTicks, totalMinor] of changes) this.set(runnerIndex, side, priceTicks, totalMinor);
  }

  /** Best first: back ascending, lay descending. */
  side(runnerIndex: number, side: 'back' | 'lay', depth = Infinity): Level[] {
    const levels = this.runners[runnerIndex]?.[side];
    if (levels === undefined) return [];
    const ticks = [...levels.keys()].sort(side === 'back' ? (a, b) => a - b : (a, b) => b - a);
    return ticks.slice(0, depth).map((tick) => [tick, levels.get(tick) as number] as const);
  }

  top(depth: number): RunnerLevels[] {
    return this.runners.map((_, runnerIndex) => ({ runnerIndex, back: this.side(runnerIndex, 'back', depth), lay: this.side(runnerIndex, 'lay', depth) }));
  }

  checksum(): number {
    return bookChecksum(this.top(CHECKSUM_DEPTH));
  }
}
