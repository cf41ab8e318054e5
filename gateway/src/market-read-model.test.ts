// The market read model over a real engine core: each runner's last traded price and matched
// volume and the market's total (engine state), in the snapshot and in the deltas of the frames
// that matched; a client resuming from an older seq ends with the same totals as a fresh snapshot,
// and a read model started on an engine with history (or on one restored from a snapshot) shows it.

import { describe, expect, it } from 'vitest';
import { ExchangeCore, type CoreSnapshot } from '@playchacha/engine';
import { mulberry32, type Command, type Side } from '@playchacha/protocol';
import type { EventFrame } from './engine-link.js';
import { MarketReadModel, type MarketDelta } from './market-read-model.js';
import { CoreView } from './partition-link.js';
import type { RunnerTraded } from './ws-messages.js';

class Engine {
  readonly view: CoreView;
  private seq: number;

  constructor(readonly core = new ExchangeCore()) {
    this.view = new CoreView(() => core);
    this.seq = core.lastAppliedSeq;
  }

  /** Applies the commands as one frame. */
  frame(...commands: Command[]): EventFrame {
    const firstSeq = this.seq + 1;
    const entries = commands.map((command) => {
      this.seq++;
      return { seq: this.seq, inboxId: null, events: this.core.apply({ seq: this.seq, timestampMs: 1_000 + this.seq, command }) };
    });
    return { firstSeq, lastSeq: this.seq, entries };
  }
}

const MARKET = 5;
let clientOrderIdNext = 1;
function place(accountId: number, runnerIndex: number, side: Side, priceTicks: number, stakeMinor: number): Command {
  return { type: 'PlaceOrder', accountId, clientOrderId: `c${clientOrderIdNext++}`, marketId: MARKET, runnerIndex, side, priceTicks, stakeMinor };
}

function started(): { engine: Engine; model: MarketReadModel } {
  const engine = new Engine();
  engine.frame(
    { type: 'OpenAccount', accountId: 1 },
    { type: 'OpenAccount', accountId: 2 },
    { type: 'Deposit', accountId: 1, transferId: 't1', amountMinor: 1_000_000_00 },
    { type: 'Deposit', accountId: 2, transferId: 't2', amountMinor: 1_000_000_00 },
    { type: 'CreateMarket', marketId: MARKET, runnerCount: 3 },
  );
  const model = new MarketReadModel(16, () => 0);
  model.init(engine.view);
  return { engine, model };
}

function apply(engine: Engine, model: MarketReadModel, ...commands: Command[]): MarketDelta[] {
  return model.applyFrame(engine.frame(...commands), engine.view).deltas;
}

const untraded = (runnerIndex: number): RunnerTraded => ({ runnerIndex, lastPriceTicks: null, matchedMinor: 0 });

