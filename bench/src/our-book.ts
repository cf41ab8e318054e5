// Our order book alone (no risk stage, no events): engine/src/core/order-book.ts `BookOnly`.

import { BookOnly } from '../../engine/src/core/order-book.js';
import type { BenchBook } from './bench-book.js';

export class OurBook implements BenchBook {
  private readonly book: BookOnly;

  constructor(options: { runnerCount: number; ladderSize: number }) {
    this.book = new BookOnly(options);
  }

  place(orderId: number, runner: number, side: number, priceTicks: number, sizeMinor: number): void {
    this.book.place(orderId, runner, side, priceTicks, sizeMinor);
  }

  cancel(orderId: number): void {
    this.book.cancel(orderId);
  }

  liveOrders(): number {
    return this.book.liveOrders();
  }
}
