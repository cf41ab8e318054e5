// The exchange's vital signs for the admin dashboard: a bounded ring of samples over time (the
// users' total exposure and the volume matched in each interval), kept by following the engine's
// durable frames, and the gateway's health now (how far the read models and the ledger are behind
// the engine, connected clients, error rates) read from its own metrics.
//
// Exposure is kept per account from the AccountUpdated events (each carries the account's exposure
// now), so a frame costs only its own events; matched volume is the backer's stake of each
// OrderMatched. A sample closes when a frame or a read arrives in a later interval; intervals with
// no frame repeat the exposure and match nothing. Error counters are read from the metrics once an
// interval (which also closes the intervals past) and on every read, so a sample's counts are at
// most an interval old.

import type { AccountId } from '@playchacha/protocol';
import type { EngineLink, EngineView, EventFrame } from './engine-link.js';
import type { GatewayMetrics } from './gateway-metrics.js';

export interface SystemSample {
  /** The interval's start. */
  readonly atMs: number;
  /** The users' total exposure at the end of the interval. */
  readonly exposureMinor: number;
  /** Backer's stake matched during the interval. */
  readonly matchedMinor: number;
  /** Cumulative error counts at the end of the interval (for rates). */
  readonly wsErrors: number;
  readonly http5xx: number;
}

export interface SystemHealth {
  readonly sampledAtMs: number;
  readonly engine: {
    /** The last seq the gateway's read models followed. */
    readonly followedSeq: number;
    /** The last seq the engine applied, where this process can read it; null otherwise. */
    readonly appliedSeq: number | null;
    readonly lagCommands: number | null;
  };
  /** Commands durable in the journal(s) not yet applied by this process's partition or replicas; null where unknown. */
  readonly journal: { readonly lagCommands: number | null };
  /** Commands applied by the engine and not yet in the ledger; null where the ledger is kept elsewhere. */
  readonly settlement: { readonly lagCommands: number | null };
  readonly connections: { readonly accounts: number; readonly anonymous: number };
  readonly errors: {
    readonly wsErrorsTotal: number;
    readonly http5xxTotal: number;
    /** Over the sampled window up to a minute back. */
    readonly wsErrorsPerMinute: number;
    readonly http5xxPerMinute: number;
  };
  readonly series: { readonly intervalMs: number; readonly samples: SystemSample[] };
}

export interface SystemStatsOptions {
  readonly link: EngineLink;
  readonly metrics?: GatewayMetrics;
  /** The engine's applied seq, where readable in this process. */
  readonly engineSeq?: () => number;
  /** Commands the in-process ledger has not posted yet. */
  readonly settlementLag?: () => number;
  /** Commands durable in the journal(s) that this process's partition or replicas have not applied yet. */
  readonly journalLag?: () => number;
  readonly intervalMs?: number;
  /** Samples kept (the oldest is dropped). */
  readonly samplesMax?: number;
  readonly now?: () => number;
}

interface OpenSample {
  atMs: number;
  matchedMinor: number;
}

export class SystemStats {
  readonly intervalMs: number;
  private readonly samplesMax: number;
  private readonly now: () => number;
  private readonly exposures = new Map<AccountId, number>();
  private exposureMinor = 0;
  private followedSeq = 0;
  private readonly samples: SystemSample[] = [];
  private open: OpenSample | null = null;
  private errorCounts = { wsErrors: 0, http5xx: 0 };
  private readonly unfollow: () => void;
  private readonly timer: ReturnType<typeof setInterval> | null;

  constructor(private readonly options: SystemStatsOptions) {
    this.intervalMs = options.intervalMs ?? 10_000;
    this.samplesMax = options.samplesMax ?? 360;
    this.now = options.now ?? Date.now;
    this.unfollow = options.link.follow({
      init: (view, seq) => this.init(view, seq),
      frame: (frame) => this.frame(frame),
    });
    this.timer = options.metrics === undefined ? null : setInterval(() => void this.readCounters().then((counters) => this.takeCounters(counters)), this.intervalMs);
    this.timer?.unref();
  }

  stop(): void {
    this.unfollow();
    if (this.timer !== null) clearInterval(this.timer);
  }

  private async readCounters(): Promise<{ connections: { accounts: number; anonymous: number }; wsErrors: number; http5xx: number }> {
    const metrics = this.options.metrics;
    const connections = { accounts: 0, anonymous: 0 };
    let wsErrors = 0;
    let http5xx = 0;
    if (metrics !== undefined) {
      for (const value of (await metrics.wsConnections.get()).values) {
        if (value.labels['kind'] === 'account') connections.accounts += value.value;
        else connections.anonymous += value.value;
      }
      for (const value of (await metrics.wsErrors.get()).values) wsErrors += value.value;
      for (const value of (await metrics.httpRequestSeconds.get()).values) {
        if (value.metricName?.endsWith('_count') === true && String(value.labels['status_code'] ?? '').startsWith('5')) http5xx += value.value;
      }
    }
    return { connections, wsErrors, http5xx };
  }

