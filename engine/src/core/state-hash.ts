// A 64-bit FNV-1a style hash (two 32-bit lanes) over numbers and strings, for comparing states.

const LANE_A_OFFSET = 0x811c9dc5;
const LANE_B_OFFSET = 0x050c5d1f;
const PRIME = 0x01000193;
const TWO_POW_32 = 4294967296;

export class StateHasher {
  private a = LANE_A_OFFSET;
  private b = LANE_B_OFFSET;

  private word(value: number): void {
    for (let shift = 0; shift < 32; shift += 8) {
      const byte = (value >>> shift) & 0xff;
      this.a = Math.imul(this.a ^ byte, PRIME);
      this.b = Math.imul(this.b ^ byte, PRIME) ^ (this.a >>> 15);
    }
  }

  /** Any safe integer, including negatives. */
  number(value: number): this {
    const high = Math.floor(value / TWO_POW_32);
    this.word(value - high * TWO_POW_32);
    this.word(high | 0);
    return this;
  }

  string(value: string): this {
    this.number(value.length);
    for (let i = 0; i < value.length; i++) this.word(value.charCodeAt(i));
    return this;
  }

  digest(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}
