// The admin system panel's figures over a real engine core and real metrics: total exposure from
// the accounts' updates, matched volume per interval (empty intervals filled, the ring bounded),
// connected clients, error totals and rates, and the engine and ledger lag.

import { describe, expect, it } from 'vitest';
import { ExchangeCore } from '@playchacha/engine';
import type { Command, MarketId, RunnerIndex, Side } from '@playchacha/protocol';
import type { EngineFollower, EngineLink, EngineMarketView, EngineView, EventFrame } from './engine-link.js';
import { createGatewayMetrics } from './gateway-metrics.js';
import { SystemStats } from './system-stats.js';

class CoreLink implements EngineLink {
  readonly core = new ExchangeCore();
  private follower: EngineFollower | null = null;
  private seq = 0;
  readonly view: EngineView = {
    marketIds: (): MarketId[] => [...this.core.matching.markets.keys()],
    market: (marketId: MarketId): EngineMarketView | undefined => {
      const view = this.core.market(marketId);
      const market = this.core.matching.markets.get(marketId);
      return view === undefined || market === undefined ? undefined : { ...view, ladderId: market.ladder.id, delayedOrders: market.delayed.length };
    },
    bookSide: (marketId: MarketId, runnerIndex: RunnerIndex, side: Side) => this.core.bookSide(marketId, runnerIndex, side),
    traded: (marketId: MarketId) => this.core.traded(marketId),
    openOrders: () => this.core.openOrders(),
    accounts: () => this.core.accounts(),
  };

  submit(): Promise<never> {
    return Promise.reject(new Error('not used'));
  }

  follow(follower: EngineFollower): () => void {
    this.follower = follower;
    follower.init(this.view, this.seq);
    return () => (this.follower = null);
  }

  /** Applies the commands as one durable frame and hands it to the follower. */
  frame(...commands: Command[]): void {
    const firstSeq = this.seq + 1;
    const entries = commands.map((command) => {
      this.seq++;
      return { seq: this.seq, inboxId: null, events: this.core.apply({ seq: this.seq, timestampMs: this.seq, command }) };
    });
    const frame: EventFrame = { firstSeq, lastSeq: this.seq, entries };
    this.follower?.frame(frame, this.view);
  }
}

let clientOrderIdNext = 1;
const place = (accountId: number, side: Side, stakeMinor: number): Command =>
  ({ type: 'PlaceOrder', accountId, clientOrderId: `s${clientOrderIdNext++}`, marketId: 1, runnerIndex: 0, side, priceTicks: 100, stakeMinor });

function started(options: { samplesMax?: number; journalLag?: () => number } = {}) {
  const link = new CoreLink();
  link.frame(
    { type: 'OpenAccount', accountId: 1 },
    { type: 'OpenAccount', accountId: 2 },
    { type: 'Deposit', accountId: 1, transferId: 'a', amountMinor: 1_000_00 },
    { type: 'Deposit', accountId: 2, transferId: 'b', amountMinor: 1_000_00 },
    { type: 'CreateMarket', marketId: 1, runnerCount: 2 },
  );
  const clock = { nowMs: 1_000_000 };
  const metrics = createGatewayMetrics();
  let appliedSeq = 0;
  const stats = new SystemStats({
    link,
    metrics,
    intervalMs: 1_000,
    ...(options.samplesMax === undefined ? {} : { samplesMax: options.samplesMax }),
    now: () => clock.nowMs,
    engineSeq: () => appliedSeq,
    ...(options.journalLag === undefined ? {} : { journalLag: options.journalLag }),
  });
  return { link, clock, metrics, stats, setApplied: (seq: number) => (appliedSeq = seq) };
}

const totalExposure = (link: CoreLink) => link.core.accounts().reduce((sum, account) => sum + account.exposureMinor, 0);

describe('system stats', () => {
  it('samples total exposure and the volume matched in each interval, filling quiet ones', async () => {
    const { link, clock, stats } = started();
    link.frame(place(1, 'lay', 30_00));
    expect(totalExposure(link)).toBeGreaterThan(0);
    link.frame(place(2, 'back', 10_00));
    clock.nowMs += 1_000;
    link.frame(place(2, 'back', 5_00));
    clock.nowMs += 3_000;
    link.frame({ type: 'MassCancel', accountId: 1 });
    const health = await stats.health();
    expect(health.series.intervalMs).toBe(1_000);
    const samples = health.series.samples;
    expect(samples.map((sample) => sample.atMs)).toEqual([1_000_000, 1_001_000, 1_002_000, 1_003_000, 1_004_000]);
    expect(samples.map((sample) => sample.matchedMinor)).toEqual([10_00, 5_00, 0, 0, 0]);
    // Exposure after the two matches stays through the quiet intervals; the cancel lowers it.
    expect(samples[2]?.exposureMinor).toBe(samples[1]?.exposureMinor);
    expect(samples[4]?.exposureMinor).toBe(totalExposure(link));
    expect(samples[4]?.exposureMinor).toBeLessThan(samples[1]?.exposureMinor ?? 0);
    stats.stop();
  });

  it('keeps at most samplesMax samples, the newest', async () => {
    const { link, clock, stats } = started({ samplesMax: 3 });
    for (let i = 0; i < 6; i++) {
      link.frame(place(1, 'lay', 1_00), place(2, 'back', 1_00));
      clock.nowMs += 1_000;
    }
    const samples = (await stats.health()).series.samples;
    expect(samples.map((sample) => sample.atMs)).toEqual([1_003_000, 1_004_000, 1_005_000, 1_006_000]);
    expect(samples.slice(0, 3).map((sample) => sample.matchedMinor)).toEqual([1_00, 1_00, 1_00]);
    stats.stop();
  });

  it('reads connected clients, error totals and rates, and the engine lag from the metrics', async () => {
    const { link, clock, metrics, stats, setApplied } = started();
    metrics.wsConnections.inc({ kind: 'account' }, 3);
    metrics.wsConnections.inc({ kind: 'anonymous' }, 2);
    metrics.wsErrors.inc({ code: 'invalid_field' }, 4);
    metrics.httpRequestSeconds.observe({ method: 'GET', route: '/v1/x', status_code: '503' }, 0.01);
    metrics.httpRequestSeconds.observe({ method: 'GET', route: '/v1/x', status_code: '200' }, 0.01);
    await stats.health();
    clock.nowMs += 60_000;
    metrics.wsErrors.inc({ code: 'invalid_field' }, 6);
    metrics.httpRequestSeconds.observe({ method: 'POST', route: '/v1/y', status_code: '500' }, 0.01);
    setApplied(12);
    link.frame(place(1, 'lay', 1_00));
    const health = await stats.health();
    expect(health.connections).toEqual({ accounts: 3, anonymous: 2 });
    expect(health.errors).toMatchObject({ wsErrorsTotal: 10, http5xxTotal: 2, wsErrorsPerMinute: 6, http5xxPerMinute: 1 });
    expect(health.engine).toEqual({ followedSeq: 6, appliedSeq: 12, lagCommands: 6 });
    expect(health.settlement.lagCommands).toBeNull();
    expect(health.journal.lagCommands).toBeNull();
    stats.stop();
  });

  it('reports the journal lag where the process can read it', async () => {
    let journalLag = 4;
    const { stats } = started({ journalLag: () => journalLag });
    expect((await stats.health()).journal.lagCommands).toBe(4);
    journalLag = 0;
    expect((await stats.health()).journal.lagCommands).toBe(0);
    stats.stop();
  });
});
