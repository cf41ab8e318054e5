// Resettlement: a settled market resettled with new winners, a settled market voided, a void
// market settled (un-void); each account's previous result and commission reversed and the new
// ones applied; the house's take following; balances that go below zero after a clawback.
import { beforeEach, describe, expect, it } from 'vitest';
import { HOUSE_ACCOUNT_ID, type CommandEnvelope, type DeadHeat } from '@playchacha/protocol';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const C = 3;
const START_MINOR = 100_000;
const HOUSE = HOUSE_ACCOUNT_ID;
const MARKET_2 = 2;

function winner(runnerIndex: number, factorNumerator = 1, factorDenominator = 1): DeadHeat {
  return { runnerIndex, factorNumerator, factorDenominator };
}

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('resettlement (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
    for (const id of [A, B, C]) h.openFundedAccount(id, START_MINOR);
  });

  function totalBalances(): number {
    return h.model.accounts().reduce((sum, a) => sum + a.balanceMinor, 0);
  }

  function resettled(accountId: number): Record<string, number> | undefined {
    const e = h.events('AccountResettled').find((x) => x.accountId === accountId);
    if (e === undefined) return undefined;
    const { previousPnlMinor, previousCommissionMinor, pnlMinor, commissionMinor, changeMinor, balanceMinor } = e;
    return { previousPnlMinor, previousCommissionMinor, pnlMinor, commissionMinor, changeMinor, balanceMinor };
  }

  describe('a back of 1000 at 2.0 by A against B, settled with runner 0 winning', () => {
    beforeEach(() => {
      h.createMarket();
      h.lay(B, '2.0', 1000);
      h.back(A, '2.0', 1000);
      h.closeAndSettle([0]);
      // A +1000 − 50 commission, B −1000, the house 50.
      expect([h.balance(A), h.balance(B), h.balance(HOUSE)]).toEqual([100_950, 99_000, 50]);
    });

    it('resettles with runner 1: reverses A\'s win and its commission, pays B less commission', () => {
      h.resettle([winner(1)]);
      expect(h.events('MarketResettled')).toEqual([
        expect.objectContaining({ previousOutcome: 'settled', outcome: 'settled', winners: [winner(1)], commissionBps: 500, reason: 'result corrected' }),
      ]);
      expect(resettled(A)).toEqual({
        previousPnlMinor: 1000,
        previousCommissionMinor: 50,
        pnlMinor: -1000,
        commissionMinor: 0,
        changeMinor: -1950,
        balanceMinor: 99_000,
      });
      expect(resettled(B)).toEqual({
        previousPnlMinor: -1000,
        previousCommissionMinor: 0,
        pnlMinor: 1000,
        commissionMinor: 50,
        changeMinor: 1950,
        balanceMinor: 100_950,
      });
      expect([h.balance(A), h.balance(B), h.balance(HOUSE)]).toEqual([99_000, 100_950, 50]);
      expect(h.market().status).toBe('settled');
      expect(totalBalances()).toBe(3 * START_MINOR);
    });

    it('resettled twice, back to the first winners, leaves every balance where the first settlement did', () => {
      h.resettle([winner(1)]);
      h.resettle([winner(0)]);
      expect(resettled(A)).toMatchObject({ previousPnlMinor: -1000, pnlMinor: 1000, commissionMinor: 50, changeMinor: 1950 });
      expect([h.balance(A), h.balance(B), h.balance(HOUSE)]).toEqual([100_950, 99_000, 50]);
      expect(totalBalances()).toBe(3 * START_MINOR);
    });

    it('voided after settlement: every stake returned and the house\'s commission reversed', () => {
      h.resettle(null);
      expect(h.events('MarketResettled')).toEqual([expect.objectContaining({ previousOutcome: 'settled', outcome: 'voided', winners: null })]);
      expect(resettled(A)).toMatchObject({ pnlMinor: 0, commissionMinor: 0, changeMinor: -950 });
      expect(resettled(B)).toMatchObject({ pnlMinor: 0, commissionMinor: 0, changeMinor: 1000 });
      expect([h.balance(A), h.balance(B), h.balance(HOUSE)]).toEqual([START_MINOR, START_MINOR, 0]);
      expect(h.market().status).toBe('voided');
    });

    it('un-voided: a void market settled again pays as the first settlement did', () => {
      h.resettle(null);
      h.resettle([winner(0)]);
      expect(h.events('MarketResettled')).toEqual([expect.objectContaining({ previousOutcome: 'voided', outcome: 'settled' })]);
      expect(resettled(A)).toMatchObject({ previousPnlMinor: 0, previousCommissionMinor: 0, pnlMinor: 1000, commissionMinor: 50, changeMinor: 950 });
      expect([h.balance(A), h.balance(B), h.balance(HOUSE)]).toEqual([100_950, 99_000, 50]);
      expect(h.market().status).toBe('settled');
    });

    it('accepts a dead heat as the new result: floor((−1000 + 2000 × 1/2)) = 0 for A, 0 for B', () => {
      h.resettle([winner(0, 1, 2), winner(1, 1, 2)]);
      expect(resettled(A)).toMatchObject({ pnlMinor: 0, commissionMinor: 0, changeMinor: -950 });
      expect(resettled(B)).toMatchObject({ pnlMinor: 0, changeMinor: 1000 });
      expect(h.balance(HOUSE)).toBe(0);
    });

    it('counts the change toward the loss limit like a settlement', () => {
      h.apply({ type: 'SetAccountLimits', accountId: A, limits: { lossLimitMinor: 1000 } });
      h.resettle([winner(1)]);
      // A's realised result since the limit was set is −1950, beyond the limit of 1000.
      h.createMarket(MARKET_2);
      const place = h.back(A, '2.0', 10, { marketId: MARKET_2 });
      expect(place.accepted).toBe(false);
      expect(h.rejectCode()).toBe('loss_limit_exceeded');
    });
  });

  it('recomputes commission on the new net winnings of the market, not per bet', () => {
    // A backs runner 0 for 1000 at 3.0 (B lays) and runner 1 for 500 at 2.0 (C lays).
    h.createMarket(1, { runnerCount: 3 });
    h.lay(B, '3.0', 1000);
    h.back(A, '3.0', 1000);
    h.lay(C, '2.0', 500, { runnerIndex: 1 });
    h.back(A, '2.0', 500, { runnerIndex: 1 });
    h.closeAndSettle([0]);
    // A: +2000 − 500 = 1500, commission 75.
    expect(h.balance(A)).toBe(START_MINOR + 1425);
    h.resettle([winner(1)]);
    // A: −1000 + 500 = −500, no commission; C: −500; B: +1000, commission 50.
    expect(resettled(A)).toMatchObject({ previousPnlMinor: 1500, previousCommissionMinor: 75, pnlMinor: -500, commissionMinor: 0, changeMinor: -1925 });
    expect(resettled(B)).toMatchObject({ pnlMinor: 1000, commissionMinor: 50 });
    expect(resettled(C)).toMatchObject({ previousPnlMinor: 500, previousCommissionMinor: 25, pnlMinor: -500, changeMinor: -975 });
    expect([h.balance(A), h.balance(B), h.balance(C), h.balance(HOUSE)]).toEqual([99_500, 100_950, 99_500, 50]);
    expect(totalBalances()).toBe(3 * START_MINOR);
  });

  describe('a clawback beyond what the account still holds', () => {
    let restingOrderId: number;
    beforeEach(() => {
      h.createMarket();
      h.createMarket(MARKET_2);
      h.lay(B, '2.0', 1000);
      h.back(A, '2.0', 1000);
      h.closeAndSettle([0]);
      restingOrderId = h.back(A, '2.0', 500, { marketId: MARKET_2 }).orderId;
      // A withdraws everything it may: 100 950 − the 500 held for its resting order.
      h.given({ type: 'Withdraw', accountId: A, transferId: 'all', amountMinor: 100_450 });
      h.resettle([winner(1)]);
    });

    it('leaves the balance below zero: A owes what it was paid', () => {
      expect(h.account(A)).toEqual({ accountId: A, balanceMinor: -1450, exposureMinor: 500, availableMinor: -1950 });
      expect(h.events('AccountUpdated').find((e) => e.accountId === A)).toMatchObject({ balanceMinor: -1450, availableMinor: -1950 });
    });

    it('refuses orders that add risk and every withdrawal while available is below zero', () => {
      const place = h.back(A, '2.0', 100, { marketId: MARKET_2 });
      expect(place.accepted).toBe(false);
      expect(h.rejectCode()).toBe('insufficient_funds');
      h.withdraw(A, 1);
      expect(h.rejectCode()).toBe('insufficient_funds');
      expect(h.account(A).availableMinor).toBe(-1950);
    });

    it('lets the account lower its risk, and deposits repay the debt before anything can be staked', () => {
      h.cancel(A, restingOrderId, undefined, MARKET_2);
      expect(h.rejectCode()).toBeUndefined();
      expect(h.account(A)).toEqual({ accountId: A, balanceMinor: -1450, exposureMinor: 0, availableMinor: -1450 });
      h.deposit(A, 1000);
      expect(h.account(A).availableMinor).toBe(-450);
      h.back(A, '2.0', 100, { marketId: MARKET_2 });
      expect(h.rejectCode()).toBe('insufficient_funds');
      h.deposit(A, 1000);
      expect(h.account(A).availableMinor).toBe(550);
      expect(h.back(A, '2.0', 100, { marketId: MARKET_2 }).accepted).toBe(true);
      expect(totalBalances()).toBe(3 * START_MINOR - 100_450 + 2000);
    });
  });

  it('accepts an order that lowers the exposure of an account that owes', () => {
    h.createMarket();
    h.createMarket(MARKET_2);
    h.lay(B, '2.0', 1000);
    h.back(A, '2.0', 1000);
    h.closeAndSettle([0]);
    // A backs runner 0 of market 2 for 500 at 2.0 (C lays): it stands to lose 500.
    h.lay(C, '2.0', 500, { marketId: MARKET_2 });
    h.back(A, '2.0', 500, { marketId: MARKET_2 });
    h.given({ type: 'Withdraw', accountId: A, transferId: 'all', amountMinor: 100_450 });
    h.resettle([winner(1)]);
    expect(h.account(A)).toEqual({ accountId: A, balanceMinor: -1450, exposureMinor: 500, availableMinor: -1950 });
    // A lays runner 0 for 500 at 2.0 against B's back: the two bets cancel out, nothing at risk.
    h.back(B, '2.0', 500, { marketId: MARKET_2 });
    const hedge = h.lay(A, '2.0', 500, { marketId: MARKET_2 });
    expect(hedge.accepted).toBe(true);
    expect(h.fills()).toHaveLength(1);
    expect(h.account(A)).toEqual({ accountId: A, balanceMinor: -1450, exposureMinor: 0, availableMinor: -1450 });
    // A lay beyond the hedge would add risk again: refused.
    h.back(B, '2.0', 100, { marketId: MARKET_2 });
    expect(h.lay(A, '2.0', 100, { marketId: MARKET_2 }).accepted).toBe(false);
    expect(h.rejectCode()).toBe('insufficient_funds');
  });

  describe('rejections', () => {
    beforeEach(() => {
      h.createMarket();
      h.lay(B, '2.0', 1000);
      h.back(A, '2.0', 1000);
    });

    it('refuses a market that is not settled or void, and a void of a void market', () => {
      h.resettle([winner(0)]);
      expect(h.rejectCode()).toBe('invalid_transition');
      h.closeMarket();
      h.resettle(null);
      expect(h.rejectCode()).toBe('invalid_transition');
      h.voidMarket();
      h.resettle(null);
      expect(h.rejectCode()).toBe('invalid_transition');
      expect([h.balance(A), h.balance(B)]).toEqual([START_MINOR, START_MINOR]);
    });

    it('checks the command, the market and the winners first, and changes nothing', () => {
      h.closeAndSettle([0]);
      const before = h.model.accounts();
      h.apply({ type: 'ResettleMarket', marketId: 1, winners: [winner(1)], reason: '' });
      expect(h.rejectCode()).toBe('invalid_command');
      h.apply({ type: 'ResettleMarket', marketId: 1, winners: 'runner 1', reason: 'x' } as never);
      expect(h.rejectCode()).toBe('invalid_command');
      h.resettle([winner(1)], 99);
      expect(h.rejectCode()).toBe('unknown_market');
      h.resettle([winner(0), winner(1)]);
      expect(h.rejectCode()).toBe('invalid_settlement');
      h.resettle([winner(5)]);
      expect(h.rejectCode()).toBe('invalid_settlement');
      expect(h.model.accounts()).toEqual(before);
      expect(h.market().status).toBe('settled');
    });
  });
});

