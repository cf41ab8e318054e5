// Account status: suspended accounts may cancel but not place or replace; freezing cancels every
// open order and also refuses withdrawals; deposits always credit; active restores trading.
import { beforeEach, describe, expect, it } from 'vitest';
import type { AccountStatus, Command } from '@playchacha/protocol';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, placeInstruction } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;

function setStatus(accountId: number, status: AccountStatus): Command {
  return { type: 'SetAccountStatus', accountId, status };
}

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('account status (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
    h.openFundedAccount(A, 100_000);
    h.openFundedAccount(B, 100_000);
    h.createMarket(1);
    h.createMarket(2);
  });

  it('announces the status on the account stream', () => {
    h.when(setStatus(A, 'suspended'));
    expect(h.events('AccountStatusSet')).toEqual([{ type: 'AccountStatusSet', accountId: A, seq: expect.any(Number), status: 'suspended' }]);
  });

  describe('suspended', () => {
    let resting: number;
    beforeEach(() => {
      resting = h.back(A, '2.0', 1000).orderId;
      h.given(setStatus(A, 'suspended'));
    });

    it('rejects places, replaces and the places of a batch with account_suspended, changing nothing', () => {
      const before = h.snapshot();
      h.back(A, '2.0', 100);
      expect(h.rejectCode()).toBe('account_suspended');
      h.replace(A, resting, '3.0');
      expect(h.rejectCode()).toBe('account_suspended');
      h.batch(A, 'all_or_none', [placeInstruction('back', '2.0', 100)]);
      expect(h.rejectCode()).toBe('account_suspended');
      expect(h.snapshot()).toEqual(before);
      // a best-effort batch: the place is rejected, the cancel of part of the resting order works
      h.batch(A, 'best_effort', [placeInstruction('back', '2.0', 100), { kind: 'cancel', marketId: 1, orderId: resting, reduceByMinor: 100 }]);
      expect(h.rejectCodes()).toEqual(['account_suspended']);
      expect(h.openOrder(resting)?.remainingMinor).toBe(900);
      expect(h.exposure(A)).toBe(900);
    });

    it('keeps the open orders, which still match', () => {
      expect(h.openOrderIds()).toEqual([resting]);
      h.lay(B, '2.0', 400);
      expect(h.fills()).toHaveLength(1);
      expect(h.openOrder(resting)?.remainingMinor).toBe(600);
    });

    it('lets the account cancel and withdraw', () => {
      h.cancel(A, resting);
      expect(h.closed(resting)?.reason).toBe('cancelled');
      h.withdraw(A, 5000);
      expect(h.rejectCode()).toBeUndefined();
      expect(h.balance(A)).toBe(95_000);
    });

    it('trades again once active', () => {
      h.given(setStatus(A, 'active'));
      expect(h.back(A, '2.0', 100).accepted).toBe(true);
    });
  });

  describe('frozen', () => {
    it('cancels every open order of the account in the same command, after AccountStatusSet', () => {
      const first = h.back(A, '2.0', 1000).orderId;
      const second = h.lay(A, '3.0', 500, { marketId: 2 }).orderId;
      const other = h.back(B, '2.2', 700).orderId;
      h.when(setStatus(A, 'frozen'));
      expect(h.last.map((e) => e.type).slice(0, 3)).toEqual(['AccountStatusSet', 'OrderClosed', 'OrderClosed']);
      expect(h.events('OrderClosed').map((e) => [e.orderId, e.reason, e.cancelledMinor])).toEqual([
        [first, 'account_frozen', 1000],
        [second, 'account_frozen', 500],
      ]);
      expect(h.openOrderIds()).toEqual([other]);
      expect(h.exposure(A)).toBe(0);
      expect(h.events('AccountUpdated').map((e) => e.accountId)).toEqual([A]);
    });

    it('rejects orders and withdrawals with account_frozen but credits deposits', () => {
      h.given(setStatus(A, 'frozen'));
      h.back(A, '2.0', 100);
      expect(h.rejectCode()).toBe('account_frozen');
      h.withdraw(A, 100);
      expect(h.rejectCode()).toBe('account_frozen');
      expect(h.balance(A)).toBe(100_000);
      h.deposit(A, 2500);
      expect(h.rejectCode()).toBeUndefined();
      expect(h.balance(A)).toBe(102_500);
    });

    it('keeps matched bets: they settle as usual', () => {
      h.lay(B, '2.0', 1000);
      h.back(A, '2.0', 1000);
      h.given(setStatus(A, 'frozen'));
      expect(h.exposure(A)).toBe(1000);
      h.closeAndSettle([0]);
      expect(h.exposure(A)).toBe(0);
      expect(h.balance(A)).toBeGreaterThan(100_000);
    });

    it('trades and withdraws again once active', () => {
      h.given(setStatus(A, 'frozen'), setStatus(A, 'active'));
      expect(h.back(A, '2.0', 100).accepted).toBe(true);
      h.withdraw(A, 100);
      expect(h.rejectCode()).toBeUndefined();
    });
  });

  it('rejects an unknown status with invalid_command and an unknown account with unknown_account', () => {
    h.when({ type: 'SetAccountStatus', accountId: A, status: 'closed' } as unknown as Command);
    expect(h.rejectCode()).toBe('invalid_command');
    h.when(setStatus(77, 'frozen'));
    expect(h.rejectCode()).toBe('unknown_account');
  });
});