describe('market read model: trades', () => {
  it('starts with nothing traded', () => {
    const { model } = started();
    const snapshot = model.snapshot(MARKET);
    expect(snapshot?.traded).toEqual([untraded(0), untraded(1), untraded(2)]);
    expect(snapshot?.matchedMinor).toBe(0);
  });

  it('gives each runner the price of its last match and its summed backer\'s stake, and the market total', () => {
    const { engine, model } = started();
    const [resting] = apply(engine, model, place(1, 1, 'lay', 110, 30_00), place(1, 1, 'lay', 100, 30_00));
    expect(resting?.traded).toBeUndefined();
    expect(resting?.matchedMinor).toBeUndefined();

    // A back at 100 takes the lay at 110 (the better price for the backer) in full, then 5.00 at 100.
    const [matched] = apply(engine, model, place(2, 1, 'back', 100, 35_00));
    expect(matched?.traded).toEqual([{ runnerIndex: 1, lastPriceTicks: 100, matchedMinor: 35_00 }]);
    expect(matched?.matchedMinor).toBe(35_00);

    // Two matches on two runners in one frame: both runners change, the total adds both.
    const [both] = apply(engine, model, place(1, 0, 'back', 50, 10_00), place(2, 0, 'lay', 50, 4_00), place(2, 1, 'back', 100, 2_00));
    expect(both?.traded).toEqual([
      { runnerIndex: 0, lastPriceTicks: 50, matchedMinor: 4_00 },
      { runnerIndex: 1, lastPriceTicks: 100, matchedMinor: 37_00 },
    ]);
    expect(both?.matchedMinor).toBe(41_00);

    // A cancel changes the book, not the trades.
    const [cancelled] = apply(engine, model, { type: 'MassCancel', accountId: 1, marketId: MARKET });
    expect(cancelled?.levels.length).toBeGreaterThan(0);
    expect(cancelled?.traded).toBeUndefined();

    const snapshot = model.snapshot(MARKET);
    expect(snapshot?.traded).toEqual([
      { runnerIndex: 0, lastPriceTicks: 50, matchedMinor: 4_00 },
      { runnerIndex: 1, lastPriceTicks: 100, matchedMinor: 37_00 },
      untraded(2),
    ]);
    expect(snapshot?.matchedMinor).toBe(41_00);
  });

  it('lets a client that resumes from an older seq reach the totals a fresh snapshot shows', () => {
    const { engine, model } = started();
    const before = model.snapshot(MARKET);
    apply(engine, model, place(1, 2, 'lay', 120, 50_00));
    apply(engine, model, place(2, 2, 'back', 120, 20_00));
    apply(engine, model, place(2, 2, 'back', 110, 10_00));
    apply(engine, model, place(1, 0, 'back', 200, 10_00), place(2, 0, 'lay', 200, 10_00));

    const deltas = model.deltasAfter(MARKET, before?.seq ?? -1);
    expect(deltas?.length).toBe(4);
    const traded = new Map((before?.traded ?? []).map((runner) => [runner.runnerIndex, runner]));
    let matchedMinor = before?.matchedMinor ?? -1;
    for (const delta of deltas ?? []) {
      for (const runner of delta.traded ?? []) traded.set(runner.runnerIndex, runner);
      matchedMinor = delta.matchedMinor ?? matchedMinor;
    }
    const now = model.snapshot(MARKET);
    expect([...traded.values()]).toEqual(now?.traded);
    expect(matchedMinor).toBe(now?.matchedMinor);
    expect(now?.traded[2]).toEqual({ runnerIndex: 2, lastPriceTicks: 120, matchedMinor: 30_00 });
    expect(now?.matchedMinor).toBe(40_00);
  });

  it('keeps what a market traded when the engine state is taken again', () => {
    const { engine, model } = started();
    apply(engine, model, place(1, 0, 'lay', 150, 10_00), place(2, 0, 'back', 150, 10_00));
    model.init(engine.view);
    expect(model.snapshot(MARKET)?.traded[0]).toEqual({ runnerIndex: 0, lastPriceTicks: 150, matchedMinor: 10_00 });
    expect(model.snapshot(MARKET)?.matchedMinor).toBe(10_00);
  });

  it('shows what traded before it started, and counts on from there', () => {
    const { engine } = started();
    apply(engine, new MarketReadModel(16, () => 0), place(1, 0, 'lay', 150, 10_00), place(2, 0, 'back', 150, 4_00));
    engine.frame(place(2, 2, 'back', 300, 1_00), place(1, 2, 'lay', 300, 1_00));

    const model = new MarketReadModel(16, () => 0);
    model.init(engine.view);
    expect(model.snapshot(MARKET)?.traded).toEqual([
      { runnerIndex: 0, lastPriceTicks: 150, matchedMinor: 4_00 },
      untraded(1),
      { runnerIndex: 2, lastPriceTicks: 300, matchedMinor: 1_00 },
    ]);
    expect(model.snapshot(MARKET)?.matchedMinor).toBe(5_00);

    const [matched] = apply(engine, model, place(2, 0, 'back', 140, 2_00));
    expect(matched?.traded).toEqual([{ runnerIndex: 0, lastPriceTicks: 150, matchedMinor: 6_00 }]);
    expect(matched?.matchedMinor).toBe(7_00);
  });

  it('shows the trades of an engine restored from a snapshot', () => {
    const { engine } = started();
    engine.frame(place(1, 1, 'lay', 120, 8_00), place(2, 1, 'back', 110, 8_00));
    const saved = JSON.parse(JSON.stringify(engine.core.snapshot())) as CoreSnapshot;
    const restored = new Engine(ExchangeCore.fromSnapshot(saved));

    const model = new MarketReadModel(16, () => 0);
    model.init(restored.view);
    expect(model.snapshot(MARKET)?.traded).toEqual([untraded(0), { runnerIndex: 1, lastPriceTicks: 120, matchedMinor: 8_00 }, untraded(2)]);
    expect(model.snapshot(MARKET)?.matchedMinor).toBe(8_00);
    expect(model.snapshot(MARKET)?.seq).toBe(engine.core.market(MARKET)?.seq);

    const [matched] = apply(restored, model, place(1, 1, 'lay', 120, 1_00), place(2, 1, 'back', 120, 1_00));
    expect(matched?.traded).toEqual([{ runnerIndex: 1, lastPriceTicks: 120, matchedMinor: 9_00 }]);
    expect(matched?.matchedMinor).toBe(9_00);
  });

  it('has the trades of skipped frames when it starts over on a later state (a replica that jumped to a snapshot)', () => {
    const { engine, model } = started();
    apply(engine, model, place(1, 0, 'lay', 150, 10_00), place(2, 0, 'back', 150, 3_00));
    // Frames the model never sees; the replica jumps to a snapshot taken after them.
    engine.frame(place(2, 0, 'back', 150, 2_00));
    engine.frame(place(1, 2, 'back', 90, 5_00), place(2, 2, 'lay', 90, 5_00));
    const jumped = new Engine(ExchangeCore.fromSnapshot(engine.core.snapshot()));
    model.init(jumped.view);
    expect(model.snapshot(MARKET)?.traded).toEqual([
      { runnerIndex: 0, lastPriceTicks: 150, matchedMinor: 5_00 },
      untraded(1),
      { runnerIndex: 2, lastPriceTicks: 90, matchedMinor: 5_00 },
    ]);
    expect(model.snapshot(MARKET)?.matchedMinor).toBe(10_00);
  });

  it('counts matches in the frame that created the market', () => {
    const engine = new Engine();
    const model = new MarketReadModel(16, () => 0);
    model.init(engine.view);
    model.applyFrame(engine.frame(
      { type: 'OpenAccount', accountId: 1 },
      { type: 'OpenAccount', accountId: 2 },
      { type: 'Deposit', accountId: 1, transferId: 't1', amountMinor: 1_000_00 },
      { type: 'Deposit', accountId: 2, transferId: 't2', amountMinor: 1_000_00 },
      { type: 'CreateMarket', marketId: MARKET, runnerCount: 2 },
      place(1, 1, 'lay', 100, 6_00),
      place(2, 1, 'back', 100, 6_00),
    ), engine.view);
    expect(model.snapshot(MARKET)?.traded).toEqual([untraded(0), { runnerIndex: 1, lastPriceTicks: 100, matchedMinor: 6_00 }]);
    expect(model.snapshot(MARKET)?.matchedMinor).toBe(6_00);
  });
});

