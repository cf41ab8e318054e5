// One engine partition: the single writer that sequences commands into the journal and applies
// them to the core. Every instance starts as a standby that restores the latest snapshot, replays
// the journal and keeps tailing it; the instance that acquires the partition's lease becomes the
// leader. The leader group-commits: all commands of one event-loop turn are applied, journaled as
// one frame, and only once that frame is durable are their events published and their callers
// answered. A leader whose append is fenced, or whose lease is lost, halts: it holds state the
// journal may not, and only a restart (snapshot + replay) may rebuild it.

import type { Logger } from 'pino';
import { assert, type Command, type CommandEnvelope, type EngineEvent } from '@playchacha/protocol';
import { ExchangeCore } from '../core/index.js';
import type { PartitionApplied } from '../core/risk-partition-core.js';
import type { HandOff } from '../core/stage-messages.js';
import { decodeFrameBody, decodeValue, encodeEventFrame, encodeFrameBody, encodeValue, type EventFrame } from './frame-codec.js';
import { FencedError, JournalCorruptError, type Journal, type JournalFrame, type Leadership } from './journal.js';
import type { EngineMetrics } from './metrics.js';
import { contextOf, SpanKind, type Tracer } from './tracing.js';

export interface SnapshotStore {
  save(seq: number, data: Uint8Array): Promise<void>;
  /** The newest snapshot, or null. */
  latest(): Promise<{ seq: number; data: Uint8Array } | null>;
  /** The seq of the oldest snapshot still kept (journal frames before it may be trimmed), or null. */
  oldestKeptSeq(): Promise<number | null>;
}

/**
 * Where the leader publishes each durable frame's events (ids are the frames' lastSeq). With a
 * journal that publishes events in its append, only frames an earlier leader left unpublished go here.
 */
export interface EventSink {
  publish(frame: EventFrame): Promise<void>;
  lastPublishedSeq(): Promise<number>;
}

/** One command in the inbox, with the traceparent of the request that sent it (or null). */
export interface InboxEntry {
  readonly id: string;
  readonly command: Command;
  readonly traceparent: string | null;
}

/** Where commands from gateways arrive, in order, each with an id the journal records. */
export interface CommandInbox {
  /** Entries after `afterId` (all when null), waiting up to blockMs for the first. */
  next(afterId: string | null, max: number, blockMs: number): Promise<InboxEntry[]>;
  close(): Promise<void>;
}

export interface HandOffInbox extends CommandInbox {
  /** Drops the entries before `id`. */
  trimBefore(id: string): Promise<void>;
}

export type PartitionRole = 'starting' | 'standby' | 'leader' | 'halted' | 'stopped';

/**
 * What a partition runs: ExchangeCore (both stages, the single-partition engine) or a risk or
 * matching partition core. A partition core's apply also returns the hand-offs for other partitions.
 */
export interface PartitionCore {
  readonly lastAppliedSeq: number;
  apply(envelope: CommandEnvelope): readonly EngineEvent[] | PartitionApplied;
  snapshot(): { readonly lastTimestampMs: number };
  nextReleaseAtMs(): number | null;
}

/**
 * Takes the hand-offs of every frame the partition applies (replayed, tailed or led) and delivers
 * them to the partitions they are for; see hand-off-forwarder.ts.
 */
export interface HandOffOutbox {
  take(frame: EventFrame): void;
  /** Delivery runs only while this instance leads. */
  setActive(active: boolean): void;
  /** Every hand-off of the frames up to `seq` is durable at its destination. */
  deliveredThrough(seq: number): boolean;
}

