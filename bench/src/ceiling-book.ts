// The ceiling: the least a correct price-time book on a bounded tick ladder has to do, as a
// struct of typed arrays. One CeilingLadder per runner, both sides; levels indexed by tick, each an
// intrusive doubly-linked FIFO through the order pool; a free list of slots; no risk, no events, no
// allocation per op (the pool doubles when full, which the benchmark avoids by sizing it up front).

import type { BenchBook } from './bench-book.js';
import { SIDE_BACK } from './workload.js';

const NONE = -1;

export class CeilingLadder {
  // Levels: [0, ladderSize) are backs, [ladderSize, 2 × ladderSize) are lays.
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private bestBack = NONE;
  private bestLay = NONE;
  fills = 0;

  constructor(
    private readonly pool: CeilingPool,
    private readonly ladderSize: number,
  ) {
    this.head = new Int32Array(ladderSize * 2).fill(NONE);
    this.tail = new Int32Array(ladderSize * 2).fill(NONE);
  }

  /** Matches, then rests the remainder. Returns the slot of the resting order or NONE. */
  place(orderId: number, side: number, tick: number, size: number): number {
    const pool = this.pool;
    const remaining = pool.remaining;
    const next = pool.next;
    let left = size;
    if (side === SIDE_BACK) {
      // A back at `tick` takes lays priced at or above it, highest first.
      const base = this.ladderSize;
      while (left > 0 && this.bestLay !== NONE && this.bestLay >= tick) {
        const level = base + this.bestLay;
        let maker = this.head[level] as number;
        while (maker !== NONE && left > 0) {
          const makerLeft = remaining[maker] as number;
          this.fills++;
          if (makerLeft <= left) {
            left -= makerLeft;
            const after = next[maker] as number;
            pool.free(maker);
            maker = after;
          } else {
            remaining[maker] = makerLeft - left;
            left = 0;
          }
        }
        this.head[level] = maker;
        if (maker === NONE) {
          this.tail[level] = NONE;
          this.bestLay = this.scanLayDown(this.bestLay - 1);
        } else {
          pool.prev[maker] = NONE;
        }
      }
    } else {
      // A lay at `tick` takes backs priced at or below it, lowest first.
      while (left > 0 && this.bestBack !== NONE && this.bestBack <= tick) {
        const level = this.bestBack;
        let maker = this.head[level] as number;
        while (maker !== NONE && left > 0) {
          const makerLeft = remaining[maker] as number;
          this.fills++;
          if (makerLeft <= left) {
            left -= makerLeft;
            const after = next[maker] as number;
            pool.free(maker);
            maker = after;
          } else {
            remaining[maker] = makerLeft - left;
            left = 0;
          }
        }
        this.head[level] = maker;
        if (maker === NONE) {
          this.tail[level] = NONE;
          this.bestBack = this.scanBackUp(this.bestBack + 1);
        } else {
          pool.prev[maker] = NONE;
        }
      }
    }
    if (left === 0) return NONE;

    const slot = pool.alloc(orderId);
    pool.remaining[slot] = left;
    pool.tick[slot] = tick;
    pool.side[slot] = side;
    const level = side === SIDE_BACK ? tick : this.ladderSize + tick;
    const tail = this.tail[level] as number;
    pool.prev[slot] = tail;
    pool.next[slot] = NONE;
    if (tail === NONE) this.head[level] = slot;
    else pool.next[tail] = slot;
    this.tail[level] = slot;
    if (side === SIDE_BACK) {
      if (this.bestBack === NONE || tick < this.bestBack) this.bestBack = tick;
    } else if (this.bestLay === NONE || tick > this.bestLay) {
      this.bestLay = tick;
    }
    return slot;
  }

  /** Unlinks a resting order and frees its slot. */
  cancel(slot: number): void {
    const pool = this.pool;
    const tick = pool.tick[slot] as number;
    const back = pool.side[slot] === SIDE_BACK;
    const level = back ? tick : this.ladderSize + tick;
    const prev = pool.prev[slot] as number;
    const next = pool.next[slot] as number;
    if (prev === NONE) this.head[level] = next;
    else pool.next[prev] = next;
    if (next === NONE) this.tail[level] = prev;
    else pool.prev[next] = prev;
    pool.free(slot);
    if (this.head[level] === NONE) {
      if (back && tick === this.bestBack) this.bestBack = this.scanBackUp(tick + 1);
      else if (!back && tick === this.bestLay) this.bestLay = this.scanLayDown(tick - 1);
    }
  }

