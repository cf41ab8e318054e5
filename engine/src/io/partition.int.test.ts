// EnginePartition over the real adapters, in process: a leader group-commits a seeded command
// stream (snapshots every 500 commands, so the journal is trimmed behind them); a new partition
// over the same storage restores (snapshot + tail replay) to the leader's exact state; a fresh core
// fed the journaled envelopes agrees. Then what restore must refuse or repair: a journal behind its
// snapshot, a torn file-journal tail, corruption in the middle. Last, a standby refuses commands.
//
// The file adapters run in temp dirs; the Redis adapters on a redis-server of this file's own
// (startRedis, AOF appendfsync always), which one test kills with -9 and restarts.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command, CommandEnvelope } from '@playchacha/protocol';
import { startRedis, type RedisServer } from '../../../scripts/test-servers.js';
import { ExchangeCore, type CoreSnapshot } from '../core/index.js';
import { sampleCommandEnvelopes } from '../testing/command-generator.js';
import { FileJournal, FileLeadership, journalPath } from './file-journal.js';
import { decodeFrameBody, decodeValue } from './frame-codec.js';
import { JournalCorruptError, type Journal, type JournalFrame, type Leadership } from './journal.js';
import { EnginePartition, NotLeaderError, type PartitionOptions, type SnapshotStore } from './partition.js';
import { connectJournalRedis, epochKey, journalKey, leaseKey, RedisJournal, RedisLeadership } from './redis-journal.js';
import { FileSnapshotStore, RedisSnapshotStore } from './snapshot-stores.js';
import { waitFor } from '../testing/wait-for.js';

const SEED = Number(process.env['SEED'] ?? 20_251_125);
const SNAPSHOT_EVERY_COMMANDS = 500;
/** Frames wanted after the newest snapshot, so the tail replay and the torn-tail cases have work. */
const TAIL_FRAMES_MIN = 3;

// ---------------------------------------------------------------------------------------------
// Helpers

interface Storage {
  readonly journal: Journal;
  readonly leadership: Leadership;
  readonly snapshots: SnapshotStore;
}

/** Passes everything through to a real journal and keeps a copy of each frame it made durable. */
class RecordingJournal implements Journal {
  readonly frames: JournalFrame[] = [];
  constructor(private readonly inner: Journal) {}
  async append(frame: JournalFrame): Promise<void> {
    await this.inner.append(frame);
    if (this.frames.at(-1)?.lastSeq !== frame.lastSeq) this.frames.push(frame);
  }
  read(fromSeq: number, limit: number): Promise<JournalFrame[]> {
    return this.inner.read(fromSeq, limit);
  }
  lastSeq(): Promise<number> {
    return this.inner.lastSeq();
  }
  firstSeq(): Promise<number> {
    return this.inner.firstSeq();
  }
  trimBefore(seq: number): Promise<void> {
    return this.inner.trimBefore(seq);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A pino logger whose records land in `records` (the 'restored' line says what was replayed). */
function capturingLogger(): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, records };
}