  /** Closes the intervals before now with the counts read before, then keeps these. */
  private takeCounters(counters: { wsErrors: number; http5xx: number }): OpenSample {
    const open = this.advance(this.now());
    this.errorCounts = { wsErrors: counters.wsErrors, http5xx: counters.http5xx };
    return open;
  }

  private init(view: EngineView, seq: number): void {
    this.exposures.clear();
    this.exposureMinor = 0;
    for (const account of view.accounts()) this.setExposure(account.accountId, account.exposureMinor);
    this.followedSeq = seq;
  }

  private frame(frame: EventFrame): void {
    const current = this.advance(this.now());
    for (const entry of frame.entries) {
      for (const event of entry.events) {
        if (event.type === 'AccountUpdated') this.setExposure(event.accountId, event.exposureMinor);
        else if (event.type === 'OrderMatched') current.matchedMinor += event.stakeMinor;
      }
    }
    this.followedSeq = frame.lastSeq;
  }

  private setExposure(accountId: AccountId, exposureMinor: number): void {
    this.exposureMinor += exposureMinor - (this.exposures.get(accountId) ?? 0);
    if (exposureMinor === 0) this.exposures.delete(accountId);
    else this.exposures.set(accountId, exposureMinor);
  }

  /** Closes the intervals before `nowMs` and answers the open one. */
  private advance(nowMs: number): OpenSample {
    const atMs = nowMs - (nowMs % this.intervalMs);
    if (this.open !== null && this.open.atMs === atMs) return this.open;
    if (this.open !== null) {
      // The closed interval, then any empty ones up to now (at most a full ring of them).
      const first = this.open.atMs;
      this.push({ atMs: first, exposureMinor: this.exposureMinor, matchedMinor: this.open.matchedMinor, ...this.errorCounts });
      const emptyFromMs = Math.max(first + this.intervalMs, atMs - this.samplesMax * this.intervalMs);
      for (let t = emptyFromMs; t < atMs; t += this.intervalMs) this.push({ atMs: t, exposureMinor: this.exposureMinor, matchedMinor: 0, ...this.errorCounts });
    }
    this.open = { atMs, matchedMinor: 0 };
    return this.open;
  }

  private push(sample: SystemSample): void {
    this.samples.push(sample);
    if (this.samples.length > this.samplesMax) this.samples.splice(0, this.samples.length - this.samplesMax);
  }

  /** The health now and the samples, oldest first, the open interval last. */
  async health(): Promise<SystemHealth> {
    const counters = await this.readCounters();
    const { connections, wsErrors: wsErrorsTotal, http5xx: http5xxTotal } = counters;
    const nowMs = this.now();
    const open = this.takeCounters(counters);
    const current: SystemSample = { atMs: open.atMs, exposureMinor: this.exposureMinor, matchedMinor: open.matchedMinor, ...this.errorCounts };
    const samples = [...this.samples, current];
    // Rates against the newest sample at least a minute old (or the oldest kept).
    const minuteAgo = [...this.samples].reverse().find((sample) => sample.atMs <= nowMs - 60_000) ?? this.samples[0];
    const perMinute = (now: number, then: number | undefined, sinceMs: number | undefined) =>
      then === undefined || sinceMs === undefined || nowMs <= sinceMs ? 0 : Math.round(((now - then) * 60_000) / (nowMs - sinceMs));
    const appliedSeq = this.options.engineSeq?.() ?? null;
    return {
      sampledAtMs: nowMs,
      engine: { followedSeq: this.followedSeq, appliedSeq, lagCommands: appliedSeq === null ? null : Math.max(0, appliedSeq - this.followedSeq) },
      journal: { lagCommands: this.options.journalLag?.() ?? null },
      settlement: { lagCommands: this.options.settlementLag?.() ?? null },
      connections,
      errors: {
        wsErrorsTotal,
        http5xxTotal,
        wsErrorsPerMinute: perMinute(wsErrorsTotal, minuteAgo?.wsErrors, minuteAgo === undefined ? undefined : minuteAgo.atMs + this.intervalMs),
        http5xxPerMinute: perMinute(http5xxTotal, minuteAgo?.http5xx, minuteAgo === undefined ? undefined : minuteAgo.atMs + this.intervalMs),
      },
      series: { intervalMs: this.intervalMs, samples },
    };
  }
}
