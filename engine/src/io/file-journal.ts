// The file journal: the embedded default in place of Redis Streams. One append-only file per
// partition, `<dir>/<partition>.journal`, plus the leadership files of FileLeadership beside it.
//
// Record format, little-endian:  [u32 body length][u32 CRC-32 of body][body]
// body = msgpack { firstSeq, lastSeq, epoch, payload }.
//
// Durability: append() writes the record and calls fdatasync before it resolves, so a resolved
// append survives a process crash and a power loss (as far as the disk honours fsync). A frame is
// one group commit, so this is one fsync per frame, never per command. Appends of one instance run
// strictly one after another, in call order.
//
// Recovery: open() scans the whole file and checks every record's length, CRC and contiguity
// (firstSeq = previous lastSeq + 1). A torn tail - a partial last record, or a checksum failure in
// the last record only, as a crash in the middle of a write leaves them - is cut off (truncated to
// the end of the last good record and fsynced); `repairedBytes` says how much was cut and
// `onRepair` is told. Anything wrong before the last record is corruption: open() throws
// JournalCorruptError naming the offset and the last good seq, and nothing is changed.
//
// Fencing: every append reads the partition's current epoch from FileLeadership's epoch file and
// rejects a frame of another epoch with FencedError, both before the write and again after the
// fsync (a leader that took over during the write wins; the old writer must not ack). Within one
// process this is exact; between processes on one host a zombie could slip a write into the
// moment between its check and its write, which the new leader then detects as a foreign append
// (the file grew behind its back) before it writes.
//
// trimBefore rewrites the kept records to a new file and renames it over the old one; only the
// leader trims, and other open instances of the same file keep reading the old one until reopened.

import { randomUUID } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { FencedError, JournalCorruptError, type Journal, type JournalFrame, type Leadership } from './journal.js';
import { checkFrame } from './journal-frame.js';

const headerBytes = 8;
/** The largest record body accepted; a group commit is far smaller. */
export const FILE_JOURNAL_MAX_FRAME_BYTES = 64 * 1024 * 1024;
const scanChunkBytes = 1024 * 1024;

const packr = new Packr({ useRecords: false });

interface RecordBody {
  firstSeq: number;
  lastSeq: number;
  epoch: number;
  payload: Uint8Array;
}

export interface FileJournalRepair {
  readonly path: string;
  /** Where the cut started: the end of the last good record. */
  readonly offset: number;
  readonly repairedBytes: number;
  readonly reason: string;
}

export interface FileJournalOptions {
  /** Cut a torn tail on open (default true). A reader that is not the writer passes false. */
  readonly repair?: boolean;
  /** Told once when open() cut a torn tail. */
  readonly onRepair?: (repair: FileJournalRepair) => void;
}

export function journalPath(dir: string, partition: string): string {
  return join(dir, `${checkPartitionName(partition)}.journal`);
}

export function epochPath(dir: string, partition: string): string {
  return join(dir, `${checkPartitionName(partition)}.epoch`);
}

export function lockPath(dir: string, partition: string): string {
  return join(dir, `${checkPartitionName(partition)}.lock`);
}

/** The partition's current fencing epoch as FileLeadership stored it; 0 before any acquire. */
export function readFileEpoch(dir: string, partition: string): number {
  let text: string;
  try {
    text = readFileSync(epochPath(dir, partition), 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return 0;
    throw error;
  }
  const epoch = Number(text.trim());
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new JournalCorruptError(`${epochPath(dir, partition)}: not an epoch: ${JSON.stringify(text)}`);
  }
  return epoch;
}

/** In-memory index of the records: offsets and lastSeqs in growable typed arrays (16 B/frame). */
class RecordIndex {
  offsets = new Float64Array(1024);
  lastSeqs = new Float64Array(1024);
  count = 0;
  firstSeq = 0;

  push(offset: number, firstSeq: number, lastSeq: number): void {
    if (this.count === this.offsets.length) {
      const offsets = new Float64Array(this.count * 2);
      offsets.set(this.offsets);
      this.offsets = offsets;
      const lastSeqs = new Float64Array(this.count * 2);
      lastSeqs.set(this.lastSeqs);
      this.lastSeqs = lastSeqs;
    }
    if (this.count === 0) this.firstSeq = firstSeq;
    this.offsets[this.count] = offset;
    this.lastSeqs[this.count] = lastSeq;
    this.count++;
  }