function restoredRecord(records: ReadonlyArray<Record<string, unknown>>): { snapshotSeq: number; replayed: number } {
  const record = records.find((r) => r['msg'] === 'restored');
  if (record === undefined) throw new Error(`no 'restored' log record in ${JSON.stringify(records)}`);
  return { snapshotSeq: Number(record['snapshotSeq']), replayed: Number(record['replayed']) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}


function envelopesOf(frames: readonly JournalFrame[]): CommandEnvelope[] {
  return frames.flatMap((frame) => {
    const { envelopes } = decodeFrameBody(frame.payload);
    expect(envelopes.map((e) => e.seq)).toEqual(range(frame.firstSeq, frame.lastSeq));
    return [...envelopes];
  });
}

/** A deep copy with ordinary prototypes (the generator makes some objects with a null prototype). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, plain(v)]));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

function replayFresh(envelopes: readonly CommandEnvelope[]): ExchangeCore {
  const core = new ExchangeCore();
  for (const envelope of envelopes) core.apply(envelope);
  return core;
}

/** Every frame of the journal from `fromSeq` on, read in pages. */
async function readAll(journal: Journal, fromSeq: number): Promise<JournalFrame[]> {
  const frames: JournalFrame[] = [];
  for (let next = fromSeq; ; ) {
    const page = await journal.read(next, 100);
    if (page.length === 0) return frames;
    frames.push(...page);
    next = (page.at(-1) as JournalFrame).lastSeq + 1;
  }
}

/** A deterministic burst size in 1..60 for burst i (so frames come in many sizes). */
function burstSize(i: number): number {
  return 1 + ((i * 2_654_435_761) >>> 0) % 60;
}

interface LeaderRun {
  readonly hash: string;
  readonly seq: number;
  readonly epoch: number;
  /** Every frame the leader made durable, in order. */
  readonly frames: readonly JournalFrame[];
  /** The commands submitted, in submission order. */
  readonly submitted: readonly Command[];
  /** The newest snapshot's seq when the leader stopped. */
  readonly snapshotSeq: number;
  readonly journalFirstSeq: number;
  /** Snapshots taken (from the leader's log). */
  readonly snapshotsTaken: number;
}

/**
 * Starts a partition over `storage`, waits until it leads, submits `commands` in bursts (one
 * frame each) under a clock that follows the generator's timestamps, then small bursts of
 * deposits until at least TAIL_FRAMES_MIN frames follow the newest snapshot; stops it.
 */
async function runLeader(storage: Storage, commands: readonly Command[], timestampsMs: readonly number[]): Promise<LeaderRun> {
  const journal = new RecordingJournal(storage.journal);
  const { logger, records } = capturingLogger();
  let clockMs = timestampsMs[0] ?? 1_700_000_000_000;
  const partition = new EnginePartition({
    partition: 'unused-name',
    journal,
    leadership: storage.leadership,
    snapshots: storage.snapshots,
    logger,
    snapshotEveryCommands: SNAPSHOT_EVERY_COMMANDS,
    snapshotEveryMs: 1_000_000_000,
    standbyPollMs: 5,
    now: () => clockMs,
  });
  const submitted: Command[] = [];
  try {
    await partition.start();
    await waitFor('the first partition to lead', () => partition.role === 'leader');
    let at = 0;
    for (let burst = 0; at < commands.length; burst++) {
      const size = Math.min(burstSize(burst), commands.length - at);
      clockMs = Math.max(clockMs, timestampsMs[at] ?? clockMs);
      const batch = commands.slice(at, at + size);
      submitted.push(...batch);
      const answers = await Promise.all(batch.map((command) => partition.submit(command)));
      for (const events of answers) expect(Array.isArray(events)).toBe(true);
      at += size;
    }
    // A tail after the newest snapshot: a few frames of deposits (bounded).
    for (let extra = 0; extra < 50; extra++) {
      const newest = (await storage.snapshots.latest())?.seq ?? 0;
      if (journal.frames.filter((f) => f.firstSeq > newest).length >= TAIL_FRAMES_MIN) break;
      clockMs += 1;
      const batch: Command[] = [1, 2, 3].map((k) => ({ type: 'Deposit', accountId: 1, transferId: `tail-${extra}-${k}`, amountMinor: 100 + k }));
      submitted.push(...batch);
      await Promise.all(batch.map((command) => partition.submit(command)));
    }
    expect(partition.role).toBe('leader');
    const run = {
      hash: partition.core.stateHash(),
      seq: partition.appliedSeq,
      epoch: partition.epoch,
      frames: journal.frames,
      submitted,
      snapshotSeq: (await storage.snapshots.latest())?.seq ?? 0,
      journalFirstSeq: await storage.journal.firstSeq(),
      snapshotsTaken: records.filter((r) => r['msg'] === 'snapshot').length,
    };
    partition.core.checkInvariants();
    return run;
  } finally {
    await partition.stop();
  }
}

/** What every leader run must satisfy, whatever the adapter. */
function checkLeaderRun(run: LeaderRun): void {
  const envelopes = envelopesOf(run.frames);
  expect(envelopes.map((e) => e.seq)).toEqual(range(1, run.seq));
  // The journal holds exactly the submitted commands, in submission order; anything else in it
  // is a Clock the engine made itself to release delayed orders.
  let matched = 0;
  for (const { command } of envelopes) {
    if (matched < run.submitted.length && isDeepStrictEqual(plain(command), plain(run.submitted[matched]))) matched++;
    else expect(command).toEqual({ type: 'Clock' });
  }
  expect(matched).toBe(run.submitted.length);
  // Snapshots were taken and the journal was trimmed behind them, so a restore needs both.
  expect(run.snapshotsTaken).toBeGreaterThanOrEqual(Math.floor(run.seq / (SNAPSHOT_EVERY_COMMANDS + 60)));
  expect(run.snapshotSeq).toBeGreaterThan(0);
  expect(run.snapshotSeq).toBeLessThan(run.seq);
  expect(run.journalFirstSeq).toBeGreaterThan(1);
  expect(run.journalFirstSeq).toBeLessThanOrEqual(run.snapshotSeq + 1);
  // A fresh core fed every journaled envelope reaches the leader's state.
  expect(replayFresh(envelopes).stateHash()).toBe(run.hash);
}

/**
 * The journal after `afterSeq` holds `command` and otherwise only engine Clocks, and ends at the
 * partition's applied seq (a new leader may first release delayed orders with a Clock).
 */
async function expectJournaledAfter(journal: Journal, partition: EnginePartition, afterSeq: number, command: Command): Promise<void> {
  const envelopes = envelopesOf(await readAll(journal, afterSeq + 1)).filter((e) => e.seq > afterSeq);
  expect(envelopes.map((e) => e.command).filter((c) => c.type !== 'Clock')).toEqual([command]);
  expect(envelopes[0]?.seq).toBe(afterSeq + 1);
  expect(await journal.lastSeq()).toBe(partition.appliedSeq);
  expect(envelopes.at(-1)?.seq).toBe(partition.appliedSeq);
}

interface Restored {
  readonly partition: EnginePartition;
  readonly snapshotSeq: number;
  readonly replayed: number;
  readonly hashAtStart: string;
  readonly seqAtStart: number;
  readonly roleAtStart: string;
}

/** Starts a new partition over `storage`; captures its state the moment start() resolves. */
async function restore(storage: Storage, options: Partial<PartitionOptions> = {}): Promise<Restored> {
  const { logger, records } = capturingLogger();
  const partition = new EnginePartition({
    partition: 'unused-name',
    ...storage,
    logger,
    snapshotEveryCommands: SNAPSHOT_EVERY_COMMANDS,
    snapshotEveryMs: 1_000_000_000,
    standbyPollMs: 5,
    ...options,
  });
  await partition.start();
  const restored = {
    partition,
    hashAtStart: partition.core.stateHash(),
    seqAtStart: partition.appliedSeq,
    roleAtStart: partition.role,
    ...restoredRecord(records),
  };
  partition.core.checkInvariants();
  return restored;
}

/** The latest snapshot decoded into a core, plus the journal's frames after it: a restore by hand. */
async function restoreByHand(storage: Storage): Promise<{ core: ExchangeCore; tail: JournalFrame[] }> {
  const snapshot = await storage.snapshots.latest();
  if (snapshot === null) throw new Error('no snapshot');
  const core = ExchangeCore.fromSnapshot(decodeValue<{ core: CoreSnapshot }>(snapshot.data).core);
  expect(core.lastAppliedSeq).toBe(snapshot.seq);
  const tail = await readAll(storage.journal, snapshot.seq + 1);
  for (const envelope of envelopesOf(tail)) if (envelope.seq > snapshot.seq) core.apply(envelope);
  return { core, tail };
}

function fileStorage(dir: string, journal: FileJournal, leaseMs = 2_000): Storage {
  return {
    journal,
    leadership: new FileLeadership(join(dir, 'journal'), 'p1', { leaseMs }),
    snapshots: new FileSnapshotStore(join(dir, 'snapshots')),
  };
}

function dirBytes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) out[name] = readFileSync(join(dir, name)).toString('base64');
  return out;
}

