// Market lifecycle: creation, the allowed transitions, what each state does to orders.
import { beforeEach, describe, expect, it } from 'vitest';
import { COMMISSION_BPS_MAX, RUNNERS_PER_MARKET_MAX, type Command } from '@playchacha/protocol';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, MARKET_ID } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const M = MARKET_ID;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('market lifecycle (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
    h.openFundedAccount(A, 100_000);
    h.openFundedAccount(B, 100_000);
  });

  describe('creation', () => {
    it('creates an open market with the defaults', () => {
      // when
      h.when({ type: 'CreateMarket', marketId: M, runnerCount: 3 });
      // then
      expect(h.last).toEqual([
        {
          type: 'MarketCreated',
          marketId: M,
          seq: 1,
          runnerCount: 3,
          ladderId: 'standard',
          minStakeMinor: 1,
          commissionBps: 500,
          numberOfWinners: 1,
          persistenceAllowed: true,
        },
      ]);
      expect(h.market()).toEqual({ marketId: M, status: 'open', inPlay: false, betDelayMs: 0, runnerCount: 3, seq: 1 });
    });

    it('rejects a second market with the same id with market_exists', () => {
      h.createMarket(M);
      h.when({ type: 'CreateMarket', marketId: M, runnerCount: 4 });
      expect(h.rejectCode()).toBe('market_exists');
      expect(h.market().runnerCount).toBe(2);
    });

    it.each<[string, Partial<Extract<Command, { type: 'CreateMarket' }>>]>([
      ['no runners', { runnerCount: 0 }],
      ['too many runners', { runnerCount: RUNNERS_PER_MARKET_MAX + 1 }],
      ['an unknown ladder', { ladderId: 'no-such-ladder' }],
      ['commission over 100%', { commissionBps: COMMISSION_BPS_MAX + 1 }],
      ['more winners than runners', { runnerCount: 2, numberOfWinners: 3 }],
    ])('rejects %s with invalid_market_definition', (_what, fields) => {
      h.when({ type: 'CreateMarket', marketId: M, runnerCount: 2, ...fields });
      expect(h.rejectCode()).toBe('invalid_market_definition');
      expect(h.model.market(M)).toBeUndefined();
    });

    it.each<[string, Partial<Extract<Command, { type: 'CreateMarket' }>>]>([
      ['no winners', { numberOfWinners: 0 }],
      ['a minimum stake of 0', { minStakeMinor: 0 }],
    ])('rejects %s', (_what, fields) => {
      h.when({ type: 'CreateMarket', marketId: M, runnerCount: 2, ...fields });
      // open: an out-of-range field is invalid_command, a bad definition invalid_market_definition
      expect(['invalid_market_definition', 'invalid_command']).toContain(h.rejectCode());
      expect(h.model.market(M)).toBeUndefined();
    });
  });

  describe('transitions', () => {
    beforeEach(() => {
      h.createMarket(M);
    });

    it('suspends and resumes', () => {
      h.suspend();
      expect(h.events('MarketSuspended')).toHaveLength(1);
      expect(h.market().status).toBe('suspended');
      h.resume();
      expect(h.events('MarketResumed')).toHaveLength(1);
      expect(h.market().status).toBe('open');
    });

    it('keeps resting orders through a suspension', () => {
      const back = h.back(A, '2.0', 100).orderId;
      h.suspend();
      h.resume();
      expect(h.openOrderIds()).toEqual([back]);
    });

    it('turns in play from open', () => {
      h.turnInPlay(M, 5000);
      expect(h.events('MarketTurnedInPlay')).toEqual([expect.objectContaining({ marketId: M, betDelayMs: 5000 })]);
      expect(h.market()).toMatchObject({ status: 'open', inPlay: true, betDelayMs: 5000 });
    });

    it('turns in play from suspended', () => {
      h.suspend();
      h.turnInPlay(M, 0);
      expect(h.rejectCodes()).toEqual([]);
      expect(h.market().inPlay).toBe(true);
    });

    it('rejects a bet delay over the maximum with invalid_market_definition', () => {
      h.turnInPlay(M, 60_001);
      expect(h.rejectCode()).toBe('invalid_market_definition');
      expect(h.market().inPlay).toBe(false);
    });

    it('changes the bet delay in play', () => {
      h.turnInPlay(M, 5000);
      h.when({ type: 'SetBetDelay', marketId: M, betDelayMs: 1000 });
      expect(h.events('MarketBetDelayChanged')).toEqual([expect.objectContaining({ betDelayMs: 1000 })]);
      expect(h.market().betDelayMs).toBe(1000);
    });

    it('closes a market and every open order in it, in ascending order id', () => {
      // given
      const first = h.back(A, '2.0', 100).orderId;
      const second = h.lay(B, '1.5', 100, { persistence: 'persist' }).orderId;
      // when
      h.closeMarket();
      // then
      expect(h.events('MarketClosed')).toHaveLength(1);
      expect(h.events('OrderClosed')).toEqual([
        expect.objectContaining({ orderId: first, reason: 'market_closed', cancelledMinor: 100 }),
        expect.objectContaining({ orderId: second, reason: 'market_closed', cancelledMinor: 100 }),
      ]);
      expect(h.market().status).toBe('closed');
      expect(h.exposure(A)).toBe(0);
      expect(h.exposure(B)).toBe(0);
    });

    it('settles a closed market', () => {
      h.closeMarket();
      h.settle([{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 1 }]);
      expect(h.events('MarketSettled')).toEqual([expect.objectContaining({ commissionBps: 500 })]);
      expect(h.market().status).toBe('settled');
    });

    it.each<[string, (h: Harness) => void]>([
      ['open', () => undefined],
      ['suspended', (x) => x.suspend()],
      ['closed', (x) => x.closeMarket()],
    ])('voids a %s market and closes its orders market_voided', (_state, reach) => {
      // given
      const back = h.back(A, '2.0', 100).orderId;
      reach(h);
      // when
      h.voidMarket(M, 'abandoned');
      // then
      expect(h.events('MarketVoided')).toEqual([expect.objectContaining({ reason: 'abandoned' })]);
      expect(h.market().status).toBe('voided');
      expect(h.openOrderIds()).toEqual([]);
      expect(h.logged('OrderClosed').filter((e) => e.orderId === back)).toHaveLength(1);
    });

    it('voids in ascending order id across runners and sides', () => {
      // given
      const first = h.lay(B, '1.5', 100, { runnerIndex: 1 }).orderId;
      const second = h.back(A, '2.0', 100).orderId;
      const third = h.lay(A, '1.5', 100).orderId;
      // when
      h.voidMarket();
      // then
      expect(h.events('OrderClosed').map((e) => [e.orderId, e.reason])).toEqual([
        [first, 'market_voided'],
        [second, 'market_voided'],
        [third, 'market_voided'],
      ]);
    });

    it.each<[string, (h: Harness) => void, Command['type']]>([
      ['resume an open market', () => undefined, 'ResumeMarket'],
      ['suspend a suspended market', (x) => x.suspend(), 'SuspendMarket'],
      ['settle an open market', () => undefined, 'SettleMarket'],
      ['settle a suspended market', (x) => x.suspend(), 'SettleMarket'],
      ['close a closed market', (x) => x.closeMarket(), 'CloseMarket'],
      ['suspend a closed market', (x) => x.closeMarket(), 'SuspendMarket'],
      ['resume a closed market', (x) => x.closeMarket(), 'ResumeMarket'],
      ['turn a closed market in play', (x) => x.closeMarket(), 'TurnInPlay'],
      ['settle a settled market', (x) => x.closeAndSettle([0]), 'SettleMarket'],
      ['void a settled market', (x) => x.closeAndSettle([0]), 'VoidMarket'],
      ['close a settled market', (x) => x.closeAndSettle([0]), 'CloseMarket'],
      ['void a voided market', (x) => x.voidMarket(), 'VoidMarket'],
      ['settle a voided market', (x) => x.voidMarket(), 'SettleMarket'],
      ['resume a voided market', (x) => x.voidMarket(), 'ResumeMarket'],
    ])('rejects: %s (invalid_transition)', (_what, reach, type) => {
      reach(h);
      const status = h.market().status;
      h.when(marketCommand(type));
      expect(h.rejectCode()).toBe('invalid_transition');
      expect(h.market().status).toBe(status);
    });

    it('rejects market commands on an unknown market with unknown_market', () => {
      for (const type of ['SuspendMarket', 'ResumeMarket', 'TurnInPlay', 'CloseMarket', 'SettleMarket', 'VoidMarket', 'SetBetDelay'] as const) {
        h.when(marketCommand(type, 77));
        expect(h.rejectCode()).toBe('unknown_market');
      }
    });
  });

  describe('orders by market state', () => {
    let back: number;
    beforeEach(() => {
      h.createMarket(M);
      back = h.back(A, '2.0', 100).orderId;
    });

    it.each<[string, (h: Harness) => void, string]>([
      ['suspended', (x) => x.suspend(), 'market_suspended'],
      ['closed', (x) => x.closeMarket(), 'market_closed'],
      ['settled', (x) => x.closeAndSettle([0]), 'market_settled'],
      ['voided', (x) => x.voidMarket(), 'market_voided'],
    ])('rejects a new order on a %s market', (_state, reach, code) => {
      reach(h);
      const before = h.snapshot();
      h.lay(B, '2.0', 100);
      expect(h.rejectCode()).toBe(code);
      expect(h.snapshot()).toEqual(before);
    });

    it('rejects a replace on a suspended market and keeps the order', () => {
      h.suspend();
      h.replace(A, back, '3.0');
      expect(h.rejectCode()).toBe('market_suspended');
      expect(h.openOrder(back)).toMatchObject({ remainingMinor: 100 });
    });

    it('allows a cancel while suspended', () => {
      h.suspend();
      h.cancel(A, back);
      expect(h.closed(back)?.reason).toBe('cancelled');
      expect(h.exposure(A)).toBe(0);
    });

    it('allows a reduction while suspended', () => {
      h.suspend();
      h.cancel(A, back, 40);
      expect(h.events('OrderReduced')).toEqual([expect.objectContaining({ orderId: back, remainingMinor: 60 })]);
    });

    it('rejects an order on an unknown market with unknown_market', () => {
      h.back(A, '2.0', 100, { marketId: 77 });
      expect(h.rejectCode()).toBe('unknown_market');
    });
  });
});

function marketCommand(type: Command['type'], marketId = M): Command {
  switch (type) {
    case 'SuspendMarket':
    case 'ResumeMarket':
    case 'CloseMarket':
      return { type, marketId };
    case 'TurnInPlay':
    case 'SetBetDelay':
      return { type, marketId, betDelayMs: 0 };
    case 'SettleMarket':
      return { type, marketId, winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 1 }] };
    case 'VoidMarket':
      return { type, marketId, reason: 'test' };
    default:
      throw new Error(`not a market command: ${type}`);
  }
}
