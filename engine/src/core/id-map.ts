// A map from positive safe-integer ids to slots, as typed arrays: open addressing with linear
// probing and backward-shift deletion. It allocates only when it grows, so the hot path of the
// book (an id lookup per cancel and per fill) creates no garbage.

import { assert } from '@playchacha/protocol';

const EMPTY = 0;
const CAPACITY_INITIAL = 1024;
const TWO_POW_32 = 4294967296;

export class IdMap {
  private keys = new Float64Array(CAPACITY_INITIAL);
  private values = new Int32Array(CAPACITY_INITIAL);
  private mask = CAPACITY_INITIAL - 1;
  size = 0;

  private home(id: number): number {
    // Mix the high and low halves so that sequential and strided ids spread over the table.
    const low = id >>> 0;
    const high = (id / TWO_POW_32) >>> 0;
    return (Math.imul(low ^ Math.imul(high, 0x27d4eb2d), 0x9e3779b1) >>> 0) & this.mask;
  }

  /** The slot of an id, or -1. */
  get(id: number): number {
    const keys = this.keys;
    for (let i = this.home(id); ; i = (i + 1) & this.mask) {
      const key = keys[i] as number;
      if (key === id) return this.values[i] as number;
      if (key === EMPTY) return -1;
    }
  }

  set(id: number, slot: number): void {
    assert(id > 0 && Number.isSafeInteger(id), 'ids are positive safe integers');
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    for (let i = this.home(id); ; i = (i + 1) & this.mask) {
      const key = keys[i] as number;
      if (key === EMPTY) {
        keys[i] = id;
        this.values[i] = slot;
        this.size++;
        return;
      }
      if (key === id) {
        this.values[i] = slot;
        return;
      }
    }
  }

  delete(id: number): boolean {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let i = this.home(id);
    for (;;) {
      const key = keys[i] as number;
      if (key === EMPTY) return false;
      if (key === id) break;
      i = (i + 1) & mask;
    }
    // Backward-shift: move later entries of the probe run into the hole so lookups never stop early.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const key = keys[j] as number;
      if (key === EMPTY) break;
      const home = this.home(key);
      const inRun = hole <= j ? home <= hole || home > j : home <= hole && home > j;
      if (inRun) {
        keys[hole] = key;
        values[hole] = values[j] as number;
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    this.size--;
    return true;
  }

  /** Calls fn for every entry (in table order, which is not meaningful). */
  forEach(fn: (id: number, slot: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as number;
      if (key !== EMPTY) fn(key, this.values[i] as number);
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const capacity = oldKeys.length * 2;
    this.keys = new Float64Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const key = oldKeys[i] as number;
      if (key !== EMPTY) this.set(key, oldValues[i] as number);
    }
  }
}
