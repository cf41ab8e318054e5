// Accounts: opening, deposits and withdrawals, and their rejections.
import { beforeEach, describe, expect, it } from 'vitest';
import { BALANCE_MINOR_MAX, HOUSE_ACCOUNT_ID, TRANSFER_MINOR_MAX } from '@playchacha/protocol';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness } from '../../testing/given-when-then.js';

const A = 1;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('accounts (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
  });

  it('starts with the house account, empty', () => {
    expect(h.model.accounts()).toEqual([{ accountId: HOUSE_ACCOUNT_ID, balanceMinor: 0, exposureMinor: 0, availableMinor: 0 }]);
  });

  it('opens an account', () => {
    // when
    h.when({ type: 'OpenAccount', accountId: A, limits: { stakeMinorMax: 5000 } });
    // then
    expect(h.last).toEqual([{ type: 'AccountOpened', accountId: A, seq: 1, limits: { stakeMinorMax: 5000 } }]);
    expect(h.account(A)).toEqual({ accountId: A, balanceMinor: 0, exposureMinor: 0, availableMinor: 0 });
  });

  it('rejects a second account with the same id with account_exists', () => {
    h.openAccount(A);
    h.when({ type: 'OpenAccount', accountId: A });
    expect(h.rejectCode()).toBe('account_exists');
    expect(h.model.accounts().map((a) => a.accountId)).toEqual([HOUSE_ACCOUNT_ID, A]);
  });

  it('never opens the house account again', () => {
    h.when({ type: 'OpenAccount', accountId: HOUSE_ACCOUNT_ID });
    // open: the house exists (account_exists), and ids are positive (invalid_command)
    expect(['account_exists', 'invalid_command']).toContain(h.rejectCode());
  });

  describe('with an account', () => {
    beforeEach(() => {
      h.openAccount(A);
    });

    it('deposits', () => {
      // when
      h.deposit(A, 1000, 't-1');
      // then
      expect(h.events('FundsDeposited')).toEqual([
        expect.objectContaining({ accountId: A, transferId: 't-1', amountMinor: 1000, balanceMinor: 1000 }),
      ]);
      expect(h.events('AccountUpdated')).toEqual([
        expect.objectContaining({ accountId: A, balanceMinor: 1000, exposureMinor: 0, availableMinor: 1000 }),
      ]);
      expect(h.account(A)).toMatchObject({ balanceMinor: 1000, availableMinor: 1000 });
    });

    it('withdraws up to the available balance', () => {
      h.deposit(A, 1000);
      // when
      h.withdraw(A, 1001);
      // then
      expect(h.rejectCode()).toBe('insufficient_funds');
      expect(h.balance(A)).toBe(1000);
      // when
      h.withdraw(A, 1000, 'w-all');
      // then
      expect(h.events('FundsWithdrawn')).toEqual([
        expect.objectContaining({ accountId: A, transferId: 'w-all', amountMinor: 1000, balanceMinor: 0 }),
      ]);
      expect(h.balance(A)).toBe(0);
    });

    it.each([0, -5, 1.5, Number.NaN, TRANSFER_MINOR_MAX + 1])('rejects an amount of %s with invalid_amount', (amountMinor) => {
      h.deposit(A, amountMinor);
      expect(h.rejectCode()).toBe('invalid_amount');
      h.withdraw(A, amountMinor);
      expect(h.rejectCode()).toBe('invalid_amount');
      expect(h.balance(A)).toBe(0);
    });

    it('accepts the largest transfer', () => {
      h.deposit(A, TRANSFER_MINOR_MAX);
      expect(h.balance(A)).toBe(TRANSFER_MINOR_MAX);
    });

    it('rejects a repeated transfer id with duplicate_transfer', () => {
      h.deposit(A, 1000, 'same');
      // when
      h.deposit(A, 1000, 'same');
      // then
      expect(h.rejectCode()).toBe('duplicate_transfer');
      expect(h.balance(A)).toBe(1000);
      // and for withdrawals
      h.withdraw(A, 100, 'out');
      h.withdraw(A, 100, 'out');
      expect(h.rejectCode()).toBe('duplicate_transfer');
      expect(h.balance(A)).toBe(900);
    });

    it('rejects a deposit over the largest balance with balance_limit', { timeout: 120_000 }, () => {
      // given 10^15 / 10^10 = 100000 deposits of the largest transfer: the balance is at the maximum
      const deposits = BALANCE_MINOR_MAX / TRANSFER_MINOR_MAX;
      for (let i = 0; i < deposits; i += 1) h.deposit(A, TRANSFER_MINOR_MAX, `fill-${i}`);
      expect(h.balance(A)).toBe(BALANCE_MINOR_MAX);
      // when
      h.deposit(A, 1, 'one-more');
      // then
      expect(h.rejectCode()).toBe('balance_limit');
      expect(h.balance(A)).toBe(BALANCE_MINOR_MAX);
    });
  });

  it('rejects transfers for an unknown account with unknown_account', () => {
    h.deposit(77, 1000);
    expect(h.rejectCode()).toBe('unknown_account');
    h.withdraw(77, 1000);
    expect(h.rejectCode()).toBe('unknown_account');
  });

  it('rejects an order of an unknown account with unknown_account', () => {
    h.createMarket();
    h.back(77, '2.0', 100);
    expect(h.rejectCode()).toBe('unknown_account');
    expect(h.openOrderIds()).toEqual([]);
  });
});