  private scanBackUp(from: number): number {
    for (let t = from; t < this.ladderSize; t++) if (this.head[t] !== NONE) return t;
    return NONE;
  }

  private scanLayDown(from: number): number {
    const base = this.ladderSize;
    for (let t = from; t >= 0; t--) if (this.head[base + t] !== NONE) return t;
    return NONE;
  }
}

/**
 * The order slots shared by the ladders of one book, with the order id → slot index (order ids
 * are dense, so a typed array) and a free list threaded through `next`.
 */
export class CeilingPool {
  remaining: Float64Array;
  prev: Int32Array;
  next: Int32Array;
  tick: Int16Array;
  side: Uint8Array;
  orderId: Int32Array;
  slotOfOrder: Int32Array;
  live = 0;
  private capacity: number;
  private highWater = 0;
  private freeHead = NONE;

  constructor(capacity: number, maxOrderId: number) {
    this.capacity = capacity;
    this.remaining = new Float64Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.tick = new Int16Array(capacity);
    this.side = new Uint8Array(capacity);
    this.orderId = new Int32Array(capacity);
    this.slotOfOrder = new Int32Array(maxOrderId + 1).fill(NONE);
  }

  alloc(orderId: number): number {
    let slot = this.freeHead;
    if (slot !== NONE) this.freeHead = this.next[slot] as number;
    else {
      if (this.highWater === this.capacity) this.grow();
      slot = this.highWater++;
    }
    this.orderId[slot] = orderId;
    this.slotOfOrder[orderId] = slot;
    this.live++;
    return slot;
  }

  free(slot: number): void {
    this.slotOfOrder[this.orderId[slot] as number] = NONE;
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
    this.live--;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const grow = <T extends Float64Array | Int32Array | Int16Array | Uint8Array>(array: T, make: (n: number) => T): T => {
      const grown = make(capacity);
      grown.set(array);
      return grown;
    };
    this.remaining = grow(this.remaining, (n) => new Float64Array(n));
    this.prev = grow(this.prev, (n) => new Int32Array(n));
    this.next = grow(this.next, (n) => new Int32Array(n));
    this.tick = grow(this.tick, (n) => new Int16Array(n));
    this.side = grow(this.side, (n) => new Uint8Array(n));
    this.orderId = grow(this.orderId, (n) => new Int32Array(n));
    this.capacity = capacity;
  }
}

/** The ceiling as a BenchBook: one ladder per runner over one pool. */
export class CeilingBook implements BenchBook {
  private readonly pool: CeilingPool;
  private readonly ladders: CeilingLadder[] = [];
  private readonly runnerOfOrder: Uint8Array;

  constructor(options: { runnerCount: number; ladderSize: number; capacity: number; maxOrderId: number }) {
    this.pool = new CeilingPool(options.capacity, options.maxOrderId);
    for (let r = 0; r < options.runnerCount; r++) this.ladders.push(new CeilingLadder(this.pool, options.ladderSize));
    this.runnerOfOrder = new Uint8Array(options.maxOrderId + 1);
  }

  place(orderId: number, runner: number, side: number, priceTicks: number, sizeMinor: number): void {
    this.runnerOfOrder[orderId] = runner;
    (this.ladders[runner] as CeilingLadder).place(orderId, side, priceTicks, sizeMinor);
  }

  cancel(orderId: number): void {
    const slot = this.pool.slotOfOrder[orderId] as number;
    if (slot === NONE) return;
    (this.ladders[this.runnerOfOrder[orderId] as number] as CeilingLadder).cancel(slot);
  }

  liveOrders(): number {
    return this.pool.live;
  }

  fills(): number {
    let total = 0;
    for (const ladder of this.ladders) total += ladder.fills;
    return total;
  }
}
