// A market's price levels as the market-data stream describes them, and the CRC-32 checksum of its
// top of book, shared by the gateway (which sends it), its typed client and the web app (which
// check it), so all agree on "the same book".
//
// Sides are the sides of the resting orders: `back` holds resting back orders (best = lowest
// price), `lay` holds resting lay orders (best = highest price).

import type { Side } from './commands.js';
import type { RunnerIndex } from './ids.js';

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