describe('resettlement in the fast core', () => {
  it('keeps every invariant, and a replay or a snapshot gives the same state hash', () => {
    const core = new ExchangeCore();
    const applied: CommandEnvelope[] = [];
    const model = {
      apply: (envelope: CommandEnvelope) => {
        applied.push(envelope);
        const events = core.apply(envelope);
        core.checkInvariants();
        return events;
      },
      accounts: () => core.accounts(),
      account: (accountId: number) => core.account(accountId),
      openOrders: () => core.openOrders(),
      market: (marketId: number) => core.market(marketId),
      bookSide: (...args: Parameters<ExchangeCore['bookSide']>) => core.bookSide(...args),
      traded: (marketId: number) => core.traded(marketId),
    };
    const h = new Harness(model);
    for (const id of [A, B, C]) h.openFundedAccount(id, START_MINOR);
    h.createMarket(1, { runnerCount: 3 });
    h.lay(B, '3.0', 1000);
    h.back(A, '3.0', 1000);
    h.lay(C, '2.0', 500, { runnerIndex: 1 });
    h.back(A, '2.0', 500, { runnerIndex: 1 });
    h.closeAndSettle([0]);
    h.given({ type: 'Withdraw', accountId: A, transferId: 'w', amountMinor: START_MINOR });
    const afterSettle = core.stateHash();
    h.resettle([winner(1)]);
    expect(core.stateHash()).not.toBe(afterSettle);
    h.resettle(null);
    h.resettle([winner(2)]);
    // A lost both bets under runner 2: −1500, from the 1425 it had won and withdrawn. B and C
    // each win and pay commission: the house holds 50 + 25.
    expect(h.account(A)).toEqual({ accountId: A, balanceMinor: -1500, exposureMinor: 0, availableMinor: -1500 });
    expect([h.balance(B), h.balance(C), h.balance(HOUSE)]).toEqual([100_950, 100_475, 75]);

    const replay = new ExchangeCore();
    for (const envelope of applied) replay.apply(envelope);
    expect(replay.stateHash()).toBe(core.stateHash());
    const restored = ExchangeCore.fromSnapshot(JSON.parse(JSON.stringify(core.snapshot())) as ReturnType<ExchangeCore['snapshot']>);
    expect(restored.stateHash()).toBe(core.stateHash());
    // The restored core resettles exactly as the live one does.
    const next: CommandEnvelope = {
      seq: applied.length + 1,
      timestampMs: h.nowMs,
      command: { type: 'ResettleMarket', marketId: 1, winners: [winner(0)], reason: 'again' },
    };
    expect(restored.apply(next)).toEqual(core.apply(next));
    expect(restored.stateHash()).toBe(core.stateHash());
    core.checkInvariants();
  });
});
