// Event streams: per-market and per-account sequence numbers, one OrderClosed per accepted order,
// one AccountUpdated per touched account per command.
import { beforeEach, describe, expect, it } from 'vitest';
import { isAccountEvent, isMarketEvent, type AccountEvent } from '@playchacha/protocol';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, MARKET_ID, cancelInstruction, placeInstruction } from '../../testing/given-when-then.js';
import type { AccountView } from '../model.js';

const A = 1;
const B = 2;
const C = 3;
const M2 = 2;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('events and sequence numbers (%s)', (_name, makeModel) => {
  let h: Harness;
  /** Per command: the accounts whose balance or exposure changed, and the AccountUpdated events. */
  let updates: Array<{ command: string; changed: AccountView[]; updated: AccountEvent[] }>;

  function step(run: () => unknown): void {
    const before = new Map(h.model.accounts().map((a) => [a.accountId, a]));
    run();
    const changed = h.model
      .accounts()
      .filter((a) => {
        const was = before.get(a.accountId);
        return was === undefined
          ? a.balanceMinor !== 0 || a.exposureMinor !== 0
          : was.balanceMinor !== a.balanceMinor || was.exposureMinor !== a.exposureMinor;
      });
    const updated = h.last.filter((e): e is AccountEvent => e.type === 'AccountUpdated');
    updates.push({ command: String(h.lastSeq), changed, updated });
  }

  beforeEach(() => {
    h = new Harness(makeModel());
    updates = [];
    // A busy run over two markets and three accounts
    step(() => h.openAccount(A));
    step(() => h.openAccount(B, { openOrdersMax: 50 }));
    step(() => h.openAccount(C));
    for (const id of [A, B, C]) step(() => h.deposit(id, 100_000));
    step(() => h.createMarket(MARKET_ID));
    step(() => h.createMarket(M2, { runnerCount: 3 }));
    let o = 0;
    step(() => (o = h.back(A, '2.0', 1000).orderId));
    step(() => h.lay(B, '2.0', 400)); // matches A
    step(() => h.lay(C, '1.5', 300, { persistence: 'persist' }));
    step(() => h.back(B, '3.0', 300)); // B quotes the other side: exposure stays 400
    step(() => h.back(A, '2.0', 5, { marketId: 77 })); // rejected
    step(() => h.cancel(A, o, 100)); // reduction
    step(() => h.back(A, '2.0', 100, { clientOrderId: 'dup' }));
    step(() => h.back(A, '2.0', 100, { clientOrderId: 'dup' })); // duplicate
    step(() => h.batch(C, 'best_effort', [placeInstruction('back', '4.0', 200), placeInstruction('back', '4.0', 200, { marketId: M2, runnerIndex: 2 })]));
    step(() => h.batch(C, 'all_or_none', [placeInstruction('back', '4.0', 200), { ...placeInstruction('back', '4.0', 200), priceTicks: -1 }]));
    step(() => h.withdraw(C, 1000));
    step(() => h.when({ type: 'SetAccountLimits', accountId: C, limits: { openOrdersMax: 20 } }));
    step(() => h.suspend());
    step(() => h.resume());
    step(() => h.turnInPlay(MARKET_ID, 2000));
    step(() => h.lay(B, '2.0', 100, { persistence: 'persist' }));
    step(() => h.back(C, '2.0', 50)); // crosses: delayed
    step(() => h.advance(2000).clock()); // released
    step(() => h.clock()); // nothing
    step(() => h.when({ type: 'MassCancel', accountId: C, marketId: M2 }));
    step(() => h.back(B, '5.0', 100, { marketId: M2 }));
    step(() => h.lay(A, '5.0', 100, { marketId: M2 })); // matches B
    step(() => h.batch(A, 'best_effort', [cancelInstruction(o)]));
    step(() => h.closeMarket());
    step(() => h.settle([{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 1 }]));
    step(() => h.voidMarket(M2));
  });

  it('numbers every market stream 1, 2, 3, ... with no gap', () => {
    for (const marketId of [MARKET_ID, M2]) {
      const seqs = h.log.filter(isMarketEvent).filter((e) => e.marketId === marketId).map((e) => e.seq);
      expect(seqs.length).toBeGreaterThan(5);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(h.market(marketId).seq).toBe(seqs.length);
    }
  });

  it('numbers every account stream 1, 2, 3, ... with no gap, the house included', () => {
    for (const accountId of [0, A, B, C]) {
      const seqs = h.log.filter(isAccountEvent).filter((e) => e.accountId === accountId).map((e) => e.seq);
      expect(seqs.length).toBeGreaterThan(0);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
  });

  it('closes every accepted order exactly once, with size = matched + cancelled', () => {
    const accepted = h.logged('OrderAccepted').map((e) => e.orderId);
    const closed = h.logged('OrderClosed');
    expect(h.openOrderIds()).toEqual([]);
    expect(closed.map((e) => e.orderId).sort((x, y) => x - y)).toEqual([...accepted].sort((x, y) => x - y));
    for (const e of closed) expect(e.sizeMinor).toBe(e.matchedMinor + e.cancelledMinor);
  });

  it('emits AccountUpdated once per command for each account whose balance or exposure changed', () => {
    for (const { command, changed, updated } of updates) {
      const context = `command ${command}`;
      expect(updated.map((e) => e.accountId).sort(), context).toEqual(changed.map((a) => a.accountId).sort());
      for (const e of updated) {
        if (e.type !== 'AccountUpdated') continue;
        const now = changed.find((a) => a.accountId === e.accountId);
        expect({ balanceMinor: e.balanceMinor, exposureMinor: e.exposureMinor, availableMinor: e.availableMinor }, context).toEqual({
          balanceMinor: now?.balanceMinor,
          exposureMinor: now?.exposureMinor,
          availableMinor: now?.availableMinor,
        });
      }
    }
  });

  it('gives control events no stream: CommandRejected and OrderDuplicate name the command seq', () => {
    const control = h.log.filter((e) => e.type === 'CommandRejected' || e.type === 'OrderDuplicate');
    expect(control.length).toBeGreaterThan(0);
    for (const e of control) expect(e).toHaveProperty('commandSeq');
  });
});

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('event shapes (%s)', (_name, makeModel) => {
  it('reports a place, a match and the closes: accepted before matched before closed', () => {
    // given
    const h = new Harness(makeModel());
    h.openFundedAccount(A, 10_000);
    h.openFundedAccount(B, 10_000);
    h.createMarket();
    const lay = h.lay(B, '2.0', 300).orderId;
    // when
    const back = h.back(A, '2.0', 300).orderId;
    // then
    // PositionUpdated (per-market detail, not part of these rules) may come as well
    const types = h.last.map((e) => e.type).filter((type) => type !== 'PositionUpdated');
    expect([...types].sort()).toEqual(['AccountUpdated', 'OrderAccepted', 'OrderClosed', 'OrderClosed', 'OrderMatched']);
    expect(types.indexOf('OrderAccepted')).toBeLessThan(types.indexOf('OrderMatched'));
    expect(types.indexOf('OrderMatched')).toBeLessThan(types.indexOf('OrderClosed'));
    expect(h.events('OrderClosed').map((e) => e.orderId).sort()).toEqual([back, lay].sort());
    // A's exposure goes 0 → 300; B's open lay held liability 300 and its matched lay holds 300:
    // unchanged, so only A is updated
    expect(h.events('AccountUpdated').map((e) => e.accountId)).toEqual([A]);
  });

  it('emits AccountUpdated when a resting order holds funds and when a cancel releases them', () => {
    const h = new Harness(makeModel());
    h.openFundedAccount(A, 10_000);
    h.createMarket();
    // when a back of 1000 rests: exposure 0 → 1000
    const back = h.back(A, '2.0', 1000).orderId;
    // then
    expect(h.events('AccountUpdated')).toEqual([
      expect.objectContaining({ accountId: A, balanceMinor: 10_000, exposureMinor: 1000, availableMinor: 9000 }),
    ]);
    // when it is cancelled: exposure 1000 → 0
    h.cancel(A, back);
    expect(h.events('AccountUpdated')).toEqual([
      expect.objectContaining({ accountId: A, balanceMinor: 10_000, exposureMinor: 0, availableMinor: 10_000 }),
    ]);
  });

  it('emits no AccountUpdated when an order leaves the exposure as it was', () => {
    const h = new Harness(makeModel());
    h.openFundedAccount(A, 10_000);
    h.createMarket();
    h.back(A, '3.0', 1000);
    // when a lay of 1000 at 2.0: if 0 wins −1000, if 0 loses −1000 → still 1000
    h.lay(A, '2.0', 1000);
    expect(h.events('OrderAccepted')).toHaveLength(1);
    expect(h.events('AccountUpdated')).toEqual([]);
  });

  it('emits OrderRejected on the account stream for a rejected order, with no market event', () => {
    const h = new Harness(makeModel());
    h.openFundedAccount(A, 100);
    h.createMarket();
    const marketSeq = h.market().seq;
    h.back(A, '2.0', 500, { clientOrderId: 'too-big' });
    expect(h.last).toEqual([
      expect.objectContaining({ type: 'OrderRejected', accountId: A, instruction: 'place', instructionIndex: 0, marketId: MARKET_ID, clientOrderId: 'too-big', orderId: null, code: 'insufficient_funds' }),
    ]);
    expect(h.market().seq).toBe(marketSeq);
  });

  it('emits CommandRejected for a rejected command that is not an instruction', () => {
    const h = new Harness(makeModel());
    h.createMarket();
    h.resume();
    expect(h.last).toEqual([{ type: 'CommandRejected', commandSeq: h.lastSeq, commandType: 'ResumeMarket', code: 'invalid_transition' }]);
  });
});
