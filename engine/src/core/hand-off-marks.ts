// The bookkeeping that makes hand-offs between partitions exactly-once in effect: per source, the
// highest source seq applied (a repeat at or below it is ignored); per destination, the source
// seq of the last hand-off sent (each new one names it, so a receiver can tell a gap from a repeat).

import { assert } from '@playchacha/protocol';
import type { HandOff } from './stage-messages.js';
import type { StateHasher } from './state-hash.js';

export interface HandOffMarksSnapshot {
  readonly received: ReadonlyArray<readonly [string, number]>;
  readonly sent: ReadonlyArray<readonly [string, number]>;
}

export class HandOffMarks {
  private readonly received = new Map<string, number>();
  private readonly sent = new Map<string, number>();

  /** The highest source seq applied from `source` (0 when none). */
  receivedFrom(source: string): number {
    return this.received.get(source) ?? 0;
  }

  /**
   * True when the hand-off is next from its source and is to be applied (its mark moves on);
   * false when it was applied before. Asserts on a gap: a hand-off was lost on the way.
   */
  accept(handOff: HandOff): boolean {
    assert(
      typeof handOff.source === 'string' && Number.isSafeInteger(handOff.sourceSeq) && Number.isSafeInteger(handOff.previousSourceSeq),
      'a hand-off names its source and sequence numbers',
    );
    assert(handOff.previousSourceSeq < handOff.sourceSeq, 'a hand-off follows its predecessor');
    const mark = this.receivedFrom(handOff.source);
    if (handOff.sourceSeq <= mark) return false;
    assert(
      handOff.previousSourceSeq === mark,
      `hand-off gap from ${handOff.source}: seq ${handOff.sourceSeq} follows ${handOff.previousSourceSeq}, applied up to ${mark}`,
    );
    this.received.set(handOff.source, handOff.sourceSeq);
    return true;
  }

  /** Records a hand-off sent to `destination` from source seq `sourceSeq`; returns the previous one's. */
  send(destination: string, sourceSeq: number): number {
    const previous = this.sent.get(destination) ?? 0;
    assert(sourceSeq > previous, 'hand-offs to a partition rise with the source seq');
    this.sent.set(destination, sourceSeq);
    return previous;
  }

  exportState(): HandOffMarksSnapshot {
    return { received: sortedEntries(this.received), sent: sortedEntries(this.sent) };
  }

  importState(snapshot: HandOffMarksSnapshot): void {
    for (const [source, seq] of snapshot.received) this.received.set(source, seq);
    for (const [destination, seq] of snapshot.sent) this.sent.set(destination, seq);
  }

  hash(hasher: StateHasher): void {
    for (const [name, seq] of sortedEntries(this.received)) hasher.string(name).number(seq);
    hasher.number(-1);
    for (const [name, seq] of sortedEntries(this.sent)) hasher.string(name).number(seq);
  }
}

function sortedEntries(map: ReadonlyMap<string, number>): Array<[string, number]> {
  return [...map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
