// Encoding of what the journal and the event stream carry. msgpackr is used for these internal
// formats because frames are decoded at replay speed (millions of commands a second); the public
// WebSocket wire uses @msgpack/msgpack in the gateway.

import { Packr } from 'msgpackr';
import type { CommandEnvelope, EngineEvent } from '@playchacha/protocol';
import type { OutgoingHandOff } from '../core/stage-messages.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/**
 * Journal frame bodies and event frames are written with msgpackr records: each object shape (an
 * envelope, a PlaceOrder, an OrderMatched, ...) is defined once per frame and its objects carry
 * only their values, so a frame is about a third of the size and decodes several times faster. The
 * definitions travel inside each frame (no shared structures), and the same unpacker reads frames
 * written before, as plain maps.
 */
const framePackr = new Packr({ useRecords: true, mapsAsObjects: true });

/** Packr returns a view of a buffer it reuses; every encoding that outlives the call is copied. */
function pack(value: unknown): Uint8Array {
  return new Uint8Array(packr.pack(value));
}

/** The body of one journal frame: the envelopes and, for each, the inbox entry it came from. */
export interface FrameBody {
  readonly envelopes: readonly CommandEnvelope[];
  /** Inbox ids parallel to envelopes; null for commands the engine made itself (Clock). */
  readonly inboxIds: ReadonlyArray<string | null>;
  /**
   * W3C traceparents parallel to envelopes (null for a command sent without one); absent when no
   * command of the frame had one, and in frames written before tracing. Never given to the core.
   */
  readonly traceparents?: ReadonlyArray<string | null>;
}

/** What the leader publishes after a frame is durable: the events of each of its commands. */
export interface EventFrame {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly entries: ReadonlyArray<{
    readonly seq: number;
    readonly inboxId: string | null;
    readonly events: readonly EngineEvent[];
    /** What the command handed to other partitions (partitioned engine only; absent when nothing). */
    readonly handOffs?: readonly OutgoingHandOff[];
  }>;
  /** The traceparents of the entries' commands, parallel to entries, as in FrameBody. */
  readonly traceparents?: ReadonlyArray<string | null>;
}

export function encodeFrameBody(body: FrameBody): Uint8Array {
  return new Uint8Array(framePackr.pack(body));
}

export function decodeFrameBody(payload: Uint8Array): FrameBody {
  return framePackr.unpack(payload) as FrameBody;
}

export function encodeEventFrame(frame: EventFrame): Uint8Array {
  return new Uint8Array(framePackr.pack(frame));
}

export function decodeEventFrame(payload: Uint8Array): EventFrame {
  return framePackr.unpack(payload) as EventFrame;
}

export function encodeValue(value: unknown): Uint8Array {
  return pack(value);
}

export function decodeValue<T>(payload: Uint8Array): T {
  return packr.unpack(payload) as T;
}
