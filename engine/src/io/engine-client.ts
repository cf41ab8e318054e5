// A client of a partition over Redis: it writes commands to the partition's inbox and answers
// each with the events the leader published for it once its frame was durable. Gateways use it;
// so do tests and benchmarks. Whichever instance leads, the inbox and the events stream are the
// same, so a failover is invisible here except as latency.

import type { Redis } from 'ioredis';
import type { Command, EngineEvent } from '@playchacha/protocol';
import type { EventFrame } from './frame-codec.js';
import { readEventFrames, sendToInbox } from './redis-streams.js';

/** A command's answer: the seq the journal gave it, its events and the partitions it handed off to. */
export interface Answer {
  readonly seq: number;
  readonly events: readonly EngineEvent[];
  /** The destinations of its hand-offs (partitioned engine only; empty otherwise), ascending. */
  readonly handedTo: readonly string[];
}

interface Waiter {
  resolve(answer: Answer): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const SEEN_KEPT = 50_000;

export class EngineClient {
  private readonly waiters = new Map<string, Waiter>();
  /** Answers that arrived before their sender registered (bounded, oldest dropped first). */
  private readonly seen = new Map<string, Answer>();
  private readonly frameListeners: Array<(frame: EventFrame) => void> = [];
  private afterSeq = 0;
  private running = false;

  /**
   * `writer` sends commands; `reader` is a connection of its own for blocking reads of the events
   * stream. Events are read from `afterSeq` (by default from the stream's end at start).
   */
  constructor(
    private readonly writer: Redis,
    private readonly reader: Redis,
    private readonly partition: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async start(afterSeq?: number): Promise<void> {
    if (afterSeq === undefined) {
      const last = await this.reader.xrevrange(`events:{${this.partition}}`, '+', '-', 'COUNT', 1);
      const id = last[0]?.[0];
      this.afterSeq = id === undefined ? 0 : Number(id.split('-')[0]);
    } else {
      this.afterSeq = afterSeq;
    }
    this.running = true;
    void this.readLoop();
  }

  onFrame(listener: (frame: EventFrame) => void): void {
    this.frameListeners.push(listener);
  }

  /** Sends a command; resolves with its events once durable, or rejects after the timeout. */
  async submit(command: Command, traceparent: string | null = null): Promise<readonly EngineEvent[]> {
    return (await this.submitForAnswer(command, traceparent)).events;
  }

  /**
   * Sends a command (with the traceparent of the request that sent it, if traced); resolves with
   * its seq and events once durable, or rejects after the timeout.
   */
  async submitForAnswer(command: Command, traceparent: string | null = null): Promise<Answer> {
    const id = await sendToInbox(this.writer, this.partition, command, traceparent);
    const early = this.seen.get(id);
    if (early !== undefined) {
      this.seen.delete(id);
      return early;
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`no answer for inbox entry ${id} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
    });
  }

  private async readLoop(): Promise<void> {
    while (this.running) {
      try {
        const frames = await readEventFrames(this.reader, this.partition, this.afterSeq, 256, 200);
        for (const frame of frames) {
          if (frame.lastSeq <= this.afterSeq) continue;
          this.afterSeq = frame.lastSeq;
          for (const listener of this.frameListeners) listener(frame);
          for (const entry of frame.entries) {
            if (entry.inboxId === null) continue;
            const answer: Answer = { seq: entry.seq, events: entry.events, handedTo: (entry.handOffs ?? []).map((handOff) => handOff.destination) };
            const waiter = this.waiters.get(entry.inboxId);
            if (waiter !== undefined) {
              clearTimeout(waiter.timer);
              this.waiters.delete(entry.inboxId);
              waiter.resolve(answer);
            } else {
              this.seen.set(entry.inboxId, answer);
              if (this.seen.size > SEEN_KEPT) this.seen.delete(this.seen.keys().next().value as string);
            }
          }
        }
      } catch (error) {
        if (!this.running) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
        void error;
      }
    }
  }

  async close(): Promise<void> {
    this.running = false;
    for (const [id, waiter] of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`client closed before an answer for ${id}`));
    }
    this.waiters.clear();
  }
}