  get lastSeq(): number {
    return this.count === 0 ? 0 : (this.lastSeqs[this.count - 1] ?? 0);
  }

  /** Index of the first record whose lastSeq ≥ seq (count when none). */
  lowerBound(seq: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.lastSeqs[mid] ?? 0) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** firstSeq of record i: the previous record's lastSeq + 1 (records are contiguous). */
  firstSeqAt(i: number): number {
    return i === 0 ? this.firstSeq : (this.lastSeqs[i - 1] ?? 0) + 1;
  }

  offsetAt(i: number): number {
    return this.offsets[i] ?? 0;
  }
}

type ScanStop =
  | { kind: 'end' }
  | { kind: 'torn'; reason: string }
  | { kind: 'corrupt'; reason: string };

export class FileJournal implements Journal {
  /** Bytes open() cut off a torn tail (0 when the file was clean). */
  repairedBytes = 0;

  private index = new RecordIndex();
  /** End of the last good record: where the next one goes. */
  private endOffset = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly partition: string,
    private readonly path: string,
    private handle: FileHandle,
  ) {}

  /** Opens (creating when missing) the partition's journal under dir and checks all of it. */
  static async open(dir: string, partition: string, options: FileJournalOptions = {}): Promise<FileJournal> {
    mkdirSync(dir, { recursive: true });
    const path = journalPath(dir, partition);
    const handle = await open(path, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o644);
    const journal = new FileJournal(dir, partition, path, handle);
    try {
      const size = (await handle.stat()).size;
      const stop = await journal.scan(0, size);
      if (stop.kind === 'corrupt') {
        throw new JournalCorruptError(`${path}: ${stop.reason}; refusing to open (nothing was changed)`);
      }
      if (stop.kind === 'torn') {
        if (options.repair === false) return journal;
        const repairedBytes = size - journal.endOffset;
        await handle.truncate(journal.endOffset);
        await handle.sync();
        journal.repairedBytes = repairedBytes;
        options.onRepair?.({ path, offset: journal.endOffset, repairedBytes, reason: stop.reason });
      }
      return journal;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  append(frame: JournalFrame): Promise<void> {
    try {
      checkFrame(frame);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.serialized(() => this.appendNow(frame));
  }

  read(fromSeq: number, limit: number): Promise<JournalFrame[]> {
    return this.serialized(async () => {
      await this.catchUp();
      const start = this.index.lowerBound(fromSeq);
      const end = Math.min(this.index.count, start + Math.max(0, Math.floor(limit)));
      if (start >= end) return [];
      const from = this.index.offsetAt(start);
      const to = end < this.index.count ? this.index.offsetAt(end) : this.endOffset;
      const bytes = Buffer.allocUnsafe(to - from);
      await readFully(this.handle, bytes, from);
      const frames: JournalFrame[] = [];
      let at = 0;
      for (let i = start; i < end; i++) {
        const length = bytes.readUInt32LE(at);
        const body = bytes.subarray(at + headerBytes, at + headerBytes + length);
        if (crc32(body) !== bytes.readUInt32LE(at + 4)) {
          throw new JournalCorruptError(`${this.path}: checksum failure at offset ${from + at} (read back)`);
        }
        frames.push(decodeBody(body, this.path, from + at));
        at += headerBytes + length;
      }
      return frames;
    });
  }

  lastSeq(): Promise<number> {
    return this.serialized(async () => {
      await this.catchUp();
      return this.index.lastSeq;
    });
  }

  firstSeq(): Promise<number> {
    return this.serialized(async () => {
      await this.catchUp();
      return this.index.count === 0 ? 0 : this.index.firstSeq;
    });
  }

  /**
   * Drops the records whose lastSeq < seq by rewriting the rest to a new file and renaming it
   * over the journal. The newest record is always kept, so the journal's lastSeq (and the
   * contiguity of the next append) survive any trim.
   */
  trimBefore(seq: number): Promise<void> {
    return this.serialized(async () => {
      await this.catchUp();
      const drop = Math.min(this.index.lowerBound(seq), this.index.count - 1);
      if (drop <= 0) return;
      const from = this.index.offsetAt(drop);
      const kept = Buffer.allocUnsafe(this.endOffset - from);
      await readFully(this.handle, kept, from);
      const tmp = `${this.path}.trim-${process.pid}-${randomUUID()}`;
      const out = await open(tmp, 'w', 0o644);
      try {
        await out.write(kept, 0, kept.length, 0);
        await out.sync();
      } finally {
        await out.close();
      }
      renameSync(tmp, this.path);
      fsyncDir(this.dir);
      await this.handle.close();
      this.handle = await open(this.path, fsConstants.O_RDWR);
      const index = new RecordIndex();
      for (let i = drop; i < this.index.count; i++) {
        index.push(this.index.offsetAt(i) - from, this.index.firstSeqAt(i), this.index.lastSeqs[i] ?? 0);
      }
      this.index = index;
      this.endOffset -= from;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.handle.close();
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${this.path}: journal is closed`));
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(frame: JournalFrame): Promise<void> {
    this.checkEpoch(frame.epoch);
    await this.catchUp();
    const lastSeq = this.index.lastSeq;
    if (frame.lastSeq <= lastSeq) {
      await this.checkRetry(frame);
      return;
    }
    if (this.index.count > 0 && frame.firstSeq !== lastSeq + 1) {
      throw new JournalCorruptError(
        `partition ${this.partition}: frame ${frame.firstSeq}..${frame.lastSeq} is not contiguous with lastSeq ${lastSeq}`,
      );
    }
    const record = encodeRecord(frame);
    const offset = this.endOffset;
    await writeFully(this.handle, record, offset);
    await this.handle.datasync();
    // A leader that took over while we wrote wins; this writer must not ack (the frame may or
    // may not be in its journal).
    this.checkEpoch(frame.epoch);
    this.index.push(offset, frame.firstSeq, frame.lastSeq);
    this.endOffset = offset + record.length;
  }

  /** A frame at or below lastSeq is only accepted as an identical retry of a stored frame. */
  private async checkRetry(frame: JournalFrame): Promise<void> {
    const i = this.index.lowerBound(frame.lastSeq);
    const stored = i < this.index.count && this.index.lastSeqs[i] === frame.lastSeq ? (await this.readAt(i)) : undefined;
    if (
      stored !== undefined &&
      stored.firstSeq === frame.firstSeq &&
      stored.epoch === frame.epoch &&
      Buffer.compare(stored.payload, frame.payload) === 0
    ) {
      return;
    }
    throw new JournalCorruptError(
      `partition ${this.partition}: frame ${frame.firstSeq}..${frame.lastSeq} (epoch ${frame.epoch}) is at or below ` +
        `lastSeq ${this.index.lastSeq} and is not a retry of a stored frame`,
    );
  }

  private async readAt(i: number): Promise<JournalFrame> {
    const offset = this.index.offsetAt(i);
    const end = i + 1 < this.index.count ? this.index.offsetAt(i + 1) : this.endOffset;
    const bytes = Buffer.allocUnsafe(end - offset);
    await readFully(this.handle, bytes, offset);
    return decodeBody(bytes.subarray(headerBytes), this.path, offset);
  }

  private checkEpoch(epoch: number): void {
    const current = readFileEpoch(this.dir, this.partition);
    if (current !== epoch) throw new FencedError(this.partition, epoch);
  }

  /**
   * Picks up records another writer appended (a new leader, when this instance is a reader or
   * a fenced old leader): reads them when the file grew. Stops quietly at an incomplete record,
   * which may be a write still in progress.
   */
  private async catchUp(): Promise<void> {
    const size = (await this.handle.stat()).size;
    if (size === this.endOffset) return;
    if (size < this.endOffset) {
      throw new JournalCorruptError(`${this.path}: file shrank to ${size} bytes below its last record end ${this.endOffset}`);
    }
    const stop = await this.scan(this.endOffset, size);
    if (stop.kind === 'corrupt') throw new JournalCorruptError(`${this.path}: ${stop.reason}`);
  }

  /** Reads records from `from` to `size`, adding every good one to the index. */
  private async scan(from: number, size: number): Promise<ScanStop> {
    let chunk = Buffer.allocUnsafe(0);
    let chunkStart = from;
    let offset = from;
    const ensure = async (bytes: number): Promise<boolean> => {
      // Makes [offset, offset + bytes) available in chunk; false when the file is shorter.
      if (offset + bytes > size) return false;
      if (offset + bytes <= chunkStart + chunk.length) return true;
      const length = Math.min(size - offset, Math.max(bytes, scanChunkBytes));
      chunk = Buffer.allocUnsafe(length);
      chunkStart = offset;
      await readFully(this.handle, chunk, offset);
      return true;
    };
    for (;;) {
      if (offset === size) return { kind: 'end' };
      const lastGood = `last good seq ${this.index.lastSeq}`;
      if (!(await ensure(headerBytes))) {
        return { kind: 'torn', reason: `partial record header at offset ${offset} (${size - offset} bytes), ${lastGood}` };
      }
      const length = chunk.readUInt32LE(offset - chunkStart);
      const checksum = chunk.readUInt32LE(offset - chunkStart + 4);
      if (length === 0) {
        if (await allZero(this.handle, offset, size)) {
          return { kind: 'torn', reason: `zero-filled tail at offset ${offset} (${size - offset} bytes), ${lastGood}` };
        }
        return { kind: 'corrupt', reason: `zero-length record at offset ${offset}, ${lastGood}` };
      }
      const end = offset + headerBytes + length;
      if (end > size) {
        return {
          kind: 'torn',
          reason: `partial last record at offset ${offset} (${length} byte body, ${size - offset - headerBytes} present), ${lastGood}`,
        };
      }
      if (length > FILE_JOURNAL_MAX_FRAME_BYTES) {
        return { kind: 'corrupt', reason: `record length ${length} at offset ${offset} exceeds the maximum, ${lastGood}` };
      }
      await ensure(headerBytes + length);
      const bodyStart = offset - chunkStart + headerBytes;
      const body = chunk.subarray(bodyStart, bodyStart + length);
      if (crc32(body) !== checksum) {
        if (end === size) {
          return { kind: 'torn', reason: `checksum failure in the last record at offset ${offset}, ${lastGood}` };
        }
        return { kind: 'corrupt', reason: `checksum failure at offset ${offset} (not the last record), ${lastGood}` };
      }
      let frame: JournalFrame;
      try {
        frame = decodeBody(body, this.path, offset);
      } catch (error) {
        return { kind: 'corrupt', reason: (error as Error).message };
      }
      if (this.index.count > 0 && frame.firstSeq !== this.index.lastSeq + 1) {
        return {
          kind: 'corrupt',
          reason: `record at offset ${offset} holds ${frame.firstSeq}..${frame.lastSeq}, not contiguous with ${lastGood}`,
        };
      }
      this.index.push(offset, frame.firstSeq, frame.lastSeq);
      offset = end;
      this.endOffset = end;
    }
  }
}

/**
 * Leadership of a partition on one host: an exclusive lock file `<partition>.lock` (created with
 * O_EXCL; it names the owner, its pid, the epoch and when the lease expires) and the epoch in
 * `<partition>.epoch`, incremented (and fsynced) on every acquire. A lock is stale when its lease
 * expired without renewal or its process is gone; a contender then replaces it. All file
 * operations are synchronous, so within one process acquire/renew/release cannot interleave.
 * Between processes exclusivity is best effort; the epoch check on every append is what keeps a
 * second writer out.
 */
export class FileLeadership implements Leadership {
  readonly leaseMs: number;
  readonly owner: string;

  constructor(
    private readonly dir: string,
    private readonly partition: string,
    options: { leaseMs: number; owner?: string },
  ) {
    if (!(options.leaseMs > 0)) throw new RangeError(`leaseMs must be positive, got ${options.leaseMs}`);
    this.leaseMs = options.leaseMs;
    this.owner = options.owner ?? `${process.pid}:${randomUUID()}`;
    mkdirSync(dir, { recursive: true });
  }

  async acquire(): Promise<number | null> {
    const path = lockPath(this.dir, this.partition);
    const existing = readLock(path);
    if (existing !== undefined) {
      if (!lockIsStale(existing)) return null;
      try {
        unlinkSync(path);
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error;
      }
    }
    let fd: number;
    try {
      fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
    } catch (error) {
      if (isErrno(error, 'EEXIST')) return null;
      throw error;
    }
    try {
      const epoch = readFileEpoch(this.dir, this.partition) + 1;
      writeFileAtomic(epochPath(this.dir, this.partition), `${epoch}\n`);
      const lock: LockFile = { owner: this.owner, pid: process.pid, epoch, expiresAtMs: Date.now() + this.leaseMs };
      writeSync(fd, JSON.stringify(lock));
      fsyncSync(fd);
      return epoch;
    } finally {
      closeSync(fd);
    }
  }

  async renew(epoch: number): Promise<boolean> {
    const path = lockPath(this.dir, this.partition);
    const lock = readLock(path);
    if (lock === undefined || lock.owner !== this.owner || lock.epoch !== epoch) return false;
    // A lapsed lock that is still ours, at the current epoch, was not taken over: reclaim it.
    if (readFileEpoch(this.dir, this.partition) !== epoch) return false;
    // Not fsynced: the lease only matters to processes on this machine, which read the page cache,
    // and a power loss ends every holder. A synchronous fsync here would stall the event loop of
    // the leader (and whatever else it serves) whenever the disk is busy.
    writeFileAtomic(path, JSON.stringify({ ...lock, expiresAtMs: Date.now() + this.leaseMs }), false);
    return true;
  }

  async release(epoch: number): Promise<void> {
    const path = lockPath(this.dir, this.partition);
    const lock = readLock(path);
    if (lock === undefined || lock.owner !== this.owner || lock.epoch !== epoch) return;
    unlinkSync(path);
  }
}

interface LockFile {
  owner: string;
  pid: number;
  epoch: number;
  expiresAtMs: number;
}

function readLock(path: string): LockFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    const lock = JSON.parse(text) as Partial<LockFile>;
    return {
      owner: String(lock.owner ?? ''),
      pid: Number(lock.pid ?? 0),
      epoch: Number(lock.epoch ?? 0),
      expiresAtMs: Number(lock.expiresAtMs ?? 0),
    };
  } catch {
    // Half-written by a contender that died between create and write: stale by construction.
    return { owner: '', pid: 0, epoch: 0, expiresAtMs: 0 };
  }
}

function lockIsStale(lock: LockFile): boolean {
  if (Date.now() > lock.expiresAtMs) return true;
  if (lock.pid <= 0) return true;
  try {
    process.kill(lock.pid, 0);
    return false;
  } catch (error) {
    return !isErrno(error, 'EPERM');
  }
}

function writeFileAtomic(path: string, text: string, durable = true): void {
  const tmp = `${path}.tmp-${process.pid}-${randomUUID()}`;
  writeFileSync(tmp, text, { flush: durable });
  renameSync(tmp, path);
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function encodeRecord(frame: JournalFrame): Buffer {
  // Packr reuses its output buffer, so the body is copied into the record at once.
  const body = packr.pack({
    firstSeq: frame.firstSeq,
    lastSeq: frame.lastSeq,
    epoch: frame.epoch,
    payload: Buffer.from(frame.payload.buffer, frame.payload.byteOffset, frame.payload.byteLength),
  } satisfies RecordBody);
  if (body.length > FILE_JOURNAL_MAX_FRAME_BYTES) {
    throw new RangeError(`frame ${frame.firstSeq}..${frame.lastSeq} is ${body.length} bytes, above the maximum`);
  }
  const record = Buffer.allocUnsafe(headerBytes + body.length);
  record.writeUInt32LE(body.length, 0);
  record.writeUInt32LE(crc32(body), 4);
  body.copy(record, headerBytes);
  return record;
}

function decodeBody(body: Uint8Array, path: string, offset: number): JournalFrame {
  let value: unknown;
  try {
    value = packr.unpack(body);
  } catch (error) {
    throw new JournalCorruptError(`${path}: undecodable record at offset ${offset}: ${(error as Error).message}`);
  }
  const v = value as Partial<RecordBody> | null;
  if (
    v === null ||
    typeof v !== 'object' ||
    !isSeq(v.firstSeq) ||
    !isSeq(v.lastSeq) ||
    v.firstSeq > v.lastSeq ||
    !isSeq(v.epoch) ||
    !(v.payload instanceof Uint8Array)
  ) {
    throw new JournalCorruptError(`${path}: malformed record at offset ${offset}`);
  }
  return { firstSeq: v.firstSeq, lastSeq: v.lastSeq, epoch: v.epoch, payload: new Uint8Array(v.payload) };
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function checkPartitionName(partition: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(partition) || partition.startsWith('.')) {
    throw new RangeError(`partition name ${JSON.stringify(partition)} is not a safe file name`);
  }
  return partition;
}

async function readFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw new JournalCorruptError(`unexpected end of file at offset ${position + done}`);
    done += bytesRead;
  }
}

async function writeFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, position + done);
    done += bytesWritten;
  }
}

async function allZero(handle: FileHandle, from: number, to: number): Promise<boolean> {
  const buffer = Buffer.allocUnsafe(Math.min(scanChunkBytes, to - from));
  for (let at = from; at < to; at += buffer.length) {
    const length = Math.min(buffer.length, to - at);
    const view = buffer.subarray(0, length);
    await readFully(handle, view, at);
    if (view.some((byte) => byte !== 0)) return false;
  }
  return true;
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}
