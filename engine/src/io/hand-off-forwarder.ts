// Moves hand-offs between partitions: the forwarder of a source partition takes the hand-offs of
// every frame the partition applies and, while that partition leads, submits them to their
// destination partitions, each destination's in source-seq order, one at a time, retrying until
// the destination has made the hand-off durable. Delivery is at least once: after a restart or a
// failover the source replays its journal from its snapshot and hands the same hand-offs on again,
// and the destination's core ignores those at or below its mark for the source (see
// core/hand-off-marks.ts). The source snapshots only once everything before the snapshot is
// delivered, so a replay always reaches back far enough.

import type { Logger } from 'pino';
import type { HandOff } from '../core/stage-messages.js';
import type { EventFrame } from './frame-codec.js';
import type { HandOffOutbox } from './partition.js';

export interface HandOffDestination {
  /** Journals the hand-off at the destination; resolves once it is durable there, rejects otherwise. */
  deliver(handOff: HandOff): Promise<void>;
  /**
   * The highest source seq from `source` durable at the destination, if it can tell. A standby's
   * forwarder drops what its leader already delivered, so what it keeps is bounded by the leader's
   * backlog, not by everything it tailed.
   */
  deliveredSeq?(source: string): Promise<number>;
}

export interface HandOffForwarderOptions {
  readonly source: string;
  /** The destination partition by name (looked up for each attempt, so a restarted one is found). */
  readonly destination: (partition: string) => HandOffDestination;
  readonly logger: Logger;
  readonly retryMs?: number;
  /** While standing by, a destination's queue is pruned each time it grows by this many (default 256). */
  readonly pruneEvery?: number;
}

export class HandOffForwarder implements HandOffOutbox {
  private readonly queues = new Map<string, HandOff[]>();
  /** Per destination, the source seq of the newest hand-off queued or delivered. */
  private readonly newest = new Map<string, number>();
  private readonly running = new Set<string>();
  private readonly pruning = new Set<string>();
  private readonly sincePrune = new Map<string, number>();
  private active = false;
  delivered = 0;

  constructor(private readonly options: HandOffForwarderOptions) {}

  take(frame: EventFrame): void {
    for (const entry of frame.entries) {
      for (const { destination, handOff } of entry.handOffs ?? []) {
        if (handOff.sourceSeq <= (this.newest.get(destination) ?? 0)) continue;
        this.newest.set(destination, handOff.sourceSeq);
        let queue = this.queues.get(destination);
        if (queue === undefined) {
          queue = [];
          this.queues.set(destination, queue);
        }
        queue.push(handOff);
        if (this.active) this.kick(destination);
        else this.maybePrune(destination);
      }
    }
  }

  setActive(active: boolean): void {
    this.active = active;
    if (active) for (const destination of this.queues.keys()) this.kick(destination);
  }

  private maybePrune(destination: string): void {
    const count = (this.sincePrune.get(destination) ?? 0) + 1;
    this.sincePrune.set(destination, count);
    if (count < (this.options.pruneEvery ?? 256) || this.pruning.has(destination)) return;
    this.sincePrune.set(destination, 0);
    this.pruning.add(destination);
    void this.prune(destination).finally(() => this.pruning.delete(destination));
  }

  /** Drops the head of a destination's queue that the destination already holds. */
  private async prune(destination: string): Promise<void> {
    const target = this.options.destination(destination);
    if (target.deliveredSeq === undefined) return;
    try {
      const deliveredSeq = await target.deliveredSeq(this.options.source);
      const queue = this.queues.get(destination) ?? [];
      let drop = 0;
      while (drop < queue.length && (queue[drop] as HandOff).sourceSeq <= deliveredSeq) drop++;
      if (drop > 0) queue.splice(0, drop);
    } catch (error) {
      this.options.logger.warn({ err: error, source: this.options.source, destination }, 'could not read what the destination holds; pruning later');
    }
  }

  deliveredThrough(seq: number): boolean {
    for (const queue of this.queues.values()) {
      const head = queue[0];
      if (head !== undefined && head.sourceSeq <= seq) return false;
    }
    return true;
  }

  /** Hand-offs waiting, over all destinations. */
  get waiting(): number {
    let count = 0;
    for (const queue of this.queues.values()) count += queue.length;
    return count;
  }

  private kick(destination: string): void {
    if (!this.active || this.running.has(destination)) return;
    this.running.add(destination);
    void this.drain(destination).finally(() => this.running.delete(destination));
  }

  private async drain(destination: string): Promise<void> {
    const queue = this.queues.get(destination) ?? [];
    let delayMs = this.options.retryMs ?? 20;
    // What an earlier leader already delivered need not be sent again.
    await this.prune(destination);
    while (this.active && queue.length > 0) {
      const handOff = queue[0] as HandOff;
      try {
        await this.options.destination(destination).deliver(handOff);
        if (queue[0] === handOff) queue.shift();
        this.delivered++;
        delayMs = this.options.retryMs ?? 20;
      } catch (error) {
        this.options.logger.warn({ err: error, source: this.options.source, destination, sourceSeq: handOff.sourceSeq }, 'hand-off not delivered; retrying');
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 500);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
