// The journal contract, run against both adapters: the file journal in a temp dir and the Redis
// Streams journal on a real redis-server (the shared one of the global setup). Then each adapter's
// own failure modes: torn tails and corruption for the file; kill -9 and outages for Redis.
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedRedis, type SharedServer } from '../../../scripts/test-context.js';
import { startRedis, type RedisServer } from '../../../scripts/test-servers.js';
import { FileJournal, FileLeadership, journalPath, type FileJournalRepair } from './file-journal.js';
import { FencedError, JournalCorruptError, type Journal, type JournalFrame, type Leadership } from './journal.js';
import { connectJournalRedis, journalKey, RedisJournal, RedisLeadership } from './redis-journal.js';

function frame(firstSeq: number, lastSeq: number, epoch: number, text = `commands ${firstSeq}..${lastSeq}`): JournalFrame {
  return { firstSeq, lastSeq, epoch, payload: new TextEncoder().encode(text) };
}

function plain(frames: JournalFrame[]): Array<{ firstSeq: number; lastSeq: number; epoch: number; payload: string }> {
  return frames.map((f) => ({ firstSeq: f.firstSeq, lastSeq: f.lastSeq, epoch: f.epoch, payload: Buffer.from(f.payload).toString() }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How a contract test reaches one adapter; every test uses a partition of its own. */
interface Adapter {
  readonly name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A new, independent contender for the partition's leadership (its own client). */
  leadership(partition: string, leaseMs: number): Promise<Leadership>;
  /** A new journal instance on the partition (its own client or file handle). */
  journal(partition: string): Promise<Journal>;
}

function fileAdapter(): Adapter {
  let dir = '';
  return {
    name: 'FileJournal',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'file-journal-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    async leadership(partition, leaseMs) {
      return new FileLeadership(dir, partition, { leaseMs });
    },
    async journal(partition) {
      return FileJournal.open(dir, partition);
    },
  };
}

function redisAdapter(): Adapter {
  let server: SharedServer | undefined;
  const clients: Redis[] = [];
  const client = async (): Promise<Redis> => {
    if (server === undefined) throw new Error('setup() first');
    const redis = await connectJournalRedis(server.url);
    clients.push(redis);
    return redis;
  };
  return {
    name: 'RedisJournal',
    async setup() {
      server = await sharedRedis();
    },
    async teardown() {
      for (const redis of clients) redis.disconnect();
      await server?.release();
    },
    async leadership(partition, leaseMs) {
      return new RedisLeadership(await client(), partition, { leaseMs });
    },
    async journal(partition) {
      return new RedisJournal(await client(), partition);
    },
  };
}

describe.each([fileAdapter(), redisAdapter()])('the journal contract: $name', (adapter) => {
  const opened: Journal[] = [];
  beforeAll(() => adapter.setup());
  afterAll(async () => {
    await Promise.allSettled(opened.map((j) => j.close()));
    await adapter.teardown();
  });

  const newPartition = (): string => `p-${randomUUID().slice(0, 8)}`;
  const openJournal = async (partition: string): Promise<Journal> => {
    const journal = await adapter.journal(partition);
    opened.push(journal);
    return journal;
  };
  /** A leader: its lease, its epoch and its journal. */
  const lead = async (partition: string, leaseMs = 10_000): Promise<{ leadership: Leadership; epoch: number; journal: Journal }> => {
    const leadership = await adapter.leadership(partition, leaseMs);
    const epoch = await leadership.acquire();
    if (epoch === null) throw new Error('expected to acquire the lease');
    return { leadership, epoch, journal: await openJournal(partition) };
  };

  it('reads back what was appended, in order, from any seq, with a limit', async () => {
    const partition = newPartition();
    const { epoch, journal } = await lead(partition);
    expect(await journal.lastSeq()).toBe(0);
    expect(await journal.firstSeq()).toBe(0);
    expect(await journal.read(1, 10)).toEqual([]);

    const frames = [frame(1, 3, epoch), frame(4, 4, epoch), frame(5, 9, epoch, 'x'.repeat(10_000))];
    for (const f of frames) await journal.append(f);

    expect(await journal.lastSeq()).toBe(9);
    expect(await journal.firstSeq()).toBe(1);
    expect(plain(await journal.read(1, 10))).toEqual(plain(frames));
    expect(plain(await journal.read(4, 10))).toEqual(plain(frames.slice(1)));
    // A frame is returned when its lastSeq ≥ fromSeq, so seq 6 is found inside 5..9.
    expect(plain(await journal.read(6, 10))).toEqual(plain(frames.slice(2)));
    expect(plain(await journal.read(2, 1))).toEqual(plain(frames.slice(0, 1)));
    expect(await journal.read(10, 10)).toEqual([]);
    expect(await journal.read(1, 0)).toEqual([]);

    // A second instance (a restarted process, a standby) sees the same frames, byte for byte.
    const reader = await openJournal(partition);
    expect(await reader.lastSeq()).toBe(9);
    const read = await reader.read(1, 10);
    expect(plain(read)).toEqual(plain(frames));
    expect(read[2]?.payload).toBeInstanceOf(Uint8Array);
    expect(read[2]?.payload.byteLength).toBe(10_000);
  });

  it('rejects a frame that leaves a gap or overlaps, and keeps accepting the right next frame', async () => {
    const { epoch, journal } = await lead(newPartition());
    await journal.append(frame(1, 3, epoch));

    await expect(journal.append(frame(5, 6, epoch))).rejects.toThrow(JournalCorruptError);
    await expect(journal.append(frame(5, 6, epoch))).rejects.toThrow(/contiguous/);
    await expect(journal.append(frame(3, 4, epoch))).rejects.toThrow(JournalCorruptError);
    await expect(journal.append(frame(2, 3, epoch))).rejects.toThrow(JournalCorruptError);
    expect(await journal.lastSeq()).toBe(3);

    await journal.append(frame(4, 6, epoch));
    expect(plain(await journal.read(1, 10)).map((f) => [f.firstSeq, f.lastSeq])).toEqual([
      [1, 3],
      [4, 6],
    ]);
  });

  it('treats an identical retry of an appended frame as done, and a different frame with its seqs as an error', async () => {
    const { epoch, journal } = await lead(newPartition());
    const first = frame(1, 2, epoch);
    const second = frame(3, 5, epoch);
    await journal.append(first);
    await journal.append(second);

    await journal.append(second);
    await journal.append({ ...second, payload: new Uint8Array(second.payload) });
    await journal.append(first);
    expect(plain(await journal.read(1, 10))).toEqual(plain([first, second]));

    await expect(journal.append(frame(3, 5, epoch, 'something else'))).rejects.toThrow(JournalCorruptError);
    await expect(journal.append(frame(4, 5, epoch))).rejects.toThrow(JournalCorruptError);
    expect(plain(await journal.read(1, 10))).toEqual(plain([first, second]));
  });

  it('fences off a zombie: once a new leader acquired, appends with the old epoch reject with FencedError', async () => {
    const partition = newPartition();
    const old = await lead(partition, 1_500);
    await old.journal.append(frame(1, 2, old.epoch));

    // The old leader stalls past its lease; a new leader takes over with a greater epoch.
    const next = await adapter.leadership(partition, 10_000);
    expect(await next.acquire()).toBeNull();
    await sleep(1_600);
    const nextEpoch = await next.acquire();
    expect(nextEpoch).not.toBeNull();
    expect(nextEpoch ?? 0).toBeGreaterThan(old.epoch);
    const nextJournal = await openJournal(partition);
    expect(await nextJournal.lastSeq()).toBe(2);
    await nextJournal.append(frame(3, 3, nextEpoch ?? 0));

    // The zombie wakes up: its lease is gone and every append it tries is refused.
    expect(await old.leadership.renew(old.epoch)).toBe(false);
    const zombieAppend = old.journal.append(frame(3, 4, old.epoch, 'zombie'));
    await expect(zombieAppend).rejects.toThrow(FencedError);
    await expect(zombieAppend).rejects.toMatchObject({ partition, epoch: old.epoch });
    await expect(old.journal.append(frame(4, 4, old.epoch, 'zombie'))).rejects.toThrow(FencedError);
    // Even a retry of a frame it did write is refused: a fenced writer learns nothing new.
    await expect(old.journal.append(frame(1, 2, old.epoch))).rejects.toThrow(FencedError);
    // An epoch from the future is no better.
    await expect(nextJournal.append(frame(4, 4, (nextEpoch ?? 0) + 1))).rejects.toThrow(FencedError);

    expect(plain(await nextJournal.read(1, 10))).toEqual(plain([frame(1, 2, old.epoch), frame(3, 3, nextEpoch ?? 0)]));
    await nextJournal.append(frame(4, 4, nextEpoch ?? 0));
    expect(await nextJournal.lastSeq()).toBe(4);
  });

  it('gives the lease to one contender at a time, with a strictly greater epoch on every acquisition', async () => {
    const partition = newPartition();
    const leaseMs = 600;
    const a = await adapter.leadership(partition, leaseMs);
    const b = await adapter.leadership(partition, leaseMs);
    expect(a.leaseMs).toBe(leaseMs);

    const [first, second] = await Promise.all([a.acquire(), b.acquire()]);
    expect([first, second].filter((e) => e !== null)).toHaveLength(1);
    const [holder, other] = first !== null ? [a, b] : [b, a];
    const epoch1 = first ?? second ?? 0;
    expect(epoch1).toBeGreaterThanOrEqual(1);

    // Renewing keeps it past the original lease.
    for (let i = 0; i < 4; i++) {
      await sleep(leaseMs / 3);
      expect(await holder.renew(epoch1)).toBe(true);
      expect(await other.acquire()).toBeNull();
    }
    // The other contender cannot renew or release what it does not hold.
    expect(await other.renew(epoch1)).toBe(false);
    await other.release(epoch1);
    expect(await other.acquire()).toBeNull();

    // After a release the other contender wins, with a greater epoch.
    await holder.release(epoch1);
    const epoch2 = await other.acquire();
    expect(epoch2).not.toBeNull();
    expect(epoch2 ?? 0).toBeGreaterThan(epoch1);
    expect(await holder.acquire()).toBeNull();
    expect(await holder.renew(epoch1)).toBe(false);

    // After the lease expires unrenewed, the first contender wins again, with a greater epoch,
    // and the lapsed holder can no longer renew.
    await sleep(leaseMs + 150);
    const epoch3 = await holder.acquire();
    expect(await other.renew(epoch2 ?? 0)).toBe(false);
    expect(epoch3 ?? 0).toBeGreaterThan(epoch2 ?? 0);
    expect(await other.acquire()).toBeNull();
    await holder.release(epoch3 ?? 0);
  });

  it('a holder whose lease lapsed with nobody taking over reclaims it on renew, at the same epoch', async () => {
    const partition = newPartition();
    const leaseMs = 300;
    const stalled = await lead(partition, leaseMs);
    const contender = await adapter.leadership(partition, leaseMs);
    await sleep(leaseMs + 150);
    // Nobody acquired meanwhile: the renewal reclaims the lease and the epoch still appends.
    expect(await stalled.leadership.renew(stalled.epoch)).toBe(true);
    expect(await contender.acquire()).toBeNull();
    await stalled.journal.append(frame(1, 1, stalled.epoch));
    // A renewal with an epoch that is not the current one never reclaims.
    await sleep(leaseMs + 150);
    expect(await stalled.leadership.renew(stalled.epoch - 1)).toBe(false);
    const takeover = await contender.acquire();
    expect(takeover ?? 0).toBeGreaterThan(stalled.epoch);
    expect(await stalled.leadership.renew(stalled.epoch)).toBe(false);
    await expect(stalled.journal.append(frame(2, 2, stalled.epoch))).rejects.toThrow(FencedError);
  });

  it('trimBefore drops frames whose lastSeq < seq, keeps the rest and always the newest', async () => {
    const { epoch, journal } = await lead(newPartition());
    const frames = [frame(1, 2, epoch), frame(3, 5, epoch), frame(6, 6, epoch), frame(7, 9, epoch)];
    for (const f of frames) await journal.append(f);

    await journal.trimBefore(1);
    expect(await journal.firstSeq()).toBe(1);
    await journal.trimBefore(6);
    expect(await journal.firstSeq()).toBe(6);
    expect(await journal.lastSeq()).toBe(9);
    expect(plain(await journal.read(1, 10))).toEqual(plain(frames.slice(2)));
    // 7..9 has lastSeq 9 ≥ 8: kept.
    await journal.trimBefore(8);
    expect(plain(await journal.read(1, 10))).toEqual(plain(frames.slice(3)));

    // Trimming past the end keeps the newest frame, so the journal still knows where it is.
    await journal.trimBefore(100);
    expect(plain(await journal.read(1, 10))).toEqual(plain(frames.slice(3)));
    expect(await journal.lastSeq()).toBe(9);
    await expect(journal.append(frame(11, 11, epoch))).rejects.toThrow(JournalCorruptError);
    await journal.append(frame(10, 11, epoch));
    expect(plain(await journal.read(1, 10))).toEqual(plain([frames[3] ?? frame(7, 9, epoch), frame(10, 11, epoch)]));
  });
});

describe('RedisJournal that publishes events with each frame', () => {
  let server: SharedServer | undefined;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await sharedRedis();
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.release();
  });
  const connect = async (): Promise<Redis> => {
    const redis = await connectJournalRedis(server?.url ?? '');
    clients.push(redis);
    return redis;
  };
  const withEvents = (f: JournalFrame, text = `events ${f.lastSeq}`): JournalFrame => ({ ...f, events: new TextEncoder().encode(text) });
  const published = async (redis: Redis, stream: string): Promise<Array<[string, string]>> =>
    (await redis.xrange(stream, '-', '+')).map(([id, fields]) => [id, fields[1] ?? '']);

  it('writes each frame\'s events under its lastSeq in the same append, once, and nothing when fenced', async () => {
    const partition = `p-${randomUUID().slice(0, 8)}`;
    const stream = `events:{${partition}}`;
    const redis = await connect();
    const epoch = (await new RedisLeadership(redis, partition, { leaseMs: 10_000 }).acquire()) ?? 0;
    const journal = new RedisJournal(redis, partition, { eventsStream: stream });
    expect(journal.publishesEvents).toBe(true);

    await journal.append(withEvents(frame(1, 2, epoch)));
    await journal.append(withEvents(frame(3, 5, epoch)));
    // An identical retry is done already: its events are not written twice.
    await journal.append(withEvents(frame(3, 5, epoch)));
    expect(await published(redis, stream)).toEqual([
      ['2-0', 'events 2'],
      ['5-0', 'events 5'],
    ]);
    expect(plain(await journal.read(1, 10))).toEqual(plain([frame(1, 2, epoch), frame(3, 5, epoch)]));

    // Events a sink published already (after a takeover) stay; the frame is still journaled.
    await redis.xadd(stream, '6-0', 'f', 'published before');
    await journal.append(withEvents(frame(6, 6, epoch)));
    expect(await journal.lastSeq()).toBe(6);
    expect((await published(redis, stream)).at(-1)).toEqual(['6-0', 'published before']);

    // A rejected append publishes nothing.
    await expect(journal.append(withEvents(frame(8, 8, epoch)))).rejects.toThrow(JournalCorruptError);
    await expect(journal.append(withEvents(frame(7, 7, epoch + 1)))).rejects.toThrow(FencedError);
    expect(await redis.xlen(stream)).toBe(3);
    expect(await journal.lastSeq()).toBe(6);

    // A frame without its events is a bug in the caller.
    await expect(journal.append(frame(7, 7, epoch))).rejects.toThrow(TypeError);
    expect(await journal.lastSeq()).toBe(6);
    expect(() => new RedisJournal(redis, partition, { eventsStream: stream, replicas: 1 })).toThrow(RangeError);
  });
});

