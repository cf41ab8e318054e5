// Market data as the stream serves it: for every market, its price levels (totals per price), its
// header, its seq and what has traded on it (each runner's last traded price and matched volume,
// and the market's total), kept in step with the engine frame by frame; and the recent deltas, so
// a client that reconnects can resume from the seq it last saw.
//
// After each frame the book sides of every market the frame touched are read from the engine and
// compared with the copy kept here; the differences are the delta. Comparing whole sides costs a
// scan of each touched side but is exact whatever the events were. Trades are counted from the
// frame's OrderMatched events (the engine keeps no traded totals), so they cover the frames this
// read model followed: a gateway that starts on an engine with history counts from its start.

import type { EngineEvent, MarketId, RunnerIndex, Side } from '@playchacha/protocol';
import type { LevelView } from '@playchacha/engine';
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
  readonly traded: RunnerTraded[];
  matchedMinor: number;
  readonly recent: MarketDelta[];
}

/** A frame's matches on one market: the last price and the summed stake per runner. */
type FrameTrades = Map<RunnerIndex, { lastPriceTicks: number; stakeMinor: number }>;

const MARKET_EVENT_TYPES = new Set<EngineEvent['type']>([
  'MarketCreated', 'MarketSuspended', 'MarketResumed', 'MarketTurnedInPlay', 'MarketBetDelayChanged', 'MarketClosed',
  'MarketSettled', 'MarketVoided', 'MarketResettled', 'OrderAccepted', 'OrderDelayed', 'OrderMatched', 'OrderReduced', 'OrderClosed', 'InstructionRefused',
]);
const SIDES: readonly Side[] = ['back', 'lay'];

export class MarketReadModel {
  private readonly markets = new Map<MarketId, MarketState>();
  /** Markets with orders waiting out a bet delay: a release can change the book without an event. */
  private readonly withDelayed = new Set<MarketId>();

  constructor(
    /** Deltas kept per market for resuming. */
    private readonly recentDeltasMax = 2048,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes the engine's state; a market already known keeps what it traded (its book and seq are read afresh). */
  init(view: EngineView): void {
    for (const marketId of view.marketIds()) {
      const known = this.markets.get(marketId);
      this.markets.delete(marketId);
      this.refresh(marketId, view, null, [], new Map());
      const state = this.markets.get(marketId);
      if (known !== undefined && state !== undefined) {
        state.traded.splice(0, known.traded.length, ...known.traded);
        state.matchedMinor = known.matchedMinor;
      }
    }
  }

  /** Brings every touched market up to date; returns its deltas, the levels that changed and the markets created. */
  applyFrame(frame: EventFrame, view: EngineView): { deltas: MarketDelta[]; touched: TouchedLevel[]; created: MarketId[] } {
    const marketIds = new Set<MarketId>(this.withDelayed);
    const trades = new Map<MarketId, FrameTrades>();
    for (const entry of frame.entries) {
      for (const event of entry.events) {
        if (!MARKET_EVENT_TYPES.has(event.type)) continue;
        marketIds.add((event as { marketId: MarketId }).marketId);
        if (event.type !== 'OrderMatched') continue;
        let market = trades.get(event.marketId);
        if (market === undefined) trades.set(event.marketId, (market = new Map()));
        const runner = market.get(event.runnerIndex);
        market.set(event.runnerIndex, { lastPriceTicks: event.priceTicks, stakeMinor: (runner?.stakeMinor ?? 0) + event.stakeMinor });
      }
    }
    const deltas: MarketDelta[] = [];
    const touched: TouchedLevel[] = [];
    const created: MarketId[] = [];
    for (const marketId of [...marketIds].sort((a, b) => a - b)) {
      const state = this.markets.get(marketId) ?? null;
      const delta = this.refresh(marketId, view, state, touched, trades.get(marketId) ?? new Map());
      if (delta !== null) deltas.push(delta);
      if (state === null && this.markets.has(marketId)) created.push(marketId);
    }
    return { deltas, touched, created };
  }

  private refresh(marketId: MarketId, view: EngineView, state: MarketState | null, touched: TouchedLevel[], trades: FrameTrades): MarketDelta | null {
    const market = view.market(marketId);
    if (market === undefined) return null;
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
      applyTrades(fresh, market.runnerCount, trades);
      this.markets.set(marketId, fresh);
      return null;
    }
    const levels: LevelChange[] = [];
    for (let runnerIndex = 0; runnerIndex < market.runnerCount; runnerIndex++) {
      for (const side of SIDES) this.diffSide(state, view, marketId, runnerIndex, side, levels, touched);
    }
    const headerChanged = !sameHeader(state.header, header);
    if (levels.length === 0 && !headerChanged && market.seq === state.seq) return null;
    state.book.apply(levels);
    const traded = applyTrades(state, market.runnerCount, trades);
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
    if (state.recent.length > this.recentDeltasMax) state.recent.splice(0, state.recent.length - this.recentDeltasMax);
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

/** Adds a frame's trades to the market's totals; returns the runners that changed, ascending. */
function applyTrades(state: MarketState, runnerCount: number, trades: FrameTrades): RunnerTraded[] {
  while (state.traded.length < runnerCount) state.traded.push({ runnerIndex: state.traded.length, lastPriceTicks: null, matchedMinor: 0 });
  const changed: RunnerTraded[] = [];
  for (const [runnerIndex, trade] of [...trades].sort(([a], [b]) => a - b)) {
    const before = state.traded[runnerIndex];
    if (before === undefined) throw new RangeError(`a match on runner ${runnerIndex} of market ${state.header.marketId}, which has ${runnerCount}`);
    const after: RunnerTraded = { runnerIndex, lastPriceTicks: trade.lastPriceTicks, matchedMinor: before.matchedMinor + trade.stakeMinor };
    state.traded[runnerIndex] = after;
    state.matchedMinor += trade.stakeMinor;
    changed.push(after);
  }
  return changed;
}

function sameHeader(a: MarketHeader, b: MarketHeader): boolean {
  return a.status === b.status && a.inPlay === b.inPlay && a.betDelayMs === b.betDelayMs && a.runnerCount === b.runnerCount;
}
