// The seeded mixed order flow of the engine benchmark (research note §3.1, "workload W"):
// one market, three runners, a prefill of resting orders, then a mix of
//   60 % passive limit orders near the touch (offset from their own side's best price is
//        exponential with mean ~3 ticks; 5 % improve the spread by one tick),
//   30 % cancels of a random live order,
//   10 % crossing orders priced 2 ticks through the opposite touch with 3× the average size,
//        whose remainder rests.
// To place near the touch and to cancel only live orders, the generator keeps its own exact,
// deliberately plain simulation of the books (JS arrays and lazy deletion). The op list is then
// stored in typed arrays and replayed identically into every book under test.

import { STANDARD_LADDER, tickOfPriceX100 } from '@playchacha/protocol';
import { mulberry32 } from '@playchacha/engine/testing';

export const SIDE_BACK = 0;
export const SIDE_LAY = 1;
export const OP_PLACE = 0;
export const OP_CANCEL = 1;

export const RUNNER_COUNT = 3;
export const LADDER_SIZE = STANDARD_LADDER.pricesX100.length;
/** Tick of decimal odds 2.0 on the standard ladder. */
export const CENTRE_TICK = tickOfPriceX100(STANDARD_LADDER, 200);

const SIZE_MIN = 200;
const SIZE_MAX = 5000;
const CROSS_SIZE_FACTOR = 3;
const OFFSET_MEAN_TICKS = 3;
const IMPROVE_SHARE = 0.05;
const PASSIVE_SHARE = 0.6;
const CANCEL_SHARE = 0.3;
const CROSS_THROUGH_TICKS = 2;

export interface WorkloadOptions {
  readonly seed: number;
  /** Resting orders placed before the measured ops. */
  readonly prefill: number;
  /** Measured ops after the prefill. */
  readonly ops: number;
  /** Op counts (after the prefill) at which the expected live-order count is recorded. */
  readonly checkpoints?: readonly number[];
}

/**
 * The op list. Op i (0 ≤ i < total) is a place or a cancel; ops [0, prefill) are the prefill.
 * Order ids are 1, 2, 3, ... in placement order, so id k is the k-th place op.
 */
export interface Workload {
  readonly seed: number;
  readonly prefill: number;
  readonly ops: number;
  readonly total: number;
  readonly kind: Uint8Array;
  /** The new order's id (place) or the target's id (cancel). */
  readonly orderId: Int32Array;
  readonly runner: Uint8Array;
  readonly side: Uint8Array;
  readonly priceTicks: Uint16Array;
  readonly sizeMinor: Int32Array;
  /** Largest order id used. */
  readonly maxOrderId: number;
  /** By order id: the runner and side of the order. */
  readonly runnerOfOrder: Uint8Array;
  readonly sideOfOrder: Uint8Array;
  /** Expected live-order count after the prefill and `checkpoint` measured ops. */
  readonly expectedLive: ReadonlyMap<number, number>;
  readonly stats: WorkloadStats;
}

export interface WorkloadStats {
  places: number;
  passive: number;
  crossing: number;
  cancels: number;
  fills: number;
  /** Final best prices per runner as [bestBack, bestLay] ticks (-1 when empty). */
  touches: Array<[number, number]>;
  maxLive: number;
}

export { mulberry32 };

/** One side of one runner in the generator's simulation. */
class SimSide {
  /** Per tick: FIFO of order ids, consumed from `head`; cancelled ids are skipped lazily. */
  readonly queues: number[][] = [];
  readonly heads: number[] = [];
  readonly live: number[] = [];
  best = -1;

  constructor(readonly side: number) {
    for (let t = 0; t < LADDER_SIZE; t++) {
      this.queues.push([]);
      this.heads.push(0);
      this.live.push(0);
    }
  }

  add(orderId: number, tick: number): void {
    (this.queues[tick] as number[]).push(orderId);
    this.live[tick] = (this.live[tick] as number) + 1;
    if (this.best === -1 || (this.side === SIDE_BACK ? tick < this.best : tick > this.best)) this.best = tick;
  }

