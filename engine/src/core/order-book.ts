// Order books as typed arrays. Orders live in one struct-of-arrays pool with a free list; each side
// of each runner is a ladder of price levels, each level an intrusive doubly-linked FIFO through
// the pool. Insert, cancel and match are O(1) and allocate nothing per order.
//
// API for callers outside the matching stage (benchmarks): `OrderPool`, `SideLadder`, and
// `BookOnly`, which places and cancels limit orders on a set of runners with no risk and no events:
//   const book = new BookOnly({ runnerCount: 3, ladderSize: 350 });
//   book.place(orderId, runnerIndex, SIDE_BACK, priceTicks, sizeMinor); // returns matched size
//   book.cancel(orderId);                                              // returns true if open
//   book.liveOrders();

import { assert } from '@playchacha/protocol';
import { IdMap } from './id-map.js';

export const NONE = -1;
export const SIDE_BACK = 0;
export const SIDE_LAY = 1;

/** Bit flags of an order in the pool. */
export const FLAG_PERSIST = 1;
export const FLAG_POST_ONLY = 2;
export const FLAG_DELAYED = 4;

const POOL_CAPACITY_INITIAL = 1024;

/** Every open order, struct of arrays. A slot is an index into these arrays. */
export class OrderPool {
  orderId: Float64Array = new Float64Array(POOL_CAPACITY_INITIAL);
  accountId: Float64Array = new Float64Array(POOL_CAPACITY_INITIAL);
  sizeMinor: Float64Array = new Float64Array(POOL_CAPACITY_INITIAL);
  remainingMinor: Float64Array = new Float64Array(POOL_CAPACITY_INITIAL);
  matchedMinor: Float64Array = new Float64Array(POOL_CAPACITY_INITIAL);
  cancelledMinor: Float64Array = new Float64Array(POOL_CAPACITY_INITIAL);
  /** For delayed orders: the release time. */
  releaseAtMs: Float64Array = new Float64Array(POOL_CAPACITY_INITIAL);
  marketSlot: Int32Array = new Int32Array(POOL_CAPACITY_INITIAL);
  runnerIndex: Int32Array = new Int32Array(POOL_CAPACITY_INITIAL);
  priceTicks: Int32Array = new Int32Array(POOL_CAPACITY_INITIAL);
  prev: Int32Array = new Int32Array(POOL_CAPACITY_INITIAL);
  next: Int32Array = new Int32Array(POOL_CAPACITY_INITIAL);
  accountPrev: Int32Array = new Int32Array(POOL_CAPACITY_INITIAL);
  accountNext: Int32Array = new Int32Array(POOL_CAPACITY_INITIAL);
  side: Uint8Array = new Uint8Array(POOL_CAPACITY_INITIAL);
  flags: Uint8Array = new Uint8Array(POOL_CAPACITY_INITIAL);

  private capacity = POOL_CAPACITY_INITIAL;
  private highWater = 0;
  private freeHead = NONE;
  liveCount = 0;

  alloc(): number {
    let slot = this.freeHead;
    if (slot !== NONE) {
      this.freeHead = this.next[slot] as number;
    } else {
      if (this.highWater === this.capacity) this.grow();
      slot = this.highWater++;
    }
    this.liveCount++;
    this.prev[slot] = NONE;
    this.next[slot] = NONE;
    this.accountPrev[slot] = NONE;
    this.accountNext[slot] = NONE;
    this.matchedMinor[slot] = 0;
    this.cancelledMinor[slot] = 0;
    this.flags[slot] = 0;
    return slot;
  }

  release(slot: number): void {
    assert(this.orderId[slot] !== 0, 'releasing a free slot');
    this.orderId[slot] = 0;
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
    this.liveCount--;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.orderId = growF64(this.orderId, capacity);
    this.accountId = growF64(this.accountId, capacity);
    this.sizeMinor = growF64(this.sizeMinor, capacity);
    this.remainingMinor = growF64(this.remainingMinor, capacity);
    this.matchedMinor = growF64(this.matchedMinor, capacity);
    this.cancelledMinor = growF64(this.cancelledMinor, capacity);
    this.releaseAtMs = growF64(this.releaseAtMs, capacity);
    this.marketSlot = growI32(this.marketSlot, capacity);
    this.runnerIndex = growI32(this.runnerIndex, capacity);
    this.priceTicks = growI32(this.priceTicks, capacity);
    this.prev = growI32(this.prev, capacity);
    this.next = growI32(this.next, capacity);
    this.accountPrev = growI32(this.accountPrev, capacity);
    this.accountNext = growI32(this.accountNext, capacity);
    this.side = growU8(this.side, capacity);
    this.flags = growU8(this.flags, capacity);
    this.capacity = capacity;
  }
}

