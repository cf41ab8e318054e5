// The settlement worker: reads one engine partition's events stream through a consumer group and
// applies it to the ledger exactly once in effect (over a partitioned engine, one worker per
// partition's stream, all into the same ledger).
//
// At-least-once delivery: XREADGROUP delivers an entry and keeps it pending until XACK. The entry
// is acknowledged only after the database transaction that applied it committed. A crash before
// COMMIT leaves nothing in the ledger and the entry pending; a crash between COMMIT and XACK
// leaves the entry pending although applied. On start the worker claims every pending entry
// (XAUTOCLAIM) and applies them again: the ledger's cursor and the unique applied-entry ids make a
// redelivered entry a no-op that is then acknowledged. Transient database failures (a restart,
// a dropped connection, serialization failures, deadlocks) retry the same batch; since the cursor
// decides, a COMMIT whose reply was lost is recognised on the retry.

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Tracer } from '../../engine/src/io/tracing.js';
import { endWithError } from '../../engine/src/io/tracing.js';
import { startBatchSpan } from './batch-span.js';
import { isTransient, type Db } from './db/database.js';
import { EventStream, type StreamItem } from './io/event-stream.js';
import { applyBatch, StreamGapError, type BatchResult } from './ledger-store.js';
import { POSTED_EVENT_TYPES } from './posting/posting-rules.js';
import type { SettlementMetrics } from './settlement-metrics.js';

export interface WorkerFaults {
  /** Sleep inside the database transaction, after all writes, before COMMIT. */
  readonly pauseBeforeCommitMs?: number;
  /** Sleep after COMMIT, before XACK. */
  readonly pauseAfterCommitMs?: number;
}

export interface WorkerOptions {
  readonly sql: Db;
  readonly redis: Redis;
  readonly partition: string;
  readonly logger: Logger;
  readonly group?: string;
  readonly consumer?: string;
  /** Most stream entries (frames) applied in one database transaction. */
  readonly batchEntriesMax?: number;
  readonly blockMs?: number;
  /** Entries pending this long for another consumer are claimed while running. */
  readonly claimIdleMs?: number;
  readonly claimEveryMs?: number;
  readonly faults?: WorkerFaults;
  /** Called after each committed and acknowledged batch. */
  readonly onBatch?: (result: BatchResult) => void;
  readonly metrics?: SettlementMetrics;
  /** A span per batch, linked to the spans of the commands it posts; null or absent: none. */
  readonly tracer?: Tracer | null;
  /** The partition's role in a partitioned engine (absent: a whole engine); see ApplyOptions. */
  readonly role?: 'risk' | 'matching';
}

const RETRY_DELAY_MS_MAX = 1_000;

export class SettlementWorker {
  readonly stream: EventStream;
  private stopping = false;
  private running: Promise<void> | null = null;
  private lastClaimAtMs = 0;
  appliedEntries = 0;
  /** True while the worker reads the stream (its group exists and what was pending at the start is applied). */
  consuming = false;

  constructor(private readonly options: WorkerOptions) {
    this.stream = new EventStream(options.redis, options.partition, options.group ?? 'settlement', options.consumer ?? 'settlement-1', POSTED_EVENT_TYPES);
  }

  /** Runs until stop(); rejects on a failure that retrying cannot fix (the process should exit). */
  run(): Promise<void> {
    this.running ??= this.loop().then(
      () => {
        this.consuming = false;
      },
      (error: unknown) => {
        this.consuming = false;
        this.options.metrics?.errors.inc({ kind: 'fatal' });
        throw error;
      },
    );
    return this.running;
  }

  /** Finishes the batch in hand, then returns; unacknowledged entries stay pending for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  private async loop(): Promise<void> {
    const { logger } = this.options;
    await this.untilDone('create the consumer group', () => this.stream.ensureGroup());
    await this.claimAll(0);
    this.consuming = !this.stopping;
    logger.info({ stream: this.stream.key, group: this.stream.group, consumer: this.stream.consumer }, 'settlement worker running');
    // The next batch is read (and its frames decoded) while the database applies this one; it is
    // read without waiting, so that it never holds the connection the acknowledgements use.
    let next: Promise<StreamItem[] | undefined> | null = null;
    while (!this.stopping) {
      if (Date.now() - this.lastClaimAtMs >= (this.options.claimEveryMs ?? 10_000)) {
        await this.claimAll(this.options.claimIdleMs ?? 30_000);
      }
      const items = await (next ??
        this.untilDone('read the events stream', () => this.stream.readNew(this.options.batchEntriesMax ?? 64, this.options.blockMs ?? 1_000)));
      next = null;
      if (items === undefined || items.length === 0) continue;
      next = this.untilDone('read the events stream', () => this.stream.readNew(this.options.batchEntriesMax ?? 64, null));
      next.catch(() => undefined);
      await this.process(items, true);
    }
    // Entries read ahead and not applied stay pending: the next start claims them.
    await next?.catch(() => undefined);
    logger.info({ appliedEntries: this.appliedEntries }, 'settlement worker stopped');
  }

  /** Claims and applies, in stream order, every entry pending for at least minIdleMs. */
  private async claimAll(minIdleMs: number): Promise<void> {
    this.lastClaimAtMs = Date.now();
    let start = '0-0';
    do {
      const page = await this.untilDone('claim pending entries', () =>
        this.stream.claimPending(minIdleMs, start, this.options.batchEntriesMax ?? 64),
      );
      if (page === undefined) return;
      if (page.items.length > 0) {
        this.options.logger.info({ entries: page.items.length, from: page.items[0]?.entryId }, 'claimed pending entries');
        await this.process(page.items, false);
      }
      start = page.next;
    } while (start !== '0-0' && !this.stopping);
  }