export interface PartitionOptions<C extends PartitionCore = ExchangeCore> {
  readonly partition: string;
  /** The core to run; absent: ExchangeCore. */
  readonly createCore?: () => C;
  readonly restoreCore?: (snapshot: unknown) => C;
  /** Where the hand-offs of a partition core go (required when its core makes any). */
  readonly outbox?: HandOffOutbox;
  readonly journal: Journal;
  readonly leadership: Leadership;
  readonly snapshots: SnapshotStore;
  /** Commands from gateways; a HandOff found there is never journaled. */
  readonly inbox?: CommandInbox;
  /**
   * Hand-offs from other partitions (a partition core's own stream): only HandOff commands are
   * journaled from it, and it is trimmed behind each durable frame that took from it.
   */
  readonly handOffInbox?: HandOffInbox;
  readonly sink?: EventSink;
  readonly logger: Logger;
  readonly metrics?: EngineMetrics;
  readonly snapshotEveryCommands?: number;
  readonly snapshotEveryMs?: number;
  /** How often a standby polls the journal and tries for the lease. */
  readonly standbyPollMs?: number;
  /**
   * A read-only replica: it restores and tails the journal like a standby but never tries for
   * the lease (gateways follow a partition's state this way).
   */
  readonly follower?: boolean;
  /** Most commands in one frame. */
  readonly frameCommandsMax?: number;
  /** Called once when the partition halts (the process should exit). */
  readonly onHalt?: (reason: string) => void;
  readonly now?: () => number;
  /** The leader makes a span per command that arrived with a traceparent; null or absent: none. */
  readonly tracer?: Tracer | null;
}

interface Pending {
  readonly command: Command | HandOff;
  readonly inboxId: string | null;
  /** The hand-off stream id it came from, or null. */
  readonly handOffId?: string;
  readonly traceparent: string | null;
  readonly resolve: ((events: readonly EngineEvent[]) => void) | null;
  readonly reject: ((error: Error) => void) | null;
}

/** Thrown to callers of submit when this instance is not the leader (or halted). */
export class NotLeaderError extends Error {
  override name = 'NotLeaderError';
}

const RECENT_FRAMES_KEPT = 64;
/** Frames per journal read while catching up (a restore reads the whole journal this way). */
const CATCH_UP_READ_FRAMES = 256;

