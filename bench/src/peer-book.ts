// The peer: the npm package nodejs-order-book (10.1.1), one OrderBook per runner.
// Mapping: a lay (offers odds up to p, takes backs priced ≤ p, lowest first) is a buy; a back
// (accepts odds ≥ p, takes lays priced ≥ p, highest first) is a sell. Its prices are plain numbers,
// so each tick is passed as its decimal odds (priceX100 / 100); every tick maps to one fixed double
// and the mapping is strictly increasing, so its price comparisons order levels exactly as ticks
// do, and fills at the resting price give the same book as ours. Its sizes are numbers too; ours
// are integers, so its size arithmetic stays exact. Its order ids are strings: they are built
// before timing. Its own extras (Date.now() per order, response objects) are part of its cost.

import { OrderBook, Side } from 'nodejs-order-book';
import { STANDARD_LADDER } from '@playchacha/protocol';
import type { BenchBook } from './bench-book.js';
import { SIDE_BACK } from './workload.js';

const PRICE_OF_TICK: readonly number[] = STANDARD_LADDER.pricesX100.map((x100) => x100 / 100);

export class PeerBook implements BenchBook {
  private readonly books: OrderBook[] = [];

  constructor(
    runnerCount: number,
    private readonly ids: readonly string[],
    private readonly runnerOfOrder: Uint8Array,
  ) {
    for (let r = 0; r < runnerCount; r++) this.books.push(new OrderBook());
  }

  place(orderId: number, runner: number, side: number, priceTicks: number, sizeMinor: number): void {
    (this.books[runner] as OrderBook).limit({
      id: this.ids[orderId] as string,
      side: side === SIDE_BACK ? Side.SELL : Side.BUY,
      size: sizeMinor,
      price: PRICE_OF_TICK[priceTicks] as number,
    });
  }

  cancel(orderId: number): void {
    (this.books[this.runnerOfOrder[orderId] as number] as OrderBook).cancel(this.ids[orderId] as string);
  }

  /** Open orders, read from the package's private id → order map (the package has no count). */
  liveOrders(): number {
    let total = 0;
    for (const book of this.books) {
      total += Object.keys((book as unknown as { orders: Record<string, unknown> }).orders).length;
    }
    return total;
  }
}

/** String ids "1", "2", ... indexed by numeric order id (index 0 unused). */
export function peerOrderIds(maxOrderId: number): string[] {
  const ids: string[] = [''];
  for (let id = 1; id <= maxOrderId; id++) ids.push(String(id));
  return ids;
}
