// Checks shared by the journal adapters.
import type { JournalFrame } from './journal.js';

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** A malformed frame is a bug in the caller, not an I/O failure: it throws at once. */
export function checkFrame(frame: JournalFrame): void {
  if (!isSeq(frame.firstSeq) || !isSeq(frame.lastSeq) || frame.firstSeq > frame.lastSeq) {
    throw new RangeError(`bad frame seqs ${frame.firstSeq}..${frame.lastSeq}`);
  }
  if (!isSeq(frame.epoch)) throw new RangeError(`bad frame epoch ${frame.epoch}`);
  if (!(frame.payload instanceof Uint8Array)) throw new TypeError('frame payload must be a Uint8Array');
}