  private async process(items: readonly StreamItem[], mayRecoverGap: boolean): Promise<void> {
    const { faults, logger, partition, metrics } = this.options;
    const stopTimer = metrics?.batchSeconds.startTimer();
    const span = startBatchSpan(this.options.tracer ?? null, partition, items.map((item) => item.frame));
    let result: BatchResult | undefined;
    try {
      result = await this.untilDone('apply a batch', () =>
        applyBatch(this.options.sql, items, {
          streamKey: this.stream.key,
          partition,
          ...(this.options.role === undefined ? {} : { role: this.options.role }),
          ...(faults?.pauseBeforeCommitMs === undefined
            ? {}
            : {
                beforeCommit: async () => {
                  logger.warn({ entries: items.map((i) => i.entryId) }, 'fault: pausing before commit');
                  await sleep(faults.pauseBeforeCommitMs ?? 0);
                },
              }),
        }),
      );
    } catch (error) {
      if (span !== null) endWithError(span, error);
      // Entries pending elsewhere may come before these: claim everything pending, in order, once.
      if (error instanceof StreamGapError && mayRecoverGap) {
        metrics?.errors.inc({ kind: 'gap' });
        logger.warn({ err: error }, 'gap before the entries read; claiming every pending entry');
        await this.claimAll(0);
        return;
      }
      throw error;
    }
    if (result === undefined) {
      span?.end();
      return;
    }
    if (faults?.pauseAfterCommitMs !== undefined && result.appliedEntryIds.length > 0) {
      logger.warn({ entries: result.appliedEntryIds, lastSeq: result.lastSeq }, 'fault: committed, pausing before ack');
      await sleep(faults.pauseAfterCommitMs);
    }
    const ids = [...result.appliedEntryIds, ...result.skippedEntryIds];
    await this.untilDone('acknowledge entries', () => this.stream.ack(ids));
    this.appliedEntries += result.appliedEntryIds.length;
    if (result.skippedEntryIds.length > 0) logger.info({ entries: result.skippedEntryIds }, 'skipped entries already applied');
    if (metrics !== undefined) {
      const applied = new Set(result.appliedEntryIds);
      let events = 0;
      for (const item of items) {
        if (!applied.has(item.entryId)) continue;
        if (item.eventsPublished !== undefined) events += item.eventsPublished;
        else for (const entry of item.frame.entries) events += entry.events.length;
      }
      metrics.batches.inc();
      metrics.entriesApplied.inc(result.appliedEntryIds.length);
      metrics.entriesSkipped.inc(result.skippedEntryIds.length);
      metrics.eventsApplied.inc(events);
      metrics.ledgerSeq.set(result.lastSeq);
      stopTimer?.();
    }
    span?.setAttribute('exch.transactions', result.transactions);
    span?.end();
    this.options.onBatch?.(result);
  }

  /**
   * Runs `attempt` until it succeeds, retrying transient database failures and any Redis failure
   * with a growing delay. Returns undefined when asked to stop while retrying.
   */
  private async untilDone<T>(what: string, attempt: () => Promise<T>): Promise<T | undefined> {
    let delayMs = 20;
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        if (!isTransient(error) && !isRedisError(error)) throw error;
        if (this.stopping) return undefined;
        this.options.metrics?.retries.inc({ operation: what });
        this.options.logger.warn({ err: error, delayMs }, `could not ${what}; retrying`);
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, RETRY_DELAY_MS_MAX);
      }
    }
  }
}

function isRedisError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'MaxRetriesPerRequestError' || /Connection is closed|ECONNREFUSED|ECONNRESET|Stream isn't writeable/.test(error.message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