  /** An order left level `tick` (filled or cancelled). */
  removed(tick: number): void {
    const left = (this.live[tick] as number) - 1;
    this.live[tick] = left;
    if (left === 0) {
      this.queues[tick] = [];
      this.heads[tick] = 0;
      if (tick === this.best) this.best = this.scanFrom(tick);
    }
  }

  private scanFrom(tick: number): number {
    if (this.side === SIDE_BACK) {
      for (let t = tick + 1; t < LADDER_SIZE; t++) if ((this.live[t] as number) > 0) return t;
    } else {
      for (let t = tick - 1; t >= 0; t--) if ((this.live[t] as number) > 0) return t;
    }
    return -1;
  }
}

export function generateWorkload(options: WorkloadOptions): Workload {
  const { seed, prefill, ops } = options;
  const total = prefill + ops;
  const random = mulberry32(seed);
  const checkpoints = new Set(options.checkpoints ?? []);
  const expectedLive = new Map<number, number>();

  const kind = new Uint8Array(total);
  const orderIdOf = new Int32Array(total);
  const runnerOf = new Uint8Array(total);
  const sideOf = new Uint8Array(total);
  const priceOf = new Uint16Array(total);
  const sizeOf = new Int32Array(total);

  // Per order id (an upper bound: every op could be a place).
  const capacity = total + 1;
  const remaining = new Float64Array(capacity);
  const orderRunner = new Uint8Array(capacity);
  const orderSide = new Uint8Array(capacity);
  const orderTick = new Uint16Array(capacity);
  // Dense list of live order ids with each id's position, for uniform random cancels.
  const liveIds = new Int32Array(capacity);
  const livePos = new Int32Array(capacity).fill(-1);
  let liveCount = 0;

  const sides: SimSide[] = [];
  for (let r = 0; r < RUNNER_COUNT; r++) sides.push(new SimSide(SIDE_BACK), new SimSide(SIDE_LAY));
  const simSide = (runner: number, side: number): SimSide => sides[runner * 2 + side] as SimSide;

  const stats: WorkloadStats = { places: 0, passive: 0, crossing: 0, cancels: 0, fills: 0, touches: [], maxLive: 0 };
  let nextOrderId = 1;

  const dropLive = (id: number): void => {
    const pos = livePos[id] as number;
    const lastId = liveIds[--liveCount] as number;
    liveIds[pos] = lastId;
    livePos[lastId] = pos;
    livePos[id] = -1;
  };

  const randomSize = (factor: number): number =>
    factor * (SIZE_MIN + Math.floor(random() * (SIZE_MAX - SIZE_MIN + 1)));
  const clampTick = (tick: number): number => (tick < 0 ? 0 : tick >= LADDER_SIZE ? LADDER_SIZE - 1 : tick);

  // Places an order in the simulation: match against the opposite side, rest the remainder.
  const place = (i: number, runner: number, side: number, tick: number, size: number): void => {
    const id = nextOrderId++;
    kind[i] = OP_PLACE;
    orderIdOf[i] = id;
    runnerOf[i] = runner;
    sideOf[i] = side;
    priceOf[i] = tick;
    sizeOf[i] = size;
    orderRunner[id] = runner;
    orderSide[id] = side;
    orderTick[id] = tick;
    stats.places++;

    const opposite = simSide(runner, 1 - side);
    let left = size;
    while (left > 0 && opposite.best !== -1 && (side === SIDE_BACK ? opposite.best >= tick : opposite.best <= tick)) {
      const level = opposite.best;
      const queue = opposite.queues[level] as number[];
      let head = opposite.heads[level] as number;
      let maker = queue[head] as number;
      while ((remaining[maker] as number) === 0) maker = queue[++head] as number;
      opposite.heads[level] = head;
      const makerLeft = remaining[maker] as number;
      const qty = left < makerLeft ? left : makerLeft;
      left -= qty;
      remaining[maker] = makerLeft - qty;
      stats.fills++;
      if (qty === makerLeft) {
        opposite.heads[level] = head + 1;
        dropLive(maker);
        opposite.removed(level);
      }
    }
    if (left > 0) {
      remaining[id] = left;
      simSide(runner, side).add(id, tick);
      liveIds[liveCount] = id;
      livePos[id] = liveCount++;
      if (liveCount > stats.maxLive) stats.maxLive = liveCount;
    }
  };

  const placePassive = (i: number): void => {
    const runner = Math.floor(random() * RUNNER_COUNT);
    const side = random() < 0.5 ? SIDE_BACK : SIDE_LAY;
    const own = simSide(runner, side);
    const opposite = simSide(runner, 1 - side);
    const away = side === SIDE_BACK ? 1 : -1;
    let best = own.best;
    if (best === -1) best = opposite.best === -1 ? CENTRE_TICK + away : opposite.best + away;
    let tick: number;
    if (random() < IMPROVE_SHARE) {
      // One tick inside the spread when there is room, otherwise join the touch.
      tick = best - away;
      if (opposite.best !== -1 && (side === SIDE_BACK ? tick <= opposite.best : tick >= opposite.best)) tick = best;
    } else {
      const offset = Math.floor(-Math.log(1 - random()) * OFFSET_MEAN_TICKS);
      tick = best + away * offset;
    }
    stats.passive++;
    place(i, runner, side, clampTick(tick), randomSize(1));
  };

  const placeCrossing = (i: number): void => {
    const runner = Math.floor(random() * RUNNER_COUNT);
    const side = random() < 0.5 ? SIDE_BACK : SIDE_LAY;
    const opposite = simSide(runner, 1 - side);
    const away = side === SIDE_BACK ? 1 : -1;
    // A back crosses down through the best lay; a lay crosses up through the best back.
    const touch = opposite.best === -1 ? CENTRE_TICK - away : opposite.best;
    stats.crossing++;
    place(i, runner, side, clampTick(touch - away * CROSS_THROUGH_TICKS), randomSize(CROSS_SIZE_FACTOR));
  };

  const cancel = (i: number): void => {
    const id = liveIds[Math.floor(random() * liveCount)] as number;
    kind[i] = OP_CANCEL;
    orderIdOf[i] = id;
    runnerOf[i] = orderRunner[id] as number;
    sideOf[i] = orderSide[id] as number;
    priceOf[i] = orderTick[id] as number;
    sizeOf[i] = 0;
    remaining[id] = 0;
    dropLive(id);
    simSide(orderRunner[id] as number, orderSide[id] as number).removed(orderTick[id] as number);
    stats.cancels++;
  };

  for (let i = 0; i < prefill; i++) placePassive(i);
  if (checkpoints.has(0)) expectedLive.set(0, liveCount);
  for (let n = 0; n < ops; n++) {
    const i = prefill + n;
    const u = random();
    if (u < PASSIVE_SHARE || (u < PASSIVE_SHARE + CANCEL_SHARE && liveCount === 0)) placePassive(i);
    else if (u < PASSIVE_SHARE + CANCEL_SHARE) cancel(i);
    else placeCrossing(i);
    if (checkpoints.has(n + 1)) expectedLive.set(n + 1, liveCount);
  }
  expectedLive.set(ops, liveCount);
  for (let r = 0; r < RUNNER_COUNT; r++) stats.touches.push([simSide(r, SIDE_BACK).best, simSide(r, SIDE_LAY).best]);

  const maxOrderId = nextOrderId - 1;
  return {
    seed,
    prefill,
    ops,
    total,
    kind,
    orderId: orderIdOf,
    runner: runnerOf,
    side: sideOf,
    priceTicks: priceOf,
    sizeMinor: sizeOf,
    maxOrderId,
    runnerOfOrder: orderRunner.slice(0, maxOrderId + 1),
    sideOfOrder: orderSide.slice(0, maxOrderId + 1),
    expectedLive,
    stats,
  };
}