describe('market read model: books', () => {
  it('keeps every runner\'s book equal to the engine\'s through a seeded flow of places, matches, reductions and cancels', () => {
    const { engine, model } = started();
    const random = mulberry32(20261125);
    const live: number[] = [];
    const engineBooks = () =>
      [0, 1, 2].map((runnerIndex) => ({
        runnerIndex,
        back: engine.view.bookSide(MARKET, runnerIndex, 'back').map((level) => [level.priceTicks, level.totalMinor]),
        lay: engine.view.bookSide(MARKET, runnerIndex, 'lay').map((level) => [level.priceTicks, level.totalMinor]),
      }));
    let levelChanges = 0;
    for (let frame = 0; frame < 400; frame++) {
      const commands: Command[] = [];
      const count = 1 + Math.floor(random() * 3);
      for (let i = 0; i < count; i++) {
        const roll = random();
        const orderId = live[Math.floor(random() * live.length)];
        if (roll < 0.2 && orderId !== undefined) {
          commands.push({ type: 'CancelOrder', accountId: 1 + (orderId % 2), marketId: MARKET, orderId, ...(random() < 0.5 ? { reduceByMinor: 100 } : {}) });
        } else {
          const side: Side = random() < 0.5 ? 'back' : 'lay';
          // Mostly resting near the touch; some cross it and match.
          const priceTicks = side === 'back' ? 95 + Math.floor(random() * 12) : 90 + Math.floor(random() * 12);
          commands.push(place(side === 'back' ? 1 : 2, Math.floor(random() * 3), side, priceTicks, 200 + Math.floor(random() * 2_000)));
        }
      }
      const events = engine.frame(...commands);
      for (const entry of events.entries) {
        for (const event of entry.events) {
          if (event.type === 'OrderAccepted') live.push(event.orderId);
          if (event.type === 'OrderClosed') live.splice(live.indexOf(event.orderId), 1);
        }
      }
      const deltas = model.applyFrame(events, engine.view).deltas;
      levelChanges += deltas.reduce((sum, delta) => sum + delta.levels.length, 0);
      expect(model.snapshot(MARKET)?.runners).toEqual(engineBooks());
    }
    expect(levelChanges).toBeGreaterThan(400);
  });
});
