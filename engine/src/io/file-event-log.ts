// The events stream of the embedded default (in place of the Redis `events:{p}` stream): the
// leader publishes each durable frame's events here, and the settlement worker in the same process
// reads them after its ledger cursor. It is a FileJournal of its own directory (checksummed,
// fsynced records, torn tail cut on open) whose payloads are encoded event frames; a republished
// frame is an identical retry and is stored once. The reader trims it behind what the ledger
// applied, so the events the ledger has not seen survive any restart.

import type { EventSink } from './partition.js';
import { decodeEventFrame, encodeEventFrame, type EventFrame } from './frame-codec.js';
import { FileJournal, FileLeadership, readFileEpoch } from './file-journal.js';

export class FileEventLog implements EventSink {
  private constructor(
    private readonly log: FileJournal,
    private readonly epoch: number,
  ) {}

  /**
   * `dir` must be used by nothing else (the engine's journal and its epoch live elsewhere). The log
   * has one writer, the partition's leader in this process; its epoch is set once, when the
   * directory is new, and stays.
   */
  static async open(dir: string, partition: string, onRepair?: (repair: unknown) => void): Promise<FileEventLog> {
    const log = await FileJournal.open(dir, partition, onRepair === undefined ? {} : { onRepair });
    if (readFileEpoch(dir, partition) === 0) await new FileLeadership(dir, partition, { leaseMs: 1 }).acquire();
    return new FileEventLog(log, readFileEpoch(dir, partition));
  }

  async publish(frame: EventFrame): Promise<void> {
    await this.log.append({ firstSeq: frame.firstSeq, lastSeq: frame.lastSeq, epoch: this.epoch, payload: encodeEventFrame(frame) });
  }

  lastPublishedSeq(): Promise<number> {
    return this.log.lastSeq();
  }

  /** Seq of the first frame still kept (0 when empty). */
  firstSeq(): Promise<number> {
    return this.log.firstSeq();
  }

  /** Up to `max` frames whose lastSeq is after `afterSeq`, in order. */
  async read(afterSeq: number, max: number): Promise<EventFrame[]> {
    const frames = await this.log.read(afterSeq + 1, max);
    return frames.map((frame) => decodeEventFrame(frame.payload));
  }

  /** Drops frames whose lastSeq < seq (the newest frame is always kept). */
  trimBefore(seq: number): Promise<void> {
    return this.log.trimBefore(seq);
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
