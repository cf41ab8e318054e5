// Market data as the stream serves it: for every market, its price levels (totals per price), its
// header, its seq and what has traded on it (each runner's last traded price and matched volume,
// and the market's total), kept in step with the engine frame by frame; and the recent deltas, so
// a client that reconnects can resume from the seq it last saw.
//
// After each frame the book sides of every market the frame touched are read from the engine and
// compared with the copy kept here; the differences are the delta. Comparing whole sides costs a
// scan of each touched side but is exact whatever the events were. The traded figures are engine
// state, read the same way: a delta carries the runners whose figures changed, and a read model
// started (or started over) on an engine with history shows everything traded before it.

import type { EngineEvent, MarketId, RunnerIndex, Side } from '@playchacha/protocol';
import type { LevelView, MarketTradedView } from '@playchacha/engine';
import type { EngineView, EventFrame } from './engine-link.js';
import { MarketBook, type LevelChange, type RunnerLevels } from './market-book.js';
import type { MarketHeader, RunnerTraded } from './ws-messages.js';

export interface MarketDelta {
  readonly marketId: MarketId;
  readonly prevSeq: number;
  readonly seq: number;
  readonly levels: readonly LevelChange[];
  readonly market?: MarketHeader;
  /** The runners whose trades changed, with their totals now; present with matchedMinor. */
  readonly traded?: readonly RunnerTraded[];
  /** The market's total matched volume now (backer's stake); present when anything matched. */
  readonly matchedMinor?: number;
  readonly checksum: number;
  readonly publishTimeMs: number;
}

export interface MarketSnapshot {
  readonly header: MarketHeader;
  readonly seq: number;
  readonly runners: readonly RunnerLevels[];
  readonly traded: readonly RunnerTraded[];
  readonly matchedMinor: number;
  readonly checksum: number;
}

/** A level whose total changed in the last frame, with its queue as it is now. */
export interface TouchedLevel {
  readonly marketId: MarketId;
  readonly runnerIndex: RunnerIndex;
  readonly side: Side;
  readonly level: LevelView;
}

interface MarketState {
  header: MarketHeader;
  ladderId: string;
  seq: number;
  readonly book: MarketBook;
  traded: RunnerTraded[];
  matchedMinor: number;
  readonly recent: MarketDelta[];
}

const MARKET_EVENT_TYPES = new Set<EngineEvent['type']>([
  'MarketCreated', 'MarketSuspended', 'MarketResumed', 'MarketTurnedInPlay', 'MarketBetDelayChanged', 'MarketClosed',
  'MarketSettled', 'MarketVoided', 'MarketResettled', 'OrderAccepted', 'OrderDelayed', 'OrderMatched', 'OrderReduced', 'OrderClosed', 'InstructionRefused',
]);
const SIDES: readonly Side[] = ['back', 'lay'];
/** Events that change the book of their own runner only (its two sides); any other market event may change every runner's. */
const RUNNER_EVENT_TYPES = new Set<EngineEvent['type']>(['OrderAccepted', 'OrderMatched', 'OrderReduced', 'OrderClosed']);

export class MarketReadModel {
  private readonly markets = new Map<MarketId, MarketState>();
  /** Markets with orders waiting out a bet delay: a release can change the book without an event. */
  private readonly withDelayed = new Set<MarketId>();

