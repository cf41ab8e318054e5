// A market's price levels as the market-data stream describes them, and the checksum of its top
// of book. Pure and dependency-free so that the server's read model, the typed client and a
// browser share one definition of "the same book".
//
// Sides are the sides of the resting orders: `back` holds resting back orders (best = lowest
// price), `lay` holds resting lay orders (best = highest price).

import type { RunnerIndex, Side } from '@playchacha/protocol';

/** [priceTicks, totalMinor]: the summed unmatched stake resting at one price. */
export type Level = readonly [priceTicks: number, totalMinor: number];

/** [runnerIndex, side, priceTicks, totalMinor]; totalMinor 0 removes the level. */
export type LevelChange = readonly [runnerIndex: RunnerIndex, side: Side, priceTicks: number, totalMinor: number];

export interface RunnerLevels {
  readonly runnerIndex: RunnerIndex;
  /** Best first: ascending price. */
  readonly back: readonly Level[];
  /** Best first: descending price. */
  readonly lay: readonly Level[];
}

/** Levels counted per side by the checksum. */
export const CHECKSUM_DEPTH = 3;

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

  runners(): RunnerLevels[] {
    return this.sides.map((runner, runnerIndex) => ({ runnerIndex, back: runner.back.levels(), lay: runner.lay.levels() }));
  }

  checksum(): number {
    return bookChecksum(this.sides.map((runner, runnerIndex) => ({
      runnerIndex,
      back: runner.back.levels(CHECKSUM_DEPTH),
      lay: runner.lay.levels(CHECKSUM_DEPTH),
    })));
  }
}

/**
 * CRC-32 (IEEE 802.3, as zlib) of the text
 * `<runner>:<tick>@<total>,<tick>@<total>,<tick>@<total>/<tick>@<total>,...;<next runner>...`
 * listing, for every runner in ascending index, its best CHECKSUM_DEPTH back levels then, after
 * `/`, its best CHECKSUM_DEPTH lay levels. Example: runner 0 with backs 2.0 (tick 99) 10.00 and
 * nothing laid, runner 1 empty: `0:99@1000/;1:/`.
 */
export function bookChecksum(runners: readonly RunnerLevels[]): number {
  const parts: string[] = [];
  for (const runner of runners) {
    const back = runner.back.slice(0, CHECKSUM_DEPTH).map(([tick, total]) => `${tick}@${total}`).join(',');
    const lay = runner.lay.slice(0, CHECKSUM_DEPTH).map(([tick, total]) => `${tick}@${total}`).join(',');
    parts.push(`${runner.runnerIndex}:${back}/${lay}`);
  }
  return crc32(parts.join(';'));
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of an ASCII string (the checksum text is ASCII only). */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