export class EnginePartition<C extends PartitionCore = ExchangeCore> {
  core: C;
  role: PartitionRole = 'starting';
  /** Commands in the journal this instance has not applied yet (as of its last poll; 0 while it leads). */
  journalLagCommands = 0;
  epoch = 0;
  private lastInboxId: string | null = null;
  private pending: Pending[] = [];
  private writing = false;
  /** The publishing of the newest durable frame's events (each frame's waits for the one before). */
  private published: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  private commandsSinceSnapshot = 0;
  private lastSnapshotAtMs = 0;
  private lastSnapshotSeq = 0;
  private readonly recent: EventFrame[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private clockTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly listeners: Array<(frame: EventFrame) => void> = [];
  private readonly resetListeners: Array<(seq: number) => void> = [];
  private readonly now: () => number;
  private lastTimestampMs = 0;

  constructor(private readonly options: PartitionOptions<C>) {
    this.now = options.now ?? Date.now;
    this.core = this.newCore();
  }

  private newCore(): C {
    return this.options.createCore?.() ?? (new ExchangeCore() as unknown as C);
  }

  private restoredCore(snapshot: unknown): C {
    if (this.options.restoreCore !== undefined) return this.options.restoreCore(snapshot);
    return ExchangeCore.fromSnapshot(snapshot as Parameters<typeof ExchangeCore.fromSnapshot>[0]) as unknown as C;
  }

  /** Applies one envelope; a partition core's hand-offs go into the entry beside its events. */
  private applyEnvelope(envelope: CommandEnvelope, inboxId: string | null): { seq: number; inboxId: string | null; events: readonly EngineEvent[]; handOffs?: PartitionApplied['handOffs'] } {
    const result = this.core.apply(envelope);
    if (isEventList(result)) return { seq: envelope.seq, inboxId, events: result };
    if (result.handOffs.length === 0) return { seq: envelope.seq, inboxId, events: result.events };
    assert(this.options.outbox !== undefined, 'a partition core that hands off has an outbox');
    return { seq: envelope.seq, inboxId, events: result.events, handOffs: result.handOffs };
  }

  get appliedSeq(): number {
    return this.core.lastAppliedSeq;
  }

  /** Listens to every durable frame's events (on the leader, and on a standby as it replays). */
  onFrame(listener: (frame: EventFrame) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Called when a standby that fell behind the trimmed journal jumps to the newest snapshot: the
   * frames in between were not delivered, so whoever follows must re-read the state.
   */
  onReset(listener: (seq: number) => void): void {
    this.resetListeners.push(listener);
  }

  /** Restores from the newest snapshot and the journal, then runs as a standby until it leads. */
  async start(): Promise<void> {
    await this.restore();
    this.role = 'standby';
    this.options.metrics?.leader.set(0);
    this.options.logger.info({ partition: this.options.partition, seq: this.appliedSeq }, 'standby');
    void this.standbyLoop();
  }

  /**
   * Submits a command (leader only); resolves with its events once its frame is durable. The
   * traceparent of the request that sent it travels with it through the journal and the events.
   */
  submit(command: Command | HandOff, traceparent: string | null = null): Promise<readonly EngineEvent[]> {
    if (this.role !== 'leader') return Promise.reject(new NotLeaderError(`partition ${this.options.partition} is ${this.role}`));
    return new Promise((resolve, reject) => {
      this.pending.push({ command, inboxId: null, traceparent, resolve, reject });
      this.scheduleFlush();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const wasLeader = this.role === 'leader';
    if (this.role !== 'halted') this.role = 'stopped';
    this.options.outbox?.setActive(false);
    this.options.metrics?.leader.set(0);
    for (const timer of this.timers) clearInterval(timer);
    if (this.clockTimer !== null) clearTimeout(this.clockTimer);
    for (const item of this.pending.splice(0)) item.reject?.(new NotLeaderError('the partition stopped'));
    while (this.writing) await sleep(5);
    await this.published;
    if (wasLeader) await this.options.leadership.release(this.epoch).catch(() => undefined);
    await this.options.inbox?.close();
    await this.options.handOffInbox?.close();
  }

  // ----- Restore and standby --------------------------------------------------------------

  private async restore(): Promise<void> {
    const { journal, snapshots, logger } = this.options;
    const snapshot = await snapshots.latest();
    if (snapshot !== null) {
      const data = decodeValue<{ core: { lastTimestampMs: number }; lastInboxId: string | null }>(snapshot.data);
      this.core = this.restoredCore(data.core);
      this.lastInboxId = data.lastInboxId;
      this.lastSnapshotSeq = snapshot.seq;
      this.lastTimestampMs = data.core.lastTimestampMs;
      assert(this.core.lastAppliedSeq === snapshot.seq, 'a snapshot is taken at its own seq');
    }
    const journalLast = await journal.lastSeq();
    const journalFirst = await journal.firstSeq();
    if (journalLast < this.appliedSeq) {
      this.halt(`journal ends at seq ${journalLast}, behind the snapshot at seq ${this.appliedSeq}: refusing to start`);
      throw new JournalCorruptError(`journal ends at ${journalLast}, behind the snapshot at ${this.appliedSeq}`);
    }
    if (journalLast > this.appliedSeq && journalFirst > this.appliedSeq + 1) {
      this.halt(`journal starts at seq ${journalFirst}, after the snapshot at seq ${this.appliedSeq}: a gap`);
      throw new JournalCorruptError(`journal starts at ${journalFirst}; snapshot at ${this.appliedSeq}`);
    }
    const startedAt = this.now();
    const replayed = await this.catchUp();
    logger.info({ partition: this.options.partition, snapshotSeq: snapshot?.seq ?? 0, replayed, ms: this.now() - startedAt }, 'restored');
  }

  /**
   * Applies every journal frame after the applied seq; returns how many commands it applied. The
   * next batch is read while the current one is applied, so the journal's server works meanwhile.
   */
  private async catchUp(): Promise<number> {
    const read = (fromSeq: number): Promise<JournalFrame[]> => {
      const reading = this.options.journal.read(fromSeq, CATCH_UP_READ_FRAMES);
      // A read left behind when applying throws is never awaited.
      reading.catch(() => undefined);
      return reading;
    };
    let applied = 0;
    let next = read(this.appliedSeq + 1);
    for (;;) {
      const frames = await next;
      if (frames.length === 0) return applied;
      const first = frames[0] as JournalFrame;
      if (first.firstSeq > this.appliedSeq + 1 && this.role === 'standby' && (await this.jumpToSnapshot(first.firstSeq))) {
        next = read(this.appliedSeq + 1);
        continue;
      }
      next = read((frames.at(-1) as JournalFrame).lastSeq + 1);
      // While restoring, no listener sees a frame and only the last RECENT_FRAMES_KEPT frames stay
      // remembered: a frame's events are dropped as soon as it is applied when that many frames
      // follow it, in this batch or in the next one (read meanwhile).
      const restoring = this.role === 'starting' && this.options.outbox === undefined;
      const tail = Math.max(0, frames.length - RECENT_FRAMES_KEPT);
      let eventsKeptFrom = restoring ? tail : 0;
      for (let i = 0; i < frames.length; i++) {
        if (restoring && i === tail && (await next).length >= RECENT_FRAMES_KEPT) eventsKeptFrom = frames.length;
        applied += this.applyJournaled(frames[i] as JournalFrame, i >= eventsKeptFrom);
      }
    }
  }

  /**
   * A running standby (or replica) that fell behind the journal's trim: the frames it still needs
   * are gone, but the newest snapshot covers them. Loads it when it reaches the journal's first
   * frame; false otherwise (the caller then halts on the gap).
   */
  private async jumpToSnapshot(journalFirstSeq: number): Promise<boolean> {
    const snapshot = await this.options.snapshots.latest();
    if (snapshot === null || snapshot.seq < journalFirstSeq - 1 || snapshot.seq <= this.appliedSeq) return false;
    const data = decodeValue<{ core: { lastTimestampMs: number }; lastInboxId: string | null }>(snapshot.data);
    const behindSeq = this.appliedSeq;
    this.core = this.restoredCore(data.core);
    this.lastInboxId = data.lastInboxId;
    this.lastSnapshotSeq = snapshot.seq;
    this.lastTimestampMs = Math.max(this.lastTimestampMs, data.core.lastTimestampMs);
    this.recent.length = 0;
    this.options.logger.warn({ partition: this.options.partition, behindSeq, snapshotSeq: snapshot.seq }, 'standby fell behind the trimmed journal; loaded the newest snapshot');
    for (const listener of this.resetListeners) listener(snapshot.seq);
    return true;
  }

  /** Applies a journal frame; `eventsKept` false: nothing will read its events (see catchUp). */
  private applyJournaled(frame: JournalFrame, eventsKept = true): number {
    if (frame.lastSeq <= this.appliedSeq) return 0;
    if (frame.firstSeq !== this.appliedSeq + 1) {
      const reason = `journal gap: frame ${frame.firstSeq}..${frame.lastSeq} after applied seq ${this.appliedSeq}`;
      this.halt(reason);
      throw new JournalCorruptError(reason);
    }
    const body = decodeFrameBody(frame.payload);
    if (!eventsKept) {
      const { envelopes, inboxIds } = body;
      for (let i = 0; i < envelopes.length; i++) {
        const inboxId = inboxIds[i] ?? null;
        this.applyEnvelope(envelopes[i] as CommandEnvelope, inboxId);
        if (inboxId !== null) this.lastInboxId = inboxId;
      }
      this.lastTimestampMs = Math.max(this.lastTimestampMs, envelopes.at(-1)?.timestampMs ?? 0);
      return envelopes.length;
    }
    const entries: Array<EventFrame['entries'][number]> = [];
    body.envelopes.forEach((envelope, index) => {
      const inboxId = body.inboxIds[index] ?? null;
      entries.push(this.applyEnvelope(envelope, inboxId));
      if (inboxId !== null) this.lastInboxId = inboxId;
    });
    this.lastTimestampMs = Math.max(this.lastTimestampMs, body.envelopes.at(-1)?.timestampMs ?? 0);
    const eventFrame: EventFrame =
      body.traceparents === undefined
        ? { firstSeq: frame.firstSeq, lastSeq: frame.lastSeq, entries }
        : { firstSeq: frame.firstSeq, lastSeq: frame.lastSeq, entries, traceparents: body.traceparents };
    this.remember(eventFrame);
    // Hand-offs of every journaled frame, replayed ones included: the destinations drop repeats.
    this.options.outbox?.take(eventFrame);
    // Frames replayed while restoring are the starting state; after it, listeners see every frame.
    if (this.role !== 'starting') for (const listener of this.listeners) listener(eventFrame);
    return body.envelopes.length;
  }

  private remember(frame: EventFrame): void {
    this.recent.push(frame);
    if (this.recent.length > RECENT_FRAMES_KEPT) this.recent.shift();
  }

  private async standbyLoop(): Promise<void> {
    const pollMs = this.options.standbyPollMs ?? 50;
    while (!this.stopped && this.role === 'standby') {
      try {
        await this.catchUp();
        this.journalLagCommands = Math.max(0, (await this.options.journal.lastSeq()) - this.appliedSeq);
        this.options.metrics?.journalLagCommands.set(this.journalLagCommands);
        if (this.stopped) return;
        if (this.options.follower === true) {
          await sleep(pollMs);
          continue;
        }
        const epoch = await this.options.leadership.acquire();
        if (epoch !== null) {
          if (this.stopped) {
            await this.options.leadership.release(epoch);
            return;
          }
          await this.becomeLeader(epoch);
          return;
        }
      } catch (error) {
        if ((this.role as PartitionRole) === 'halted') return;
        this.options.logger.warn({ err: error, partition: this.options.partition }, 'standby poll failed; retrying');
      }
      await sleep(pollMs);
    }
  }

  private async becomeLeader(epoch: number): Promise<void> {
    assert(!this.stopped && this.role === 'standby', 'only a running standby becomes leader');
    const { logger, partition } = { logger: this.options.logger, partition: this.options.partition };
    this.epoch = epoch;
    // The old leader can no longer append, so the journal's tail is final: apply all of it.
    await this.catchUp();
    await this.republishMissing();
    this.role = 'leader';
    this.options.outbox?.setActive(true);
    this.options.metrics?.leader.set(1);
    this.journalLagCommands = 0;
    this.options.metrics?.journalLagCommands.set(0);
    this.lastSnapshotAtMs = this.now();
    logger.info({ partition, epoch, seq: this.appliedSeq }, 'leader');
    const leaseMs = this.options.leadership.leaseMs;
    this.timers.push(setInterval(() => void this.renewLease(), Math.max(10, Math.floor(leaseMs / 3))));
    const snapshotEveryMs = this.options.snapshotEveryMs ?? 60_000;
    this.timers.push(setInterval(() => void this.maybeSnapshot(true), Math.max(100, Math.floor(snapshotEveryMs / 4))));
    if (this.options.inbox !== undefined) void this.inboxLoop(this.options.inbox);
    if (this.options.handOffInbox !== undefined) void this.handOffLoop(this.options.handOffInbox);
    this.scheduleClock();
  }

  private async republishMissing(): Promise<void> {
    const sink = this.options.sink;
    if (sink === undefined) return;
    const published = await sink.lastPublishedSeq();
    for (const frame of this.recent) if (frame.lastSeq > published) await sink.publish(frame);
  }

  private async renewLease(): Promise<void> {
    if (this.role !== 'leader') return;
    try {
      const held = await this.options.leadership.renew(this.epoch);
      if (!held) this.halt(`lease lost at epoch ${this.epoch}`);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'lease renewal failed');
    }
  }

  // ----- Leader: group commit -------------------------------------------------------------

  private async inboxLoop(inbox: CommandInbox): Promise<void> {
    while (!this.stopped && this.role === 'leader') {
      try {
        // Do not read further ahead than one frame's worth of unjournaled commands.
        if (this.pending.length >= (this.options.frameCommandsMax ?? 4096)) {
          await sleep(1);
          continue;
        }
        const after = this.lastQueuedInboxId ?? this.lastInboxId;
        const entries = await inbox.next(after, 1024, 50);
        if (this.role !== 'leader') return;
        for (const entry of entries) {
          this.lastQueuedInboxId = entry.id;
          if (isHandOff(entry.command)) {
            this.options.logger.warn({ partition: this.options.partition, inboxId: entry.id }, 'a HandOff in the gateway inbox; dropped');
            continue;
          }
          this.pending.push({ command: entry.command, inboxId: entry.id, traceparent: entry.traceparent, resolve: null, reject: null });
        }
        if (entries.length > 0) this.scheduleFlush();
      } catch (error) {
        if (this.stopped) return;
        this.options.logger.warn({ err: error }, 'inbox read failed; retrying');
        await sleep(50);
      }
    }
  }

  private lastQueuedInboxId: string | null = null;

  /**
   * Reads the hand-off stream from its start (what is left of it: everything before was journaled;
   * what was journaled and not yet trimmed comes again and changes nothing).
   */
  private async handOffLoop(inbox: HandOffInbox): Promise<void> {
    let after: string | null = null;
    while (!this.stopped && this.role === 'leader') {
      try {
        if (this.pending.length >= (this.options.frameCommandsMax ?? 4096)) {
          await sleep(1);
          continue;
        }
        const entries = await inbox.next(after, 1024, 50);
        if (this.role !== 'leader') return;
        for (const entry of entries) {
          after = entry.id;
          if (!isHandOff(entry.command)) {
            this.options.logger.warn({ partition: this.options.partition, handOffId: entry.id }, 'not a HandOff in the hand-off stream; dropped');
            continue;
          }
          this.pending.push({ command: entry.command, inboxId: null, handOffId: entry.id, traceparent: null, resolve: null, reject: null });
        }
        if (entries.length > 0) this.scheduleFlush();
      } catch (error) {
        if (this.stopped) return;
        this.options.logger.warn({ err: error }, 'hand-off stream read failed; retrying');
        await sleep(50);
      }
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.writing) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush().catch((error: unknown) => this.halt(`frame failed: ${String(error)}`));
    });
  }

  private async flush(): Promise<void> {
    if (this.writing || this.pending.length === 0 || this.role !== 'leader') return;
    this.writing = true;
    const batch = this.pending.splice(0, this.options.frameCommandsMax ?? 4096);
    const envelopes: CommandEnvelope[] = [];
    const inboxIds: Array<string | null> = [];
    const entries: Array<EventFrame['entries'][number]> = [];
    // Traceparents stay beside the envelopes, never in them: the core and its state never see them.
    let traceparents: Array<string | null> | null = null;
    const firstSeq = this.appliedSeq + 1;
    const appliedAt = process.hrtime.bigint();
    const appliedAtMs = Date.now();
    try {
      for (let index = 0; index < batch.length; index++) {
        const item = batch[index] as Pending;
        const timestampMs = Math.max(this.now(), this.lastTimestampMs);
        this.lastTimestampMs = timestampMs;
        // A hand-off is journaled like any command; only partition cores read it.
        const envelope: CommandEnvelope = { seq: this.appliedSeq + 1, timestampMs, command: item.command as Command };
        // The core applies speculatively; nothing leaves the process until the frame is durable.
        envelopes.push(envelope);
        inboxIds.push(item.inboxId);
        entries.push(this.applyEnvelope(envelope, item.inboxId));
        if (item.traceparent !== null) (traceparents ??= new Array<string | null>(batch.length).fill(null))[index] = item.traceparent;
      }
    } catch (error) {
      // A failed assertion in the core is a bug: the frame is never journaled, its callers hear
      // why, and the caller of flush halts the partition.
      this.writing = false;
      for (const item of batch) item.reject?.(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    this.options.metrics?.applySeconds.observe(Number(process.hrtime.bigint() - appliedAt) / 1e9 / batch.length);
    const lastSeq = this.appliedSeq;
    const eventFrame: EventFrame = traceparents === null ? { firstSeq, lastSeq, entries } : { firstSeq, lastSeq, entries, traceparents };
    // A journal that publishes events writes them with the frame (one Redis write and fsync).
    const publishedWithFrame = this.options.journal.publishesEvents === true;
    const frame: JournalFrame = {
      firstSeq,
      lastSeq,
      epoch: this.epoch,
      payload: encodeFrameBody(traceparents === null ? { envelopes, inboxIds } : { envelopes, inboxIds, traceparents }),
      ...(publishedWithFrame ? { events: encodeEventFrame(eventFrame) } : {}),
    };
    const durable = await this.appendUntilDurable(frame);
    if (!durable) {
      for (const item of batch) item.reject?.(new NotLeaderError('the partition lost leadership before this command was journaled'));
      this.writing = false;
      return;
    }
    const durableAtMs = traceparents === null ? 0 : Date.now();
    for (const id of inboxIds) if (id !== null) this.lastInboxId = id;
    const handOffInbox = this.options.handOffInbox;
    const lastHandOffId = batch.reduce<string | undefined>((last, item) => item.handOffId ?? last, undefined);
    if (handOffInbox !== undefined && lastHandOffId !== undefined) {
      handOffInbox.trimBefore(lastHandOffId).catch((error: unknown) => this.options.logger.warn({ err: error }, 'hand-off stream trim failed'));
    }
    this.remember(eventFrame);
    this.options.outbox?.take(eventFrame);
    this.options.metrics?.commands.inc(batch.length);
    const sink = publishedWithFrame ? undefined : this.options.sink;
    // Frames are published in order, each while the next one is being journaled: the frame before
    // this one is out before this one's callers hear (it was sent first, so this rarely waits).
    if (sink !== undefined) await this.published;
    // The listeners (the read models) take the frame before its callers hear, so a caller that
    // reads a read model right after its answer finds its own command there.
    for (const listener of this.listeners) listener(eventFrame);
    batch.forEach((item, index) => item.resolve?.((entries[index] as { events: readonly EngineEvent[] }).events));
    if (sink !== undefined) this.published = this.publishUntilDone(sink, eventFrame);
    const tracer = this.options.tracer ?? null;
    if (traceparents !== null && tracer !== null) this.traceCommands(tracer, envelopes, traceparents, appliedAtMs, durableAtMs);
    this.commandsSinceSnapshot += batch.length;
    this.writing = false;
    await this.maybeSnapshot(false);
    this.scheduleClock();
    if (this.pending.length > 0) this.scheduleFlush();
  }

  /**
   * One span per traced command, parented to the span of the request that sent it: from when its
   * frame was applied to when the frame was durable (what the engine added to its answer's latency).
   */
  private traceCommands(tracer: Tracer, envelopes: readonly CommandEnvelope[], traceparents: ReadonlyArray<string | null>, appliedAtMs: number, durableAtMs: number): void {
    traceparents.forEach((traceparent, index) => {
      if (traceparent === null) return;
      const envelope = envelopes[index] as CommandEnvelope;
      const span = tracer.startSpan(
        `engine ${envelope.command.type}`,
        {
          kind: SpanKind.CONSUMER,
          startTime: appliedAtMs,
          attributes: { 'exch.partition': this.options.partition, 'exch.seq': envelope.seq, 'exch.frame.commands': envelopes.length, 'exch.epoch': this.epoch },
        },
        contextOf(traceparent),
      );
      span.end(durableAtMs);
    });
  }

  /** Retries the same frame until it is durable; false when fenced (the caller must stop). */
  private async appendUntilDurable(frame: JournalFrame): Promise<boolean> {
    let delayMs = 5;
    for (;;) {
      const startedAt = process.hrtime.bigint();
      try {
        await this.options.journal.append(frame);
        this.options.metrics?.appendSeconds.observe(Number(process.hrtime.bigint() - startedAt) / 1e9);
        return true;
      } catch (error) {
        if (error instanceof FencedError) {
          this.halt(`fenced at epoch ${this.epoch}: another leader took over`);
          return false;
        }
        if (this.role === 'halted' || this.stopped) return false;
        this.options.logger.warn({ err: error, seq: frame.lastSeq }, 'journal append failed; retrying the same frame');
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 200);
      }
    }
  }

  private async publishUntilDone(sink: EventSink, frame: EventFrame): Promise<void> {
    let delayMs = 5;
    while (this.role === 'leader') {
      try {
        await sink.publish(frame);
        return;
      } catch (error) {
        this.options.logger.warn({ err: error, seq: frame.lastSeq }, 'event publish failed; retrying');
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 200);
      }
    }
  }

  /** Moves time on with a Clock command when a delayed order falls due. */
  private scheduleClock(): void {
    if (this.role !== 'leader' || this.clockTimer !== null) return;
    const releaseAtMs = this.core.nextReleaseAtMs();
    if (releaseAtMs === null) return;
    const waitMs = Math.max(0, releaseAtMs - this.now());
    this.clockTimer = setTimeout(() => {
      this.clockTimer = null;
      if (this.role !== 'leader') return;
      this.pending.push({ command: { type: 'Clock' }, inboxId: null, traceparent: null, resolve: null, reject: null });
      this.scheduleFlush();
    }, waitMs);
  }

  private async maybeSnapshot(byTime: boolean): Promise<void> {
    if (this.role !== 'leader' || this.writing) return;
    const everyCommands = this.options.snapshotEveryCommands ?? 100_000;
    const everyMs = this.options.snapshotEveryMs ?? 60_000;
    const due = this.commandsSinceSnapshot >= everyCommands || (byTime && this.commandsSinceSnapshot > 0 && this.now() - this.lastSnapshotAtMs >= everyMs);
    if (!due) return;
    await this.snapshotNow();
  }

  /** Takes a snapshot at the applied seq and trims the journal behind the oldest one kept. */
  async snapshotNow(): Promise<void> {
    const seq = this.appliedSeq;
    if (seq === this.lastSnapshotSeq) return;
    // A restart replays from the snapshot, so hand-offs before it must have reached their destinations.
    if (this.options.outbox !== undefined && !this.options.outbox.deliveredThrough(seq)) return;
    const data = encodeValue({ core: this.core.snapshot(), lastInboxId: this.lastInboxId });
    this.commandsSinceSnapshot = 0;
    this.lastSnapshotAtMs = this.now();
    try {
      await this.options.snapshots.save(seq, data);
      this.lastSnapshotSeq = seq;
      this.options.metrics?.snapshotSeq.set(seq);
      this.options.metrics?.snapshotTimestamp.set(this.now() / 1000);
      const oldest = await this.options.snapshots.oldestKeptSeq();
      if (oldest !== null) await this.options.journal.trimBefore(oldest + 1);
      this.options.logger.info({ seq, bytes: data.byteLength }, 'snapshot');
    } catch (error) {
      this.options.logger.warn({ err: error, seq }, 'snapshot failed');
    }
  }

  private halt(reason: string): void {
    if (this.role === 'halted') return;
    this.role = 'halted';
    this.options.outbox?.setActive(false);
    this.options.metrics?.leader.set(0);
    for (const timer of this.timers) clearInterval(timer);
    if (this.clockTimer !== null) clearTimeout(this.clockTimer);
    for (const item of this.pending.splice(0)) item.reject?.(new NotLeaderError(reason));
    this.options.logger.fatal({ partition: this.options.partition, reason }, 'partition halted');
    this.options.onHalt?.(reason);
  }
}

function isHandOff(command: unknown): boolean {
  return typeof command === 'object' && command !== null && (command as { type?: unknown }).type === 'HandOff';
}

function isEventList(result: readonly EngineEvent[] | PartitionApplied): result is readonly EngineEvent[] {
  return Array.isArray(result);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