function growF64(array: Float64Array, capacity: number): Float64Array {
  const grown = new Float64Array(capacity);
  grown.set(array);
  return grown;
}
function growI32(array: Int32Array, capacity: number): Int32Array {
  const grown = new Int32Array(capacity);
  grown.set(array);
  return grown;
}
function growU8(array: Uint8Array, capacity: number): Uint8Array {
  const grown = new Uint8Array(capacity);
  grown.set(array);
  return grown;
}

/**
 * One side of one runner's book. Backs: the best price is the lowest tick (a layer takes the
 * lowest odds first). Lays: the best price is the highest tick.
 */
export class SideLadder {
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly totalMinor: Float64Array;
  best = NONE;
  private nonEmptyLevels = 0;

  constructor(
    readonly ladderSize: number,
    readonly side: number,
  ) {
    this.head = new Int32Array(ladderSize).fill(NONE);
    this.tail = new Int32Array(ladderSize).fill(NONE);
    this.totalMinor = new Float64Array(ladderSize);
  }

  /** True when a taker limited at limitTick would reach this side's best level. */
  reachable(limitTick: number): boolean {
    const best = this.best;
    if (best === NONE) return false;
    return this.side === SIDE_LAY ? best >= limitTick : best <= limitTick;
  }

  /** True when tick is at or beyond the best price of this side as seen by a taker. */
  isBetterOrEqual(tick: number, limitTick: number): boolean {
    return this.side === SIDE_LAY ? tick >= limitTick : tick <= limitTick;
  }

  append(pool: OrderPool, slot: number, tick: number): void {
    const tail = this.tail[tick] as number;
    pool.prev[slot] = tail;
    pool.next[slot] = NONE;
    if (tail === NONE) {
      this.head[tick] = slot;
      this.nonEmptyLevels++;
      const best = this.best;
      if (best === NONE || (this.side === SIDE_BACK ? tick < best : tick > best)) this.best = tick;
    } else {
      pool.next[tail] = slot;
    }
    this.tail[tick] = slot;
    this.totalMinor[tick] = (this.totalMinor[tick] as number) + (pool.remainingMinor[slot] as number);
  }

  /** Removes an order from its level; its remaining size leaves the level total. */
  unlink(pool: OrderPool, slot: number): void {
    const tick = pool.priceTicks[slot] as number;
    const prev = pool.prev[slot] as number;
    const next = pool.next[slot] as number;
    if (prev === NONE) this.head[tick] = next;
    else pool.next[prev] = next;
    if (next === NONE) this.tail[tick] = prev;
    else pool.prev[next] = prev;
    this.totalMinor[tick] = (this.totalMinor[tick] as number) - (pool.remainingMinor[slot] as number);
    if (this.head[tick] === NONE) {
      this.nonEmptyLevels--;
      this.totalMinor[tick] = 0;
      if (tick === this.best) this.best = this.nonEmptyLevels === 0 ? NONE : this.scanFrom(tick);
    }
  }

  /** The level total goes down by qty (a partial fill or reduction of an order that stays). */
  reduceLevel(tick: number, qty: number): void {
    this.totalMinor[tick] = (this.totalMinor[tick] as number) - qty;
  }

  private scanFrom(tick: number): number {
    if (this.side === SIDE_BACK) {
      for (let t = tick + 1; t < this.ladderSize; t++) if (this.head[t] !== NONE) return t;
    } else {
      for (let t = tick - 1; t >= 0; t--) if (this.head[t] !== NONE) return t;
    }
    assert(false, 'non-empty ladder has no best level');
  }

  isEmpty(): boolean {
    return this.nonEmptyLevels === 0;
  }
}

/** What the matching loop reports, one call per event, to whoever drives it. */
export interface MatchSink {
  /** A match of qty at the maker's price; the maker's remaining is already reduced. */
  onFill(makerSlot: number, qty: number, priceTicks: number): void;
  /** The maker was fully matched and unlinked; the sink must close and release it. */
  onMakerFilled(makerSlot: number): void;
  /** The maker belongs to the taker's account and was unlinked by self-trade prevention. */
  onSelfTradeMaker(makerSlot: number): void;
}

export const STP_CANCEL_NEWEST = 0;
export const STP_CANCEL_OLDEST = 1;
export const STP_CANCEL_BOTH = 2;

/**
 * Matches a taker of `remainingMinor` limited at `limitTick` against the opposite ladder, in
 * price-time priority at the makers' prices. Returns the taker's remaining size; when self-trade
 * prevention stops the taker it returns -(remaining + 1), so the caller learns both facts without
 * allocating.
 */
