// Hand-offs through a destination's Redis hand-off stream: a leader's forwarder appends them, a
// hand-off handed on again (by a standby that took over) is stored once, a standby's forwarder keeps
// only what the destination does not hold yet, and the stream reads back in source-seq order.

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedRedis, type SharedServer } from '../../../scripts/test-context.js';
import type { HandOff } from '../core/stage-messages.js';
import type { EventFrame } from './frame-codec.js';
import { HandOffForwarder } from './hand-off-forwarder.js';
import { handOffsKey, RedisHandOffDestination, RedisHandOffInbox } from './redis-streams.js';

let server: SharedServer;
let redis: Redis;

beforeAll(async () => {
  server = await sharedRedis();
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.release();
});

/** Frames 1..count of a source, each handing one empty hand-off to `destination`. */
function frames(source: string, destination: string, count: number): EventFrame[] {
  return Array.from({ length: count }, (_, index) => {
    const seq = index + 1;
    const handOff: HandOff = { type: 'HandOff', source, sourceSeq: seq, previousSourceSeq: seq - 1, steps: [] };
    return { firstSeq: seq, lastSeq: seq, entries: [{ seq, inboxId: null, events: [], handOffs: [{ destination, handOff }] }] };
  });
}

function forwarder(source: string): HandOffForwarder {
  return new HandOffForwarder({ source, destination: (name) => new RedisHandOffDestination(redis, name), logger: pino({ level: 'silent' }), pruneEvery: 100 });
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('hand-off streams', () => {
  it('a standby keeps only what the destination lacks; a hand-off handed on twice is stored once, in order', async () => {
    const source = `risk-${randomUUID()}`;
    const destination = `matching-${randomUUID()}`;
    const all = frames(source, destination, 450);
    const leader = forwarder(source);
    const standby = forwarder(source);
    leader.setActive(true);
    for (const frame of all.slice(0, 400)) leader.take(frame);
    await until('the leader delivered', () => leader.waiting === 0 && leader.deliveredThrough(400));

    // The standby tails the same frames; what the leader delivered is pruned as it goes.
    for (const frame of all) standby.take(frame);
    await until('the standby pruned', () => standby.waiting < 100);
    expect(standby.waiting).toBeGreaterThanOrEqual(50);

    // The leader dies; the standby leads and hands on the rest (and nothing twice).
    leader.setActive(false);
    standby.setActive(true);
    await until('the standby delivered', () => standby.waiting === 0);
    expect(await redis.xlen(handOffsKey(destination))).toBe(450);
    expect(await new RedisHandOffDestination(redis, destination).deliveredSeq(source)).toBe(450);

    // Handing on again after a failover stores nothing new.
    const again = forwarder(source);
    again.setActive(true);
    for (const frame of all.slice(300)) again.take(frame);
    await until('the repeat was handed on', () => again.waiting === 0);
    expect(await redis.xlen(handOffsKey(destination))).toBe(450);

    const inbox = new RedisHandOffInbox(new Redis(server.url), destination);
    try {
      const seqs: number[] = [];
      let after: string | null = null;
      for (;;) {
        const entries = await inbox.next(after, 200, 10);
        if (entries.length === 0) break;
        for (const entry of entries) seqs.push((entry.command as unknown as HandOff).sourceSeq);
        after = entries.at(-1)?.id ?? after;
      }
      expect(seqs).toEqual(Array.from({ length: 450 }, (_, index) => index + 1));
      await inbox.trimBefore(after as string);
      expect(await redis.xlen(handOffsKey(destination))).toBe(1);
    } finally {
      await inbox.close();
    }
  });
});
