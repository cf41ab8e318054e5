// A restore over a long journal keeps only the last frames' events (it drops a frame's events once
// it knows 64 frames follow it, in its read batch of 256 or in the next): the partition that then
// leads republishes exactly the frames the events log misses among the last ones, with the events
// a direct apply gives. 300 frames: the first batch's last 64 are kept (only 44 follow); 400: the
// first batch is dropped whole (144 follow).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Command, CommandEnvelope } from '@playchacha/protocol';
import { ExchangeCore } from '../core/index.js';
import { FileEventLog } from './file-event-log.js';
import { FileJournal, FileLeadership } from './file-journal.js';
import { encodeFrameBody, type EventFrame } from './frame-codec.js';
import { EnginePartition } from './partition.js';
import { FileSnapshotStore } from './snapshot-stores.js';
import { waitFor } from '../testing/wait-for.js';

const COMMANDS_PER_FRAME = 3;

function commandAt(seq: number): Command {
  if (seq === 1) return { type: 'OpenAccount', accountId: 1 };
  return { type: 'Deposit', accountId: 1, transferId: `t${seq}`, amountMinor: seq };
}


describe('EnginePartition: restore over more frames than it remembers', () => {
  const dirs: string[] = [];
  const closers: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    { frameCount: 300, publishedFrames: 0 },
    { frameCount: 300, publishedFrames: 290 },
    { frameCount: 400, publishedFrames: 0 },
  ];
  for (const { frameCount: FRAMES, publishedFrames } of cases) {
    it(`republishes the missing frames among the last 64 (events log at frame ${publishedFrames} of ${FRAMES})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'partition-restore-'));
      dirs.push(dir);
      const journal = await FileJournal.open(join(dir, 'journal'), 'p1');
      const log = await FileEventLog.open(join(dir, 'events'), 'p1');
      closers.push(async () => {
        await journal.close();
        await log.close();
      });

      // An earlier leader journaled FRAMES frames and published the first publishedFrames of them.
      const writer = new FileLeadership(join(dir, 'journal'), 'p1', { leaseMs: 60_000 });
      const epoch = (await writer.acquire()) as number;
      const direct = new ExchangeCore();
      const expected: EventFrame[] = [];
      for (let frame = 0; frame < FRAMES; frame++) {
        const envelopes: CommandEnvelope[] = [];
        for (let i = 0; i < COMMANDS_PER_FRAME; i++) {
          const seq = frame * COMMANDS_PER_FRAME + i + 1;
          envelopes.push({ seq, timestampMs: 1_000 + seq, command: commandAt(seq) });
        }
        const inboxIds = envelopes.map((envelope) => `${envelope.seq}-0`);
        await journal.append({ firstSeq: envelopes[0]!.seq, lastSeq: envelopes.at(-1)!.seq, epoch, payload: encodeFrameBody({ envelopes, inboxIds }) });
        const eventFrame: EventFrame = {
          firstSeq: envelopes[0]!.seq,
          lastSeq: envelopes.at(-1)!.seq,
          entries: envelopes.map((envelope, i) => ({ seq: envelope.seq, inboxId: inboxIds[i]!, events: direct.apply(envelope) })),
        };
        expected.push(eventFrame);
        if (frame < publishedFrames) await log.publish(eventFrame);
      }
      await writer.release(epoch);

      const partition = new EnginePartition({
        partition: 'p1',
        journal,
        leadership: new FileLeadership(join(dir, 'journal'), 'p1', { leaseMs: 2_000 }),
        snapshots: new FileSnapshotStore(join(dir, 'snapshots')),
        sink: log,
        logger: pino({ level: 'silent' }),
        standbyPollMs: 5,
      });
      closers.unshift(() => partition.stop());
      await partition.start();
      await waitFor('the partition to lead', () => partition.role === 'leader');

      expect(partition.appliedSeq).toBe(FRAMES * COMMANDS_PER_FRAME);
      expect(partition.core.stateHash()).toBe(direct.stateHash());
      const republishedFrom = Math.max(publishedFrames, FRAMES - 64);
      const republished = await log.read(expected[publishedFrames - 1]?.lastSeq ?? 0, FRAMES);
      expect(republished.map((frame) => frame.lastSeq)).toEqual(expected.slice(republishedFrom).map((frame) => frame.lastSeq));
      expect(JSON.parse(JSON.stringify(republished))).toEqual(JSON.parse(JSON.stringify(expected.slice(republishedFrom))));
    });
  }
});
