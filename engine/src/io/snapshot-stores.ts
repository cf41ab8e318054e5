// Snapshot stores: files in a directory (embedded default) or Redis keys. Each keeps the two
// newest snapshots, so the journal is trimmed only behind the older one.

import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { SnapshotStore } from './partition.js';

const KEPT = 2;

export class FileSnapshotStore implements SnapshotStore {
  constructor(private readonly dir: string) {}

  private async seqs(): Promise<number[]> {
    await mkdir(this.dir, { recursive: true });
    const names = await readdir(this.dir);
    return names
      .map((name) => /^snapshot-(\d+)\.bin$/.exec(name)?.[1])
      .filter((seq): seq is string => seq !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  async save(seq: number, data: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `snapshot-${seq}.bin`);
    const temporary = `${path}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    const directory = await open(this.dir, 'r');
    await directory.sync().finally(() => directory.close());
    const seqs = await this.seqs();
    for (const old of seqs.slice(0, Math.max(0, seqs.length - KEPT))) await rm(join(this.dir, `snapshot-${old}.bin`), { force: true });
  }

  async latest(): Promise<{ seq: number; data: Uint8Array } | null> {
    const seq = (await this.seqs()).at(-1);
    if (seq === undefined) return null;
    return { seq, data: await readFile(join(this.dir, `snapshot-${seq}.bin`)) };
  }

  async oldestKeptSeq(): Promise<number | null> {
    return (await this.seqs())[0] ?? null;
  }
}

export class RedisSnapshotStore implements SnapshotStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    partition: string,
  ) {
    this.key = `snapshots:{${partition}}`;
  }

  async save(seq: number, data: Uint8Array): Promise<void> {
    await this.redis
      .multi()
      .zadd(this.key, seq, String(seq))
      .set(`${this.key}:${seq}`, Buffer.from(data))
      .exec();
    const seqs = (await this.redis.zrange(this.key, "0", "-1")).map(Number);
    for (const old of seqs.slice(0, Math.max(0, seqs.length - KEPT))) {
      await this.redis.multi().zrem(this.key, String(old)).del(`${this.key}:${old}`).exec();
    }
  }

  async latest(): Promise<{ seq: number; data: Uint8Array } | null> {
    const newest = await this.redis.zrange(this.key, "-1", "-1");
    const seq = newest[0];
    if (seq === undefined) return null;
    const data = await this.redis.getBuffer(`${this.key}:${seq}`);
    if (data === null) return null;
    return { seq: Number(seq), data };
  }

  async oldestKeptSeq(): Promise<number | null> {
    const oldest = await this.redis.zrange(this.key, "0", "0");
    return oldest[0] === undefined ? null : Number(oldest[0]);
  }
}