export function matchTaker(
  pool: OrderPool,
  opposite: SideLadder,
  takerAccountId: number,
  limitTick: number,
  remainingMinor: number,
  selfTrade: number,
  sink: MatchSink,
): number {
  let remaining = remainingMinor;
  while (remaining > 0 && opposite.reachable(limitTick)) {
    const tick = opposite.best;
    const maker = opposite.head[tick] as number;
    if (pool.accountId[maker] === takerAccountId) {
      if (selfTrade === STP_CANCEL_NEWEST) return -(remaining + 1);
      opposite.unlink(pool, maker);
      sink.onSelfTradeMaker(maker);
      if (selfTrade === STP_CANCEL_BOTH) return -(remaining + 1);
      continue;
    }
    const makerRemaining = pool.remainingMinor[maker] as number;
    const qty = remaining < makerRemaining ? remaining : makerRemaining;
    remaining -= qty;
    pool.matchedMinor[maker] = (pool.matchedMinor[maker] as number) + qty;
    if (qty === makerRemaining) {
      opposite.unlink(pool, maker);
      pool.remainingMinor[maker] = 0;
      sink.onFill(maker, qty, tick);
      sink.onMakerFilled(maker);
    } else {
      pool.remainingMinor[maker] = makerRemaining - qty;
      opposite.reduceLevel(tick, qty);
      sink.onFill(maker, qty, tick);
    }
  }
  return remaining;
}

/**
 * How much a taker could fill at once before self-trade prevention would stop it, counting up to
 * `neededMinor` (for fill-or-kill and minimum-fill checks).
 */
export function fillableMinor(
  pool: OrderPool,
  opposite: SideLadder,
  takerAccountId: number,
  limitTick: number,
  neededMinor: number,
  selfTrade: number,
): number {
  let total = 0;
  let tick = opposite.best;
  if (tick === NONE) return 0;
  const step = opposite.side === SIDE_LAY ? -1 : 1;
  for (; tick >= 0 && tick < opposite.ladderSize; tick += step) {
    if (!opposite.isBetterOrEqual(tick, limitTick)) break;
    for (let slot = opposite.head[tick] as number; slot !== NONE; slot = pool.next[slot] as number) {
      if (pool.accountId[slot] === takerAccountId) {
        if (selfTrade === STP_CANCEL_OLDEST) continue;
        return total;
      }
      total += pool.remainingMinor[slot] as number;
      if (total >= neededMinor) return total;
    }
  }
  return total;
}

/** Our book with no risk and no events: the data structure and the matching loop alone. */
export class BookOnly implements MatchSink {
  readonly pool = new OrderPool();
  private readonly ladders: SideLadder[] = [];
  private readonly slotOfOrder = new IdMap();
  fills = 0;

  constructor(options: { runnerCount: number; ladderSize: number }) {
    for (let runner = 0; runner < options.runnerCount; runner++) {
      this.ladders.push(new SideLadder(options.ladderSize, SIDE_BACK));
      this.ladders.push(new SideLadder(options.ladderSize, SIDE_LAY));
    }
  }

  /** Places a limit order; the remainder rests. Returns the size matched. */
  place(orderId: number, runnerIndex: number, side: number, priceTicks: number, sizeMinor: number): number {
    const own = this.ladders[runnerIndex * 2 + side] as SideLadder;
    const opposite = this.ladders[runnerIndex * 2 + (1 - side)] as SideLadder;
    const remaining = matchTaker(this.pool, opposite, -1, priceTicks, sizeMinor, STP_CANCEL_NEWEST, this);
    if (remaining > 0) {
      const pool = this.pool;
      const slot = pool.alloc();
      pool.orderId[slot] = orderId;
      pool.accountId[slot] = 0;
      pool.sizeMinor[slot] = sizeMinor;
      pool.remainingMinor[slot] = remaining;
      pool.matchedMinor[slot] = sizeMinor - remaining;
      pool.runnerIndex[slot] = runnerIndex;
      pool.side[slot] = side;
      pool.priceTicks[slot] = priceTicks;
      own.append(pool, slot, priceTicks);
      this.slotOfOrder.set(orderId, slot);
    }
    return sizeMinor - remaining;
  }

  cancel(orderId: number): boolean {
    const slot = this.slotOfOrder.get(orderId);
    if (slot < 0) return false;
    const pool = this.pool;
    const ladder = this.ladders[(pool.runnerIndex[slot] as number) * 2 + (pool.side[slot] as number)] as SideLadder;
    ladder.unlink(pool, slot);
    this.slotOfOrder.delete(orderId);
    pool.release(slot);
    return true;
  }

  liveOrders(): number {
    return this.pool.liveCount;
  }

  onFill(): void {
    this.fills++;
  }

  onMakerFilled(makerSlot: number): void {
    this.slotOfOrder.delete(this.pool.orderId[makerSlot] as number);
    this.pool.release(makerSlot);
  }

  onSelfTradeMaker(): void {
    assert(false, 'BookOnly has no accounts, so no self-trades');
  }
}
