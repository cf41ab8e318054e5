// The replay loops. Each book under test gets its own freshly compiled copy of these functions,
// so the JIT's type feedback at the place/cancel call sites stays monomorphic for that book and one
// book's run cannot deoptimise or slow down another's. The loops are therefore self-contained:
// they touch only their parameters and globals.

import type { BenchBook } from './bench-book.js';
import type { Workload } from './workload.js';

export type ReplayFn = (book: BenchBook, w: Workload, from: number, to: number) => void;
export type ReplayTimedFn = (book: BenchBook, w: Workload, from: number, to: number, out: Float64Array) => void;

function replayLoop(book: BenchBook, w: Workload, from: number, to: number): void {
  const kind = w.kind;
  const orderId = w.orderId;
  const runner = w.runner;
  const side = w.side;
  const priceTicks = w.priceTicks;
  const sizeMinor = w.sizeMinor;
  for (let i = from; i < to; i++) {
    if (kind[i] === 0) {
      book.place(orderId[i] as number, runner[i] as number, side[i] as number, priceTicks[i] as number, sizeMinor[i] as number);
    } else {
      book.cancel(orderId[i] as number);
    }
  }
}

function replayTimedLoop(book: BenchBook, w: Workload, from: number, to: number, out: Float64Array): void {
  const kind = w.kind;
  const orderId = w.orderId;
  const runner = w.runner;
  const side = w.side;
  const priceTicks = w.priceTicks;
  const sizeMinor = w.sizeMinor;
  for (let i = from; i < to; i++) {
    const isPlace = kind[i] === 0;
    const id = orderId[i] as number;
    const r = runner[i] as number;
    const s = side[i] as number;
    const p = priceTicks[i] as number;
    const q = sizeMinor[i] as number;
    const t0 = performance.now();
    if (isPlace) book.place(id, r, s, p, q);
    else book.cancel(id);
    out[i - from] = (performance.now() - t0) * 1e6;
  }
}

let compiled = 0;

/**
 * A new copy of a function with its own JIT feedback. The source gets a unique suffix: V8 caches
 * compilations of identical source text, and a cache hit would share the feedback again.
 */
function compile<T>(fn: (...args: never[]) => unknown): T {
  compiled++;
  return new Function(`return (${fn.toString()});\n// copy ${compiled}`)() as T;
}

/** Fresh, unshared copies of the replay loops for one book. */
export function freshReplayLoops(): { replay: ReplayFn; replayTimed: ReplayTimedFn } {
  return { replay: compile<ReplayFn>(replayLoop), replayTimed: compile<ReplayTimedFn>(replayTimedLoop) };
}