describe('FileJournal recovery', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'file-journal-recovery-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A journal with frames 1..2, 3..5, 6..6 written by a leader, closed; returns its path and file size. */
  async function written(partition: string): Promise<{ path: string; sizeBytes: number; epoch: number; frames: JournalFrame[] }> {
    const epoch = (await new FileLeadership(dir, partition, { leaseMs: 60_000 }).acquire()) ?? 0;
    const journal = await FileJournal.open(dir, partition);
    const frames = [frame(1, 2, epoch), frame(3, 5, epoch, 'y'.repeat(300)), frame(6, 6, epoch)];
    for (const f of frames) await journal.append(f);
    await journal.close();
    const path = journalPath(dir, partition);
    return { path, sizeBytes: statSync(path).size, epoch, frames };
  }

  it('cuts a partial last record on open, keeps the good frames, and appends after them', async () => {
    const { path, sizeBytes, epoch, frames } = await written('torn-partial');
    truncateSync(path, sizeBytes - 5);
    const repairs: FileJournalRepair[] = [];
    const journal = await FileJournal.open(dir, 'torn-partial', { onRepair: (r) => repairs.push(r) });
    try {
      const lastRecordBytes = sizeBytes - (await recordEnd(path, 2));
      expect(journal.repairedBytes).toBe(lastRecordBytes - 5);
      expect(repairs).toHaveLength(1);
      expect(repairs[0]?.reason).toMatch(/partial last record/);
      expect(statSync(path).size).toBe(sizeBytes - lastRecordBytes);
      expect(await journal.lastSeq()).toBe(5);
      expect(plain(await journal.read(1, 10))).toEqual(plain(frames.slice(0, 2)));
      // The leader re-appends the lost frame (it was never acknowledged).
      await journal.append(frames[2] ?? frame(6, 6, epoch));
      expect(plain(await journal.read(1, 10))).toEqual(plain(frames));
    } finally {
      await journal.close();
    }
    const reopened = await FileJournal.open(dir, 'torn-partial');
    expect(reopened.repairedBytes).toBe(0);
    expect(plain(await reopened.read(1, 10))).toEqual(plain(frames));
    await reopened.close();
  });

  it('cuts garbage appended after the last record (a torn header)', async () => {
    const { path, sizeBytes, frames } = await written('torn-garbage');
    appendFileSync(path, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]));
    const journal = await FileJournal.open(dir, 'torn-garbage');
    expect(journal.repairedBytes).toBe(11);
    expect(statSync(path).size).toBe(sizeBytes);
    expect(plain(await journal.read(1, 10))).toEqual(plain(frames));
    await journal.close();

    // A header of only a few bytes, and a zero-filled tail (a crash after the size grew), too.
    appendFileSync(path, Buffer.from([0x10, 0x00]));
    const again = await FileJournal.open(dir, 'torn-garbage');
    expect(again.repairedBytes).toBe(2);
    await again.close();
    appendFileSync(path, Buffer.alloc(4096));
    const zeros = await FileJournal.open(dir, 'torn-garbage');
    expect(zeros.repairedBytes).toBe(4096);
    expect(plain(await zeros.read(1, 10))).toEqual(plain(frames));
    await zeros.close();
  });

  it('cuts a last record whose checksum fails', async () => {
    const { path, sizeBytes, frames } = await written('torn-crc');
    const bytes = readFileSync(path);
    bytes[sizeBytes - 1] = (bytes[sizeBytes - 1] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
    const journal = await FileJournal.open(dir, 'torn-crc');
    expect(journal.repairedBytes).toBe(sizeBytes - (await recordEnd(path, 2)));
    expect(plain(await journal.read(1, 10))).toEqual(plain(frames.slice(0, 2)));
    await journal.close();
  });

  it('refuses to open a journal corrupted before its last record, naming the offset, and changes nothing', async () => {
    const { path, sizeBytes } = await written('corrupt-middle');
    const bytes = readFileSync(path);
    const secondRecord = await recordEnd(path, 1);
    // Flip a byte in the body of the second record (of three).
    bytes[secondRecord + 20] = (bytes[secondRecord + 20] ?? 0) ^ 0x01;
    writeFileSync(path, bytes);

    const opening = FileJournal.open(dir, 'corrupt-middle');
    await expect(opening).rejects.toThrow(JournalCorruptError);
    await expect(FileJournal.open(dir, 'corrupt-middle')).rejects.toThrow(
      new RegExp(`checksum failure at offset ${secondRecord} \\(not the last record\\), last good seq 2`),
    );
    expect(statSync(path).size).toBe(sizeBytes);

    // A length header destroyed in the middle is corruption too, not a torn tail.
    const other = await written('corrupt-length');
    const lengthBytes = readFileSync(other.path);
    lengthBytes.writeUInt32LE(3, 0);
    writeFileSync(other.path, lengthBytes);
    await expect(FileJournal.open(dir, 'corrupt-length')).rejects.toThrow(/offset 0/);
    expect(statSync(other.path).size).toBe(other.sizeBytes);
  });

  it('lets a new lock holder in when the holding process is gone', async () => {
    const partition = 'dead-holder';
    writeFileSync(
      join(dir, `${partition}.lock`),
      JSON.stringify({ owner: 'ghost', pid: 2 ** 22 + 12345, epoch: 7, expiresAtMs: Date.now() + 60_000 }),
    );
    writeFileSync(join(dir, `${partition}.epoch`), '7\n');
    const epoch = await new FileLeadership(dir, partition, { leaseMs: 60_000 }).acquire();
    expect(epoch).toBe(8);
  });
});

