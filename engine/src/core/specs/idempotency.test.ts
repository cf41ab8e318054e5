// Client order ids: a permanent idempotency key per account. A repeat returns the first result
// and changes nothing.
import { beforeEach, describe, expect, it } from 'vitest';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, MARKET_ID } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const POOR = 9;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('idempotency (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
    h.openFundedAccount(A, 100_000);
    h.openFundedAccount(B, 100_000);
    h.openFundedAccount(POOR, 1000);
    h.createMarket();
  });

  it('returns the first order id for a repeated client order id and changes nothing', () => {
    // given
    const first = h.back(A, '2.0', 500, { clientOrderId: 'k1' }).orderId;
    const before = h.snapshot();
    // when the same id comes again, even with other terms
    h.lay(A, '1.5', 700, { clientOrderId: 'k1' });
    // then
    expect(h.last).toEqual([
      { type: 'OrderDuplicate', commandSeq: h.lastSeq, accountId: A, clientOrderId: 'k1', orderId: first, code: null },
    ]);
    expect(h.snapshot()).toEqual(before);
  });

  it('returns the first reject code for a repeat of a rejected order and changes nothing', () => {
    // given POOR's back of 2000 is rejected
    h.back(POOR, '2.0', 2000, { clientOrderId: 'k2' });
    expect(h.rejectCode()).toBe('insufficient_funds');
    // and POOR then has the money
    h.deposit(POOR, 5000);
    const before = h.snapshot();
    // when
    h.back(POOR, '2.0', 2000, { clientOrderId: 'k2' });
    // then
    expect(h.last).toEqual([
      { type: 'OrderDuplicate', commandSeq: h.lastSeq, accountId: POOR, clientOrderId: 'k2', orderId: null, code: 'insufficient_funds' },
    ]);
    expect(h.snapshot()).toEqual(before);
  });

  it('remembers the reject code of a validation failure', () => {
    h.when({ type: 'PlaceOrder', accountId: A, clientOrderId: 'k3', marketId: MARKET_ID, runnerIndex: 0, side: 'back', priceTicks: 350, stakeMinor: 100 });
    expect(h.rejectCode()).toBe('invalid_price');
    h.back(A, '2.0', 100, { clientOrderId: 'k3' });
    expect(h.events('OrderDuplicate')).toEqual([expect.objectContaining({ orderId: null, code: 'invalid_price' })]);
    expect(h.openOrderIds()).toEqual([]);
  });

  it('keeps the key after the order is closed', () => {
    const first = h.back(A, '2.0', 500, { clientOrderId: 'k4' }).orderId;
    h.cancel(A, first);
    h.back(A, '2.0', 500, { clientOrderId: 'k4' });
    expect(h.events('OrderDuplicate')).toEqual([expect.objectContaining({ orderId: first, code: null })]);
    expect(h.openOrderIds()).toEqual([]);
  });

  it('treats a replace with a used client order id as a repeat and leaves the order alone', () => {
    const first = h.back(A, '2.0', 500, { clientOrderId: 'k5' }).orderId;
    const second = h.back(A, '3.0', 500, { clientOrderId: 'k6' }).orderId;
    const before = h.snapshot();
    // when the second order is replaced with the first order's client order id
    h.replace(A, second, '2.5', 'k5');
    // then
    expect(h.events('OrderDuplicate')).toEqual([expect.objectContaining({ clientOrderId: 'k5', orderId: first, code: null })]);
    expect(h.snapshot()).toEqual(before);
  });

  it('keys per account: another account may use the same client order id', () => {
    h.back(A, '2.0', 500, { clientOrderId: 'shared' });
    h.back(B, '2.5', 500, { clientOrderId: 'shared' });
    expect(h.events('OrderDuplicate')).toEqual([]);
    expect(h.events('OrderAccepted')).toHaveLength(1);
  });
});
