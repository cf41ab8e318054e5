// Waiting on engine partitions that run as processes on Redis (the partitioned engine's tests):
// until every hand-off sent has been applied at its destination, and until a partition's events
// stream carries the answer to an inbox entry.

import type { Redis } from 'ioredis';
import type { HandOffMarksSnapshot } from '../core/hand-off-marks.js';
import { readEventFrames } from '../io/redis-streams.js';
import { sleep, type EngineStatus } from './engine-process.js';

export type PartitionStatus = EngineStatus & { handOffMarks: HandOffMarksSnapshot };

/** Every hand-off sent has been applied at its destination (as the statuses report it). */
export function chainsClosed(all: ReadonlyMap<string, PartitionStatus>): boolean {
  for (const [source, status] of all) {
    for (const [destination, sentSeq] of status.handOffMarks.sent) {
      const received = new Map(all.get(destination)?.handOffMarks.received ?? []);
      if ((received.get(source) ?? 0) !== sentSeq) return false;
    }
  }
  return true;
}

/** Waits until the hand-offs have settled: chains closed and no partition moved, twice in a row. */
export async function settledPartitions(statuses: () => Promise<Map<string, PartitionStatus>>, timeoutMs = 20_000): Promise<Map<string, PartitionStatus>> {
  const deadline = Date.now() + timeoutMs;
  let previous = '';
  for (;;) {
    const all = await statuses();
    const positions = JSON.stringify([...all].map(([name, status]) => [name, status.seq]));
    if (chainsClosed(all) && positions === previous) return all;
    previous = chainsClosed(all) ? positions : '';
    if (Date.now() > deadline) throw new Error(`hand-offs not settled: ${JSON.stringify([...all].map(([name, status]) => [name, status.seq, status.handOffMarks]))}`);
    await sleep(10);
  }
}

/** Reads the partitions' events streams for the answers to inbox entries, each from where it last read. */
export class AnswerWatcher {
  /** The last seq read, per partition; a test may move it (to skip what it does not wait for). */
  readonly seen = new Map<string, number>();

  constructor(private readonly client: Redis) {}

  /** Waits until the partition's events stream carries the answer to inbox entry `id`. */
  async answered(partition: string, id: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frames = await readEventFrames(this.client, partition, this.seen.get(partition) ?? 0, 256, 50);
      for (const frame of frames) {
        this.seen.set(partition, frame.lastSeq);
        if (frame.entries.some((entry) => entry.inboxId === id)) return;
      }
      if (Date.now() > deadline) throw new Error(`no answer from ${partition} to ${id} within ${timeoutMs} ms`);
    }
  }
}
