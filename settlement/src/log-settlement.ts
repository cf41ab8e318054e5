// The settlement worker of the embedded default: the same posting and the same exactly-once
// batches (applyBatch) as the Redis worker, fed from the engine's events log on disk in the same
// process instead of a Redis consumer group. It reads the frames after the ledger's cursor, applies
// them a batch at a time in one database transaction each, and trims the log behind what the
// ledger holds; a restart resumes from the cursor, and a frame applied twice is skipped by it.

import type { Logger } from 'pino';
import type { EventFrame } from '../../engine/src/io/frame-codec.js';
import { eventsKey } from '../../engine/src/io/redis-streams.js';
import { endWithError, type Tracer } from '../../engine/src/io/tracing.js';
import { startBatchSpan } from './batch-span.js';
import { isTransient, query, toMinor, type Db } from './db/database.js';
import { applyBatch, StreamGapError } from './ledger-store.js';

export interface EventLogSource {
  /** Up to `max` frames whose lastSeq is after `afterSeq`, in order. */
  read(afterSeq: number, max: number): Promise<EventFrame[]>;
  trimBefore(seq: number): Promise<void>;
}

export interface LogSettlementOptions {
  readonly sql: Db;
  readonly source: EventLogSource;
  readonly partition: string;
  readonly logger: Logger;
  /** Most frames in one database transaction. */
  readonly batchFramesMax?: number;
  /** How long to wait for new frames when caught up, unless woken earlier (ms). */
  readonly idleMs?: number;
  /** Trim the log after this many applied frames. */
  readonly trimEveryFrames?: number;
  /** A gap between the ledger and the log: events are missing and the ledger cannot go on. */
  readonly onFatal: (error: Error) => void;
  /** A span per batch, linked to the spans of the commands it posts; null or absent: none. */
  readonly tracer?: Tracer | null;
}

export class LogSettlement {
  private stopping = false;
  private running: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private appliedSinceTrim = 0;
  /** The ledger's cursor: every frame up to this seq is applied. */
  ledgerSeq = 0;

  constructor(private readonly options: LogSettlementOptions) {}

  get streamKey(): string {
    return eventsKey(this.options.partition);
  }

  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** New frames were published: stop waiting. */
  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running?.catch(() => undefined);
  }

  private async loop(): Promise<void> {
    const { logger, sql, source } = this.options;
    const [cursor] = await query(sql, 'SELECT last_seq FROM stream_cursors WHERE stream_key = $1', [this.streamKey]);
    this.ledgerSeq = cursor === undefined ? 0 : toMinor(cursor['last_seq']);
    logger.info({ stream: this.streamKey, ledgerSeq: this.ledgerSeq }, 'settlement running on the events log');
    let delayMs = 20;
    while (!this.stopping) {
      try {
        const frames = await source.read(this.ledgerSeq, this.options.batchFramesMax ?? 256);
        if (frames.length === 0) {
          await this.idle();
          continue;
        }
        const items = frames.map((frame) => ({ entryId: `${frame.lastSeq}-0`, frame }));
        const span = startBatchSpan(this.options.tracer ?? null, this.options.partition, frames);
        const result = await applyBatch(sql, items, { streamKey: this.streamKey, partition: this.options.partition }).catch((error: unknown) => {
          if (span !== null) endWithError(span, error);
          throw error;
        });
        span?.setAttribute('exch.transactions', result.transactions);
        span?.end();
        this.ledgerSeq = result.lastSeq;
        this.appliedSinceTrim += result.appliedEntryIds.length;
        if (this.appliedSinceTrim >= (this.options.trimEveryFrames ?? 10_000)) {
          this.appliedSinceTrim = 0;
          await source.trimBefore(this.ledgerSeq + 1);
        }
        delayMs = 20;
      } catch (error) {
        if (error instanceof StreamGapError) {
          logger.fatal({ err: error }, 'the events log does not continue the ledger: events are missing');
          this.options.onFatal(error);
          return;
        }
        logger.warn({ err: error, transient: isTransient(error), delayMs }, 'could not apply a batch; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, 1_000);
      }
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, this.options.idleMs ?? 200);
      this.wakeUp = done;
    });
  }
}