  constructor(
    /** Deltas kept per market for resuming. */
    private readonly recentDeltasMax = 2048,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes the engine's state: every market's book, seq and traded figures are read afresh. */
  init(view: EngineView): void {
    for (const marketId of view.marketIds()) {
      this.markets.delete(marketId);
      this.refresh(marketId, view, null, []);
    }
  }

  /** Brings every touched market up to date; returns its deltas, the levels that changed and the markets created. */
  applyFrame(frame: EventFrame, view: EngineView): { deltas: MarketDelta[]; touched: TouchedLevel[]; created: MarketId[] } {
    // The runners whose books the frame may have changed, per market (null: every runner).
    const marketIds = new Map<MarketId, Set<RunnerIndex> | null>();
    for (const marketId of this.withDelayed) marketIds.set(marketId, null);
    for (const entry of frame.entries) {
      for (const event of entry.events) {
        if (!MARKET_EVENT_TYPES.has(event.type)) continue;
        const marketId = (event as { marketId: MarketId }).marketId;
        const runners = marketIds.get(marketId);
        if (runners === null) continue;
        if (!RUNNER_EVENT_TYPES.has(event.type)) marketIds.set(marketId, null);
        else if (runners === undefined) marketIds.set(marketId, new Set([(event as { runnerIndex: RunnerIndex }).runnerIndex]));
        else runners.add((event as { runnerIndex: RunnerIndex }).runnerIndex);
      }
    }
    const deltas: MarketDelta[] = [];
    const touched: TouchedLevel[] = [];
    const created: MarketId[] = [];
    for (const marketId of [...marketIds.keys()].sort((a, b) => a - b)) {
      const state = this.markets.get(marketId) ?? null;
      const delta = this.refresh(marketId, view, state, touched, marketIds.get(marketId) ?? null);
      if (delta !== null) deltas.push(delta);
      if (state === null && this.markets.has(marketId)) created.push(marketId);
    }
    return { deltas, touched, created };
  }

  /** `runners`: the runners whose books may have changed (null: all of them). */
  private refresh(marketId: MarketId, view: EngineView, state: MarketState | null, touched: TouchedLevel[], runners: ReadonlySet<RunnerIndex> | null = null): MarketDelta | null {
    const market = view.market(marketId);
    if (market === undefined) return null;
    const tradedView = view.traded(marketId);
    if (tradedView === undefined) throw new Error(`market ${marketId} has no traded figures in the engine view`);
    if (market.delayedOrders > 0) this.withDelayed.add(marketId);
    else this.withDelayed.delete(marketId);
    const header: MarketHeader = {
      marketId,
      status: market.status,
      inPlay: market.inPlay,
      betDelayMs: market.betDelayMs,
      runnerCount: market.runnerCount,
    };
    if (state === null) {
      const book = new MarketBook(market.runnerCount);
      for (let runnerIndex = 0; runnerIndex < market.runnerCount; runnerIndex++) {
        for (const side of SIDES) for (const level of view.bookSide(marketId, runnerIndex, side)) book.set(runnerIndex, side, level.priceTicks, level.totalMinor);
      }
      const fresh: MarketState = { header, ladderId: market.ladderId, seq: market.seq, book, traded: [], matchedMinor: 0, recent: [] };
      applyTraded(fresh, tradedView);
      this.markets.set(marketId, fresh);
      return null;
    }
    const levels: LevelChange[] = [];
    for (let runnerIndex = 0; runnerIndex < market.runnerCount; runnerIndex++) {
      if (runners !== null && !runners.has(runnerIndex)) continue;
      for (const side of SIDES) this.diffSide(state, view, marketId, runnerIndex, side, levels, touched);
    }
    const headerChanged = !sameHeader(state.header, header);
    if (levels.length === 0 && !headerChanged && market.seq === state.seq) return null;
    state.book.apply(levels);
    const traded = applyTraded(state, tradedView);
    const delta: MarketDelta = {
      marketId,
      prevSeq: state.seq,
      seq: market.seq,
      levels,
      ...(headerChanged ? { market: header } : {}),
      ...(traded.length > 0 ? { traded, matchedMinor: state.matchedMinor } : {}),
      checksum: state.book.checksum(),
      publishTimeMs: this.now(),
    };
    state.header = header;
    state.seq = market.seq;
    state.recent.push(delta);
    while (state.recent.length > this.recentDeltasMax) state.recent.shift();
    return delta;
  }

  private diffSide(state: MarketState, view: EngineView, marketId: MarketId, runnerIndex: RunnerIndex, side: Side, out: LevelChange[], touched: TouchedLevel[]): void {
    const fresh = view.bookSide(marketId, runnerIndex, side);
    const present = new Set<number>();
    for (const level of fresh) {
      present.add(level.priceTicks);
      if (state.book.get(runnerIndex, side, level.priceTicks) !== level.totalMinor) {
        out.push([runnerIndex, side, level.priceTicks, level.totalMinor]);
        touched.push({ marketId, runnerIndex, side, level });
      }
    }
    for (const [priceTicks] of state.book.side(runnerIndex, side)) {
      if (!present.has(priceTicks)) out.push([runnerIndex, side, priceTicks, 0]);
    }
  }

  /** Every known market, ascending. */
  marketIds(): MarketId[] {
    return [...this.markets.keys()].sort((a, b) => a - b);
  }

  has(marketId: MarketId): boolean {
    return this.markets.has(marketId);
  }

  ladderId(marketId: MarketId): string | undefined {
    return this.markets.get(marketId)?.ladderId;
  }

  snapshot(marketId: MarketId): MarketSnapshot | undefined {
    const state = this.markets.get(marketId);
    if (state === undefined) return undefined;
    return {
      header: state.header,
      seq: state.seq,
      runners: state.book.runners(),
      traded: [...state.traded],
      matchedMinor: state.matchedMinor,
      checksum: state.book.checksum(),
    };
  }

  /**
   * The deltas that continue a client's copy at `fromSeq`, oldest first (empty when it is current);
   * null when they are no longer kept (or fromSeq is not a seq this market's stream carried).
   */
  deltasAfter(marketId: MarketId, fromSeq: number): MarketDelta[] | null {
    const state = this.markets.get(marketId);
    if (state === undefined) return null;
    if (fromSeq === state.seq) return [];
    if (fromSeq > state.seq) return null;
    const index = state.recent.findIndex((delta) => delta.prevSeq === fromSeq);
    return index < 0 ? null : state.recent.slice(index);
  }
}

/** Takes the engine's traded figures for the market; returns the runners whose figures changed, ascending. */
function applyTraded(state: MarketState, view: MarketTradedView): RunnerTraded[] {
  const changed: RunnerTraded[] = [];
  const traded = view.runners.map(({ runnerIndex, lastPriceTicks, matchedMinor }): RunnerTraded => {
    const now = { runnerIndex, lastPriceTicks, matchedMinor };
    const before = state.traded[runnerIndex];
    if (before === undefined || before.lastPriceTicks !== lastPriceTicks || before.matchedMinor !== matchedMinor) changed.push(now);
    return now;
  });
  state.traded = traded;
  state.matchedMinor = view.matchedMinor;
  return changed;
}

function sameHeader(a: MarketHeader, b: MarketHeader): boolean {
  return a.status === b.status && a.inPlay === b.inPlay && a.betDelayMs === b.betDelayMs && a.runnerCount === b.runnerCount;
}