// The seeded stream: a realistic mix of every command type (orders, batches, the market lifecycle
// with bet delays, settlement, transfers and a few invalid commands).
const generated = sampleCommandEnvelopes(SEED, { minSteps: 2_500, maxSteps: 3_000 });
const commands = generated.map((e) => e.command);
const timestamps = generated.map((e) => e.timestampMs);

// ---------------------------------------------------------------------------------------------
// The file adapters

describe('EnginePartition over the file journal and file snapshots', () => {
  let fixtureDir = '';
  let run: LeaderRun;
  const dirs: string[] = [];

  /** A private copy of the fixture's journal and snapshots. */
  function copyFixture(): string {
    const dir = mkdtempSync(join(tmpdir(), 'partition-int-'));
    dirs.push(dir);
    cpSync(fixtureDir, dir, { recursive: true });
    return dir;
  }

  beforeAll(async () => {
    fixtureDir = mkdtempSync(join(tmpdir(), 'partition-int-fixture-'));
    dirs.push(fixtureDir);
    const journal = await FileJournal.open(join(fixtureDir, 'journal'), 'p1');
    try {
      run = await runLeader(fileStorage(fixtureDir, journal), commands, timestamps);
    } finally {
      await journal.close();
    }
  });

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('(a) journals every submitted command, snapshots, trims, and a new partition restores the exact state', async () => {
    expect(commands.length).toBeGreaterThanOrEqual(2_500);
    checkLeaderRun(run);
    expect(run.frames.length).toBeGreaterThan(50);

    const dir = copyFixture();
    const journal = await FileJournal.open(join(dir, 'journal'), 'p1');
    expect(journal.repairedBytes).toBe(0);
    const storage = fileStorage(dir, journal);
    // Someone else holds the lease, so the restored partition stays a standby while we look.
    const holder = new FileLeadership(join(dir, 'journal'), 'p1', { leaseMs: 60_000 });
    const holderEpoch = await holder.acquire();
    expect(holderEpoch).toBe(run.epoch + 1);
    const restored = await restore(storage);
    try {
      expect(restored.roleAtStart).toBe('standby');
      expect(restored.seqAtStart).toBe(run.seq);
      expect(restored.hashAtStart).toBe(run.hash);
      // It came from the newest snapshot plus a replayed tail, not from a full replay.
      expect(restored.snapshotSeq).toBe(run.snapshotSeq);
      expect(restored.replayed).toBe(run.seq - run.snapshotSeq);
      expect(restored.replayed).toBeGreaterThan(0);

      // By hand: snapshot + the journal's tail as stored on disk gives the same state, and the
      // stored frames are byte for byte the ones the leader appended.
      const byHand = await restoreByHand(storage);
      expect(byHand.core.stateHash()).toBe(run.hash);
      const recorded = run.frames.filter((f) => f.lastSeq > run.snapshotSeq);
      expect(byHand.tail.map((f) => [f.firstSeq, f.lastSeq, f.epoch, Buffer.from(f.payload).toString('base64')])).toEqual(
        recorded.map((f) => [f.firstSeq, f.lastSeq, f.epoch, Buffer.from(f.payload).toString('base64')]),
      );

      // Once the lease is free it leads at a higher epoch and continues the sequence.
      await holder.release(holderEpoch as number);
      await waitFor('the restored partition to lead', () => restored.partition.role === 'leader');
      expect(restored.partition.epoch).toBeGreaterThan(holderEpoch as number);
      const deposit: Command = { type: 'Deposit', accountId: 1, transferId: 'after-restore', amountMinor: 7 };
      const events = await restored.partition.submit(deposit);
      expect(events.some((e) => e.type === 'AccountUpdated')).toBe(true);
      await expectJournaledAfter(journal, restored.partition, run.seq, deposit);
    } finally {
      await restored.partition.stop();
      await journal.close();
    }
  });

  it('(b) a journal behind the snapshot: start() rejects with JournalCorruptError and writes nothing', async () => {
    const dir = copyFixture();
    rmSync(join(dir, 'journal'), { recursive: true });
    const journalDir = join(dir, 'journal');
    const journal = await FileJournal.open(journalDir, 'p1'); // an empty journal dir
    const snapshotsBefore = dirBytes(join(dir, 'snapshots'));
    expect(Object.keys(snapshotsBefore).length).toBeGreaterThan(0);
    const halts: string[] = [];
    const { logger } = capturingLogger();
    const partition = new EnginePartition({
      partition: 'p1',
      ...fileStorage(dir, journal),
      logger,
      standbyPollMs: 5,
      onHalt: (reason) => halts.push(reason),
    });
    try {
      const error = await partition.start().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(JournalCorruptError);
      expect((error as Error).message).toMatch(/behind the snapshot/);
      expect((error as Error).message).toContain(String(run.snapshotSeq));
      expect(partition.role).toBe('halted');
      expect(halts).toHaveLength(1);
      expect(halts[0]).toMatch(/behind the snapshot/);
      await expect(partition.submit({ type: 'Clock' })).rejects.toBeInstanceOf(NotLeaderError);
      await sleep(50); // a standby loop, had one started, would have tried for the lease by now
      // Nothing was written: the journal is still empty, no lease or epoch was taken, the
      // snapshots are untouched.
      expect(await journal.lastSeq()).toBe(0);
      expect(statSync(journalPath(journalDir, 'p1')).size).toBe(0);
      expect(readdirSync(journalDir)).toEqual(['p1.journal']);
      expect(dirBytes(join(dir, 'snapshots'))).toEqual(snapshotsBefore);
    } finally {
      await partition.stop();
      await journal.close();
    }
  });

  it('(c) a torn tail (garbage appended) is cut and the partition resumes with every good frame', async () => {
    const dir = copyFixture();
    const path = journalPath(join(dir, 'journal'), 'p1');
    const garbage = Buffer.alloc(37, 0xab); // its "length" (0xabababab) runs past the end: a partial record
    appendFileSync(path, garbage);
    const journal = await FileJournal.open(join(dir, 'journal'), 'p1');
    expect(journal.repairedBytes).toBe(garbage.length);
    const restored = await restore(fileStorage(dir, journal));
    try {
      expect(restored.seqAtStart).toBe(run.seq);
      expect(restored.hashAtStart).toBe(run.hash);
      await waitFor('the restored partition to lead', () => restored.partition.role === 'leader');
      const deposit: Command = { type: 'Deposit', accountId: 1, transferId: 'after-garbage', amountMinor: 1 };
      await restored.partition.submit(deposit);
      await expectJournaledAfter(journal, restored.partition, run.seq, deposit);
    } finally {
      await restored.partition.stop();
      await journal.close();
    }
  });

  it('(c) a torn tail (last record cut short) loses only that frame, which was the last one written', async () => {
    const dir = copyFixture();
    const path = journalPath(join(dir, 'journal'), 'p1');
    const last = run.frames.at(-1) as JournalFrame;
    const goodSeq = last.firstSeq - 1;
    expect(goodSeq).toBeGreaterThanOrEqual(run.snapshotSeq);
    const size = statSync(path).size;
    truncateSync(path, size - 11);
    const journal = await FileJournal.open(join(dir, 'journal'), 'p1');
    expect(journal.repairedBytes).toBeGreaterThan(0);
    expect(statSync(path).size).toBe(size - 11 - journal.repairedBytes);
    const restored = await restore(fileStorage(dir, journal));
    let endSeq = 0;
    try {
      // The state of the good frames: the leader's envelopes up to the last good seq.
      const expected = replayFresh(envelopesOf(run.frames).filter((e) => e.seq <= goodSeq));
      expect(restored.seqAtStart).toBe(goodSeq);
      expect(restored.hashAtStart).toBe(expected.stateHash());
      expect(restored.hashAtStart).not.toBe(run.hash);
      await waitFor('the restored partition to lead', () => restored.partition.role === 'leader');
      const deposit: Command = { type: 'Deposit', accountId: 1, transferId: 'after-cut', amountMinor: 1 };
      await restored.partition.submit(deposit);
      await expectJournaledAfter(journal, restored.partition, goodSeq, deposit);
      endSeq = restored.partition.appliedSeq;
    } finally {
      await restored.partition.stop();
      await journal.close();
    }
    // And the repaired, extended journal restores cleanly once more.
    const again = await FileJournal.open(join(dir, 'journal'), 'p1');
    try {
      expect(again.repairedBytes).toBe(0);
      expect(await again.lastSeq()).toBe(endSeq);
      expect(endSeq).toBeGreaterThan(goodSeq);
    } finally {
      await again.close();
    }
  });

  it('(c) corruption in the middle: opening the journal refuses and changes nothing; a partition cannot start', async () => {
    const dir = copyFixture();
    const path = journalPath(join(dir, 'journal'), 'p1');
    const bytes = readFileSync(path);
    // Flip one byte inside the body of the first record (which is not the last).
    const corrupted = Buffer.from(bytes);
    corrupted[8 + 3] = (corrupted[8 + 3] as number) ^ 0xff;
    writeFileSync(path, corrupted);
    const error = await FileJournal.open(join(dir, 'journal'), 'p1').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JournalCorruptError);
    expect((error as Error).message).toMatch(/checksum failure at offset 0 \(not the last record\)/);
    expect((error as Error).message).toMatch(/nothing was changed/);
    expect(readFileSync(path).equals(corrupted)).toBe(true);
  });

  it('(c) corruption in the middle found during replay: start() rejects and the partition never leads', async () => {
    const dir = copyFixture();
    const path = journalPath(join(dir, 'journal'), 'p1');
    const journal = await FileJournal.open(join(dir, 'journal'), 'p1');
    // The journal was clean when opened; now a frame of the tail (not the last) goes bad on disk.
    const target = run.frames.filter((f) => f.firstSeq > run.snapshotSeq).at(0) as JournalFrame;
    expect(target.lastSeq).toBeLessThan(run.seq);
    const bytes = readFileSync(path);
    const recordAt = findRecordOffset(bytes, target.firstSeq);
    bytes[recordAt + 8 + 5] = (bytes[recordAt + 8 + 5] as number) ^ 0x55;
    writeFileSync(path, bytes);
    const { logger } = capturingLogger();
    const partition = new EnginePartition({ partition: 'p1', ...fileStorage(dir, journal), logger, standbyPollMs: 5 });
    try {
      const error = await partition.start().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(JournalCorruptError);
      expect((error as Error).message).toMatch(new RegExp(`checksum failure at offset ${recordAt}`));
      await sleep(50);
      expect(partition.role).not.toBe('leader');
      expect(partition.role).not.toBe('standby');
      expect(partition.appliedSeq).toBeLessThan(run.seq);
      expect(existsSync(join(dir, 'journal', 'p1.lock'))).toBe(false);
    } finally {
      await partition.stop();
      await journal.close();
    }
  });

  it('(e) a standby refuses submit with NotLeaderError and journals nothing', async () => {
    const dir = copyFixture();
    const journal = await FileJournal.open(join(dir, 'journal'), 'p1');
    const holder = new FileLeadership(join(dir, 'journal'), 'p1', { leaseMs: 60_000 });
    const holderEpoch = await holder.acquire();
    expect(holderEpoch).not.toBeNull();
    const { logger } = capturingLogger();
    const partition = new EnginePartition({ partition: 'p1', ...fileStorage(dir, journal), logger, standbyPollMs: 5 });
    const command: Command = { type: 'Deposit', accountId: 1, transferId: 'to-standby', amountMinor: 5 };
    try {
      // Before start(): 'starting'.
      await expect(partition.submit(command)).rejects.toBeInstanceOf(NotLeaderError);
      await partition.start();
      await sleep(50); // several standby polls, each failing to take the lease
      expect(partition.role).toBe('standby');
      const error = await partition.submit(command).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(NotLeaderError);
      expect((error as Error).message).toMatch(/is standby/);
      expect(await journal.lastSeq()).toBe(run.seq);
      expect(partition.appliedSeq).toBe(run.seq);
      expect(partition.core.stateHash()).toBe(run.hash);
      // The same command is taken once the standby leads.
      await holder.release(holderEpoch as number);
      await waitFor('the standby to lead', () => partition.role === 'leader');
      await partition.submit(command);
      await expectJournaledAfter(journal, partition, run.seq, command);
    } finally {
      await partition.stop();
      await journal.close();
    }
  });
});

