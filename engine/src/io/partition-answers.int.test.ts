// What a leader does once a frame is durable, in order, over the real file adapters: the frame's
// listeners (the read models) run before its callers are answered, so a caller finds its own
// command in them the moment it hears; and its events are published while the next frame is journaled, in frame order, with a frame's
// callers answered only after the frame before it was published.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Command } from '@playchacha/protocol';
import { FileEventLog } from './file-event-log.js';
import { FileJournal, FileLeadership } from './file-journal.js';
import type { EventFrame } from './frame-codec.js';
import { EnginePartition, type EventSink } from './partition.js';
import { FileSnapshotStore } from './snapshot-stores.js';
import { waitFor } from '../testing/wait-for.js';

/** The events log, with each publish held until the test lets it through. */
class GatedSink implements EventSink {
  readonly started: number[] = [];
  readonly published: number[] = [];
  private readonly gates = new Map<number, () => void>();
  private opened = false;

  constructor(private readonly log: FileEventLog) {}

  async publish(frame: EventFrame): Promise<void> {
    this.started.push(frame.lastSeq);
    if (!this.opened) await new Promise<void>((resolve) => this.gates.set(frame.lastSeq, resolve));
    await this.log.publish(frame);
    this.published.push(frame.lastSeq);
  }

  open(lastSeq: number): void {
    const gate = this.gates.get(lastSeq);
    if (gate === undefined) throw new Error(`no publish of frame ${lastSeq} is waiting`);
    gate();
  }

  /** Lets every publish through from now on. */
  openAll(): void {
    this.opened = true;
    for (const gate of this.gates.values()) gate();
  }

  lastPublishedSeq(): Promise<number> {
    return this.log.lastPublishedSeq();
  }
}

const deposit = (transferId: string): Command => ({ type: 'Deposit', accountId: 1, transferId, amountMinor: 100 });


describe('EnginePartition: answers, listeners and publishing of a durable frame', () => {
  const dirs: string[] = [];
  const closers: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function leader(sink?: (log: FileEventLog) => EventSink): Promise<{ partition: EnginePartition; journal: FileJournal; log: FileEventLog }> {
    const dir = mkdtempSync(join(tmpdir(), 'partition-answers-'));
    dirs.push(dir);
    const journal = await FileJournal.open(join(dir, 'journal'), 'p1');
    const log = await FileEventLog.open(join(dir, 'events'), 'p1');
    const partition = new EnginePartition({
      partition: 'p1',
      journal,
      leadership: new FileLeadership(join(dir, 'journal'), 'p1', { leaseMs: 2_000 }),
      snapshots: new FileSnapshotStore(join(dir, 'snapshots')),
      sink: sink === undefined ? log : sink(log),
      logger: pino({ level: 'silent' }),
      standbyPollMs: 5,
    });
    closers.push(async () => {
      await partition.stop();
      await journal.close();
      await log.close();
    });
    await partition.start();
    await waitFor('the partition to lead', () => partition.role === 'leader');
    return { partition, journal, log };
  }

  it('runs the listeners of a frame before answering its callers, so each caller finds its command applied', async () => {
    const { partition } = await leader();
    const order: string[] = [];
    let followedSeq = 0;
    partition.onFrame((frame) => {
      followedSeq = frame.lastSeq;
      order.push(`listener ${frame.firstSeq}..${frame.lastSeq}`);
    });
    // Each caller checks, synchronously as it resumes, what the listener has seen.
    const answered = ['a', 'b', 'c'].map((id) => partition.submit(deposit(id)).then(() => order.push(`answer ${id} (followed ${followedSeq})`)));
    await Promise.all(answered);
    expect(order).toEqual(['listener 1..3', 'answer a (followed 3)', 'answer b (followed 3)', 'answer c (followed 3)']);
  });

  it('publishes each frame while the next is journaled, in order, and answers a frame only after the one before it was published', async () => {
    let sink: GatedSink | null = null;
    const { partition, journal, log } = await leader((events) => (sink = new GatedSink(events)));
    const gated = sink as unknown as GatedSink;
    closers.unshift(async () => gated.openAll());
    await partition.submit(deposit('first'));
    await waitFor('frame 1 to be published', () => gated.started.length === 1);
    expect(gated.started).toEqual([1]);
    expect(gated.published).toEqual([]);

    // Frame 2 is journaled while frame 1's events are still being published, but not answered.
    let secondAnswered = false;
    const second = partition.submit(deposit('second')).then(() => (secondAnswered = true));
    await waitFor('frame 2 to be applied', () => partition.appliedSeq === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await journal.lastSeq()).toBe(2);
    expect(secondAnswered).toBe(false);
    expect(gated.started).toEqual([1]);

    gated.open(1);
    await second;
    expect(gated.published).toEqual([1]);
    await waitFor('frame 2 to be published', () => gated.started.length === 2);
    gated.open(2);
    await waitFor('frame 2 in the events log', () => gated.published.length === 2);
    expect(gated.published).toEqual([1, 2]);
    expect((await log.read(0, 10)).map((frame) => frame.lastSeq)).toEqual([1, 2]);
  });
});
