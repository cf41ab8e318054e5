// The engine partition's events stream, read through a Redis consumer group: one entry per durable
// frame, id `<lastSeq>-0`, field `f` = the msgpack EventFrame. Delivery is at least once: an entry
// stays pending until it is acknowledged, and a restarted consumer claims what was pending.

import type { EngineEvent } from '@playchacha/protocol';
import type { Redis } from 'ioredis';
import { decodeEventFrame, type EventFrame } from '../../../engine/src/io/frame-codec.js';
import { eventsKey } from '../../../engine/src/io/redis-streams.js';

export interface StreamItem {
  readonly entryId: string;
  readonly frame: EventFrame;
  /** The frame's events as published, when the stream dropped some on reading (see keptTypes). */
  readonly eventsPublished?: number;
}

export class EventStream {
  readonly key: string;

  constructor(
    private readonly redis: Redis,
    partition: string,
    readonly group: string,
    readonly consumer: string,
    /**
     * The event types kept (absent: all). The others are dropped from each frame as soon as it is
     * decoded, so that a batch keeps only what it needs while it is applied.
     */
    private readonly keptTypes?: ReadonlySet<EngineEvent['type']>,
  ) {
    this.key = eventsKey(partition);
  }

  /** Creates the group at the start of the stream (and the stream if need be); idempotent. */
  async ensureGroup(): Promise<void> {
    try {
      await this.redis.call('XGROUP', 'CREATE', this.key, this.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
  }

  /** New entries for this consumer, waiting up to blockMs for the first (null: not waiting). */
  async readNew(count: number, blockMs: number | null): Promise<StreamItem[]> {
    const block = blockMs === null ? [] : ['BLOCK', blockMs];
    const reply = await this.redis.callBuffer(
      'XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', count, ...block, 'STREAMS', this.key, '>',
    );
    return streamsOf(reply).flatMap(([, entries]) => parseEntries(entries, this.keptTypes));
  }

  /**
   * Claims up to `count` entries pending (delivered, never acknowledged) for at least minIdleMs,
   * from any consumer of the group, starting at `start`. Returns them and where to continue
   * ('0-0' when the whole pending list was scanned).
   */
  async claimPending(minIdleMs: number, start: string, count: number): Promise<{ items: StreamItem[]; next: string }> {
    const reply = (await this.redis.callBuffer(
      'XAUTOCLAIM', this.key, this.group, this.consumer, minIdleMs, start, 'COUNT', count,
    )) as [Buffer, Array<[Buffer, Buffer[] | null]>, ...unknown[]];
    return { next: reply[0].toString(), items: parseEntries(reply[1], this.keptTypes) };
  }

  async ack(entryIds: readonly string[]): Promise<void> {
    if (entryIds.length === 0) return;
    await this.redis.xack(this.key, this.group, ...entryIds);
  }

  /** How many entries the group has delivered and not yet seen acknowledged. */
  async pendingCount(): Promise<number> {
    const reply = (await this.redis.call('XPENDING', this.key, this.group)) as [number, ...unknown[]];
    return Number(reply[0]);
  }
}

type RawEntries = Array<[Buffer, Buffer[] | null]>;

/** XREADGROUP's reply: an array of [stream, entries] (RESP2) or a map of them (RESP3, flattened). */
function streamsOf(reply: unknown): Array<[Buffer, RawEntries]> {
  if (reply === null || reply === undefined) return [];
  if (reply instanceof Map) return [...(reply as Map<Buffer, RawEntries>).entries()];
  const array = reply as unknown[];
  if (array.length > 0 && Buffer.isBuffer(array[0])) {
    const pairs: Array<[Buffer, RawEntries]> = [];
    for (let i = 0; i + 1 < array.length; i += 2) pairs.push([array[i] as Buffer, array[i + 1] as RawEntries]);
    return pairs;
  }
  return array as Array<[Buffer, RawEntries]>;
}

function parseEntries(entries: Array<[Buffer, Buffer[] | null]>, keptTypes: ReadonlySet<EngineEvent['type']> | undefined): StreamItem[] {
  const items: StreamItem[] = [];
  for (const [id, fields] of entries) {
    // A deleted entry still pending comes back with no fields; there is nothing to apply.
    if (fields === null) continue;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if ((fields[i] as Buffer).toString() === 'f') {
        const frame = decodeEventFrame(fields[i + 1] as Buffer);
        if (keptTypes === undefined) items.push({ entryId: id.toString(), frame });
        else items.push({ entryId: id.toString(), frame, eventsPublished: keepEvents(frame, keptTypes) });
      }
    }
  }
  return items;
}

/** Drops, in place, the events of a freshly decoded frame whose types are not kept; returns how many it had. */
function keepEvents(frame: EventFrame, keptTypes: ReadonlySet<EngineEvent['type']>): number {
  let published = 0;
  for (const entry of frame.entries) {
    // The frame was just decoded and nothing else refers to it: its arrays may be changed.
    const events = entry.events as EngineEvent[];
    published += events.length;
    let kept = 0;
    for (const event of events) if (keptTypes.has(event.type)) events[kept++] = event;
    events.length = kept;
  }
  return published;
}