/** Byte offset where record `count` ends (the sum of the first `count` records' sizes). */
async function recordEnd(path: string, count: number): Promise<number> {
  const bytes = readFileSync(path);
  let offset = 0;
  for (let i = 0; i < count; i++) offset += 8 + bytes.readUInt32LE(offset);
  return offset;
}

describe('RedisJournal on a redis-server that crashes', () => {
  let server: RedisServer | undefined;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedis({ appendfsync: 'always' });
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.stop();
  });
  const connect = async (): Promise<Redis> => {
    const redis = await connectJournalRedis(server?.url ?? '', 2_000);
    clients.push(redis);
    return redis;
  };
  /** Retries the same frame until it is durable (what the partition runner does). */
  const appendUntilDone = async (journal: Journal, f: JournalFrame, deadlineMs: number): Promise<number> => {
    let failures = 0;
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      try {
        await journal.append(f);
        return failures;
      } catch (error) {
        if (error instanceof FencedError || error instanceof JournalCorruptError || Date.now() > deadline) throw error;
        failures++;
        await sleep(50);
      }
    }
  };

  it('keeps every acknowledged frame through kill -9 and a restart (appendfsync always)', async () => {
    const redis = await connect();
    const leadership = new RedisLeadership(redis, 'crash', { leaseMs: 60_000 });
    const staleEpoch = (await leadership.acquire()) ?? 0;
    await leadership.release(staleEpoch);
    const epoch = (await leadership.acquire()) ?? 0;
    expect(epoch).toBeGreaterThan(staleEpoch);
    const journal = new RedisJournal(redis, 'crash');
    const frameCount = 500;
    const frames: JournalFrame[] = [];
    const startedMs = performance.now();
    for (let i = 1; i <= frameCount; i++) {
      const f = frame(i * 10 - 9, i * 10, epoch, `frame ${i} `.padEnd(800, '.'));
      await journal.append(f);
      frames.push(f);
    }
    const elapsedMs = performance.now() - startedMs;
    console.info(`RedisJournal: ${frameCount} sequential awaited appends (800 B, appendfsync always) in ${elapsedMs.toFixed(0)} ms = ${((frameCount / elapsedMs) * 1000).toFixed(0)} frames/s`);

    await server?.kill9();
    await expect(journal.lastSeq()).rejects.toThrow();
    await server?.restart();

    const after = new RedisJournal(await connect(), 'crash');
    expect(await after.lastSeq()).toBe(frameCount * 10);
    const read = await after.read(1, frameCount + 10);
    expect(read).toHaveLength(frameCount);
    expect(plain(read)).toEqual(plain(frames));
    // The epoch survived too: the leader's next frame is accepted, a stale one is not.
    await after.append(frame(frameCount * 10 + 1, frameCount * 10 + 1, epoch));
    await expect(after.append(frame(frameCount * 10 + 2, frameCount * 10 + 2, staleEpoch))).rejects.toThrow(FencedError);
  });

  it('rejects appends promptly while Redis is down, and takes the same frame when retried after the restart', async () => {
    const redis = await connect();
    const epoch = (await new RedisLeadership(redis, 'outage', { leaseMs: 60_000 }).acquire()) ?? 0;
    const journal = new RedisJournal(redis, 'outage');
    for (let i = 1; i <= 5; i++) await journal.append(frame(i, i, epoch));

    await server?.kill9();
    const next = frame(6, 8, epoch);
    for (let attempt = 0; attempt < 3; attempt++) {
      const startedMs = performance.now();
      await expect(journal.append(next)).rejects.toThrow();
      // Rejected within the client's connect and retry bounds, not queued until Redis returns.
      expect(performance.now() - startedMs).toBeLessThan(10_000);
      await sleep(100);
    }

    const restart = server?.restart();
    // The runner keeps retrying the same frame through the outage; it lands once Redis is back.
    const failures = await appendUntilDone(journal, next, 15_000);
    await restart;
    expect(failures).toBeGreaterThan(0);
    // Retrying it once more is a no-op; the frame is stored once.
    await journal.append(next);
    const read = await journal.read(1, 100);
    expect(plain(read).map((f) => [f.firstSeq, f.lastSeq])).toEqual([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 8]]);
    expect(await redis.xlen(journalKey('outage'))).toBe(6);
  });
});
