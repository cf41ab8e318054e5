// An account's client order ids with their first results, in insertion order: a string-keyed map
// whose table is a typed array of [hash, entry] pairs (open addressing, linear probing). A lookup
// of a new id reads one probe run of the table and touches no stored string, and growing rehashes
// from the stored hashes; a Map<string, number> of the same size compares a chain of stored
// strings on every lookup. Entries are never removed (an account remembers every id it used).
// The hash is unseeded (the core has no randomness), so a client could choose ids whose hashes
// share their low bits and grow one long probe run; a lookup that probes more than PROBES_MAX
// pairs moves the account's ids to a Map (V8's string hash is seeded per process) for good.

const CAPACITY_INITIAL = 64;
const EMPTY = 0;
const PROBES_MAX = 64;

/** FNV-1a over the UTF-16 code units. */
export function hashOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash;
}

export class ClientOrderIds {
  /** Pairs [hash, entry index + 1]; an entry index of 0 marks a free pair. */
  private table = new Int32Array(CAPACITY_INITIAL * 2);
  private mask = CAPACITY_INITIAL - 1;
  private readonly ids: string[] = [];
  private readonly results: number[] = [];
  /** Id → entry index, once a probe run grew too long (then the table is no longer used). */
  private byId: Map<string, number> | null = null;

  get size(): number {
    return this.ids.length;
  }

  /** Whether the ids moved to a Map because a probe run grew past PROBES_MAX. */
  get movedToMap(): boolean {
    return this.byId !== null;
  }

  /** The id's result, or undefined for an id never set. */
  get(id: string): number | undefined {
    const entry = this.find(id, hashOf(id));
    return entry < 0 ? undefined : this.results[entry];
  }

  /** Sets the id's result; an id set before keeps its place in the insertion order. */
  set(id: string, result: number): void {
    const hash = hashOf(id);
    const entry = this.find(id, hash);
    if (entry >= 0) {
      this.results[entry] = result;
      return;
    }
    this.ids.push(id);
    this.results.push(result);
    if (this.byId !== null) {
      this.byId.set(id, this.ids.length - 1);
      return;
    }
    if (this.ids.length * 2 > this.mask + 1) this.grow();
    this.place(hash, this.ids.length);
  }

  /** Every [id, result] in insertion order. */
  entries(): Array<[string, number]> {
    return this.ids.map((id, entry) => [id, this.results[entry] as number]);
  }

  private find(id: string, hash: number): number {
    if (this.byId !== null) return this.byId.get(id) ?? -1;
    const table = this.table;
    const mask = this.mask;
    for (let i = hash & mask, probes = 0; ; i = (i + 1) & mask, probes++) {
      if (probes > PROBES_MAX) {
        this.byId = new Map(this.ids.map((stored, entry) => [stored, entry]));
        this.table = new Int32Array(0);
        return this.byId.get(id) ?? -1;
      }
      const entryPlusOne = table[2 * i + 1] as number;
      if (entryPlusOne === EMPTY) return -1;
      if (table[2 * i] === hash && this.ids[entryPlusOne - 1] === id) return entryPlusOne - 1;
    }
  }

  private place(hash: number, entryPlusOne: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = hash & mask;
    while (table[2 * i + 1] !== EMPTY) i = (i + 1) & mask;
    table[2 * i] = hash;
    table[2 * i + 1] = entryPlusOne;
  }

  private grow(): void {
    const old = this.table;
    const capacity = (this.mask + 1) * 2;
    this.table = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
    for (let i = 0; i < old.length; i += 2) {
      const entryPlusOne = old[i + 1] as number;
      if (entryPlusOne !== EMPTY) this.place(old[i] as number, entryPlusOne);
    }
  }
}