/** Offset of the file-journal record whose frame starts at firstSeq (walks the length headers). */
function findRecordOffset(bytes: Buffer, firstSeq: number): number {
  for (let offset = 0; offset < bytes.length; ) {
    const length = bytes.readUInt32LE(offset);
    const record = decodeValue<{ firstSeq: number }>(bytes.subarray(offset + 8, offset + 8 + length));
    if (record.firstSeq === firstSeq) return offset;
    offset += 8 + length;
  }
  throw new Error(`no record starts at seq ${firstSeq}`);
}

// ---------------------------------------------------------------------------------------------
// The Redis adapters

describe('EnginePartition over the Redis journal, lease and snapshots', () => {
  let server: RedisServer | undefined;
  const clients: Redis[] = [];

  beforeAll(async () => {
    server = await startRedis({ appendfsync: 'always' });
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.stop();
  });

  async function redisStorage(partition: string, leaseMs = 2_000): Promise<Storage & { journalRedis: Redis; plain: Redis }> {
    const url = (server as RedisServer).url;
    const journalRedis = await connectJournalRedis(url);
    const plain = new Redis(url, { maxRetriesPerRequest: 2 });
    plain.on('error', () => undefined);
    clients.push(journalRedis, plain);
    return {
      journal: new RedisJournal(journalRedis, partition),
      leadership: new RedisLeadership(journalRedis, partition, { leaseMs }),
      snapshots: new RedisSnapshotStore(plain, partition),
      journalRedis,
      plain,
    };
  }

  it('(d) snapshot + replay over Redis equals the live state, also after Redis is killed with -9', async () => {
    const first = await redisStorage('rp1');
    const run = await runLeader(first, commands, timestamps);
    checkLeaderRun(run);
    expect(await first.plain.zcard('snapshots:{rp1}')).toBe(2);

    // Redis dies and comes back: every acknowledged frame was fsynced (appendfsync always).
    await (server as RedisServer).kill9();
    await (server as RedisServer).restart();

    const second = await redisStorage('rp1');
    const holder = new RedisLeadership(second.journalRedis, 'rp1', { leaseMs: 60_000, owner: 'holder' });
    const holderEpoch = await holder.acquire();
    expect(holderEpoch).toBe(run.epoch + 1);
    const restored = await restore(second);
    try {
      expect(restored.roleAtStart).toBe('standby');
      expect(restored.seqAtStart).toBe(run.seq);
      expect(restored.hashAtStart).toBe(run.hash);
      expect(restored.snapshotSeq).toBe(run.snapshotSeq);
      expect(restored.replayed).toBe(run.seq - run.snapshotSeq);
      expect(restored.replayed).toBeGreaterThan(0);

      const byHand = await restoreByHand(second);
      expect(byHand.core.stateHash()).toBe(run.hash);
      expect(byHand.tail.map((f) => [f.firstSeq, f.lastSeq, f.epoch, Buffer.from(f.payload).toString('base64')])).toEqual(
        run.frames
          .filter((f) => f.lastSeq > run.snapshotSeq)
          .map((f) => [f.firstSeq, f.lastSeq, f.epoch, Buffer.from(f.payload).toString('base64')]),
      );
      // The stream was trimmed behind the older snapshot kept.
      expect(await second.journal.firstSeq()).toBe(run.journalFirstSeq);
      expect(await second.plain.xlen(journalKey('rp1'))).toBeLessThan(run.frames.length);

      await holder.release(holderEpoch as number);
      await waitFor('the restored partition to lead', () => restored.partition.role === 'leader');
      expect(restored.partition.epoch).toBe((holderEpoch as number) + 1);
      const deposit: Command = { type: 'Deposit', accountId: 1, transferId: 'after-redis-restart', amountMinor: 3 };
      await restored.partition.submit(deposit);
      await expectJournaledAfter(second.journal, restored.partition, run.seq, deposit);
    } finally {
      await restored.partition.stop();
    }
  });

  it('(b) over Redis: a snapshot with an empty journal stream halts start() and writes nothing', async () => {
    const source = await redisStorage('rp1');
    const snapshot = await source.snapshots.latest();
    expect(snapshot).not.toBeNull();
    const target = await redisStorage('rp-empty');
    await target.snapshots.save((snapshot as { seq: number }).seq, (snapshot as { data: Uint8Array }).data);
    const halts: string[] = [];
    const { logger } = capturingLogger();
    const partition = new EnginePartition({ partition: 'rp-empty', ...target, logger, standbyPollMs: 5, onHalt: (r) => halts.push(r) });
    try {
      const error = await partition.start().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(JournalCorruptError);
      expect((error as Error).message).toMatch(/behind the snapshot/);
      expect(partition.role).toBe('halted');
      expect(halts).toHaveLength(1);
      await sleep(50);
      expect(await target.plain.exists(journalKey('rp-empty'), epochKey('rp-empty'), leaseKey('rp-empty'))).toBe(0);
    } finally {
      await partition.stop();
    }
  });

  it('(e) over Redis: a standby refuses submit with NotLeaderError while another instance leads', async () => {
    const leaderStorage = await redisStorage('rp-e');
    const standbyStorage = await redisStorage('rp-e');
    const { logger } = capturingLogger();
    const leader = new EnginePartition({ partition: 'rp-e', ...leaderStorage, logger, standbyPollMs: 5 });
    const standby = new EnginePartition({ partition: 'rp-e', ...standbyStorage, logger, standbyPollMs: 5 });
    try {
      await leader.start();
      await waitFor('the first instance to lead', () => leader.role === 'leader');
      await standby.start();
      await leader.submit({ type: 'OpenAccount', accountId: 9 });
      await sleep(50);
      expect(standby.role).toBe('standby');
      await expect(standby.submit({ type: 'Deposit', accountId: 9, transferId: 'to-standby', amountMinor: 5 })).rejects.toBeInstanceOf(
        NotLeaderError,
      );
      expect(await leaderStorage.journal.lastSeq()).toBe(1);
      // The standby tails the journal: it has applied the leader's command.
      await waitFor('the standby to catch up', () => standby.appliedSeq === 1);
      expect(standby.core.stateHash()).toBe(leader.core.stateHash());
    } finally {
      await standby.stop();
      await leader.stop();
    }
  });

  it('a replica that fell behind the trimmed journal jumps to the newest snapshot, tells its listeners, and never leads', async () => {
    const leaderStorage = await redisStorage('rp-trim', 400);
    const replicaStorage = await redisStorage('rp-trim', 400);
    const { logger, records } = capturingLogger();
    const leader = new EnginePartition({ partition: 'rp-trim', ...leaderStorage, logger, standbyPollMs: 5, snapshotEveryCommands: 4 });
    // Polls the journal rarely, so the leader snapshots and trims past it in between.
    const replica = new EnginePartition({ partition: 'rp-trim', ...replicaStorage, logger, standbyPollMs: 3_000, follower: true });
    const resets: number[] = [];
    const frames: number[] = [];
    replica.onReset((seq) => resets.push(seq));
    replica.onFrame((frame) => frames.push(frame.lastSeq));
    try {
      await leader.start();
      await waitFor('the leader', () => leader.role === 'leader');
      await leader.submit({ type: 'OpenAccount', accountId: 1 });
      await replica.start();
      expect(replica.appliedSeq).toBe(1);
      for (let i = 0; i < 30; i++) await leader.submit({ type: 'Deposit', accountId: 1, transferId: `t${i}`, amountMinor: 1 + i });
      expect(await leaderStorage.journal.firstSeq()).toBeGreaterThan(2);
      await waitFor('the replica to catch up', () => replica.appliedSeq === leader.appliedSeq);
      expect(replica.core.stateHash()).toBe(leader.core.stateHash());
      expect(resets).toHaveLength(1);
      expect(resets[0]).toBeGreaterThan(1);
      expect(records.some((r) => r['msg'] === 'standby fell behind the trimmed journal; loaded the newest snapshot')).toBe(true);
      // After the jump, frames resume right after the snapshot's seq.
      expect(frames.every((seq) => seq > (resets[0] as number))).toBe(true);
      // With the leader gone and its lease expired, a replica still never takes the lease.
      await leader.stop();
      await sleep(900);
      expect(replica.role).toBe('standby');
      expect(await replicaStorage.leadership.acquire()).not.toBeNull();
    } finally {
      await replica.stop();
      await leader.stop();
    }
  });
});
