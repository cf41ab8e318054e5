// What the book benchmarks drive. Sides are 0 = back, 1 = lay; prices are tick indices into the
// standard ladder; sizes are integer minor units. A place matches what it can (price-time priority,
// at the resting order's price) and rests the remainder; a cancel of an order that is no longer
// open does nothing.

export interface BenchBook {
  place(orderId: number, runner: number, side: number, priceTicks: number, sizeMinor: number): void;
  cancel(orderId: number): void;
  liveOrders(): number;
}

export interface BenchBookFactory {
  readonly name: string;
  create(): BenchBook;
}
