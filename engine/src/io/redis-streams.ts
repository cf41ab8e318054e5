// The partition's Redis streams besides the journal: the inbox gateways write commands to (field
// `c` = the msgpack command, and `t` = the W3C traceparent of the request that sent it, when it was
// traced), and the events stream the leader publishes durable frames to (id = the frame's lastSeq,
// so a frame published twice is stored once).

import type { Redis } from 'ioredis';
import type { Command } from '@playchacha/protocol';
import { decodeEventFrame, decodeValue, encodeEventFrame, encodeValue, type EventFrame } from './frame-codec.js';
import type { HandOff } from '../core/stage-messages.js';
import type { HandOffDestination } from './hand-off-forwarder.js';
import type { CommandInbox, EventSink, InboxEntry } from './partition.js';

export function inboxKey(partition: string): string {
  return `inbox:{${partition}}`;
}

export function eventsKey(partition: string): string {
  return `events:{${partition}}`;
}

export class RedisInbox implements CommandInbox {
  constructor(
    private readonly redis: Redis,
    private readonly partition: string,
  ) {}

  async next(afterId: string | null, max: number, blockMs: number): Promise<InboxEntry[]> {
    const reply = await this.redis.xreadBuffer('COUNT', max, 'BLOCK', blockMs, 'STREAMS', inboxKey(this.partition), afterId ?? '0-0');
    if (reply === null) return [];
    const entries: InboxEntry[] = [];
    for (const [, messages] of reply) {
      for (const [id, fields] of messages) {
        const payload = fields[1];
        if (payload === undefined) continue;
        const traceparent = fields[3] !== undefined && fields[2]?.toString() === 't' ? fields[3].toString() : null;
        entries.push({ id: id.toString(), command: decodeValue<Command>(payload), traceparent });
      }
    }
    return entries;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** Appends a command to a partition's inbox; returns the inbox id the events will carry. */
export async function sendToInbox(redis: Redis, partition: string, command: Command, traceparent: string | null = null): Promise<string> {
  const payload = Buffer.from(encodeValue(command));
  const id =
    traceparent === null
      ? await redis.xadd(inboxKey(partition), '*', 'c', payload)
      : await redis.xadd(inboxKey(partition), '*', 'c', payload, 't', traceparent);
  if (id === null) throw new Error('XADD returned no id');
  return id;
}

export class RedisEventSink implements EventSink {
  constructor(
    private readonly redis: Redis,
    private readonly partition: string,
  ) {}

  async publish(frame: EventFrame): Promise<void> {
    try {
      await this.redis.xadd(eventsKey(this.partition), `${frame.lastSeq}-0`, 'f', Buffer.from(encodeEventFrame(frame)));
    } catch (error) {
      // An id at or below the last one means this frame (or a later one) is already published.
      if (error instanceof Error && /equal or smaller/.test(error.message)) return;
      throw error;
    }
  }

  async lastPublishedSeq(): Promise<number> {
    const last = await this.redis.xrevrange(eventsKey(this.partition), '+', '-', 'COUNT', 1);
    const id = last[0]?.[0];
    return id === undefined ? 0 : Number(id.split('-')[0]);
  }
}

/** Reads event frames after a seq (for consumers: gateways, the settlement worker, tests). */
export async function readEventFrames(redis: Redis, partition: string, afterSeq: number, count: number, blockMs: number): Promise<EventFrame[]> {
  const reply = await redis.xreadBuffer('COUNT', count, 'BLOCK', blockMs, 'STREAMS', eventsKey(partition), `${afterSeq}-0`);
  if (reply === null) return [];
  const frames: EventFrame[] = [];
  for (const [, messages] of reply) {
    for (const [, fields] of messages) {
      const payload = fields[1];
      if (payload !== undefined) frames.push(decodeEventFrame(payload));
    }
  }
  return frames;
}

// ----- Hand-offs between partitions --------------------------------------------------------
// Each partition has a hand-off stream of its own, apart from the gateways' inbox: its leader
// journals only HandOff commands from it (and never a HandOff from the inbox). The source's
// forwarder appends with a script that also records, per source, the highest source seq in the
// stream, and appends nothing at or below it; so a hand-off handed on again after a failover is
// stored once, and the stream holds each source's hand-offs in source-seq order.

export function handOffsKey(partition: string): string {
  return `handoffs:{${partition}}`;
}

export function handOffMarksKey(partition: string): string {
  return `handoff-marks:{${partition}}`;
}

const APPEND_HAND_OFF = `
local mark = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= mark then return 0 end
redis.call('XADD', KEYS[1], '*', 'c', ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`;

/** Appends hand-offs to a destination partition's hand-off stream (durable once the script answers). */
export class RedisHandOffDestination implements HandOffDestination {
  constructor(
    private readonly redis: Redis,
    private readonly partition: string,
  ) {}

  async deliver(handOff: HandOff): Promise<void> {
    const payload = Buffer.from(encodeValue(handOff));
    await this.redis.eval(APPEND_HAND_OFF, 2, handOffsKey(this.partition), handOffMarksKey(this.partition), handOff.source, String(handOff.sourceSeq), payload);
  }

  async deliveredSeq(source: string): Promise<number> {
    return Number((await this.redis.hget(handOffMarksKey(this.partition), source)) ?? 0);
  }
}

/**
 * The hand-off stream a partition's leader reads; it trims what its journal already holds. Reads
 * block on `redis` (its own connection); trims go through `trimRedis` so they never wait behind one.
 */
export class RedisHandOffInbox implements CommandInbox {
  constructor(
    private readonly redis: Redis,
    private readonly partition: string,
    private readonly trimRedis: Redis = redis,
  ) {}

  async next(afterId: string | null, max: number, blockMs: number): Promise<InboxEntry[]> {
    const reply = await this.redis.xreadBuffer('COUNT', max, 'BLOCK', blockMs, 'STREAMS', handOffsKey(this.partition), afterId ?? '0-0');
    if (reply === null) return [];
    const entries: InboxEntry[] = [];
    for (const [, messages] of reply) {
      for (const [id, fields] of messages) {
        const payload = fields[1];
        if (payload !== undefined) entries.push({ id: id.toString(), command: decodeValue<Command>(payload), traceparent: null });
      }
    }
    return entries;
  }

  /** Drops the entries before `id` (a journaled frame holds them). */
  async trimBefore(id: string): Promise<void> {
    await this.trimRedis.xtrim(handOffsKey(this.partition), 'MINID', id);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
