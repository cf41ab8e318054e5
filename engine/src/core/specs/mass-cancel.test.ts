// MassCancel: by account, market, runner and side, and the operator's cancel of a whole market.
import { beforeEach, describe, expect, it } from 'vitest';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('mass cancel (%s)', (_name, makeModel) => {
  let h: Harness;
  let m1r0Back: number;
  let m1r0Lay: number;
  let m1r1Back: number;
  let m2r0Back: number;
  let otherAccount: number;
  beforeEach(() => {
    h = new Harness(makeModel());
    h.openFundedAccount(A, 100_000);
    h.openFundedAccount(B, 100_000);
    h.createMarket(1);
    h.createMarket(2);
    m1r0Back = h.back(A, '2.0', 100).orderId;
    m1r0Lay = h.lay(A, '1.5', 100).orderId;
    m1r1Back = h.back(A, '2.0', 100, { runnerIndex: 1 }).orderId;
    m2r0Back = h.back(A, '2.0', 100, { marketId: 2 }).orderId;
    otherAccount = h.back(B, '2.0', 100).orderId;
  });

  function closedIds(): number[] {
    const closed = h.events('OrderClosed');
    expect(closed.every((e) => e.reason === 'mass_cancelled')).toBe(true);
    return closed.map((e) => e.orderId);
  }

  it('closes every open order of an account on one market, in ascending order id', () => {
    h.when({ type: 'MassCancel', accountId: A, marketId: 1 });
    expect(closedIds()).toEqual([m1r0Back, m1r0Lay, m1r1Back]);
    expect(h.openOrderIds()).toEqual([m2r0Back, otherAccount]);
  });

  it('closes only one runner', () => {
    h.when({ type: 'MassCancel', accountId: A, marketId: 1, runnerIndex: 1 });
    expect(closedIds()).toEqual([m1r1Back]);
  });

  it('closes only one side', () => {
    h.when({ type: 'MassCancel', accountId: A, marketId: 1, side: 'lay' });
    expect(closedIds()).toEqual([m1r0Lay]);
  });

  it('closes one side on every market', () => {
    h.when({ type: 'MassCancel', accountId: A, side: 'back' });
    expect(closedIds()).toEqual([m1r0Back, m1r1Back, m2r0Back]);
  });

  it('closes every open order of the account, and only its own, releasing what they held', () => {
    // given A holds: market 1 — backs 100 on runners 0 and 1 and a lay of 100 at 1.5 on runner 0
    // (liability 50): if 0 wins −50 (lay) − 100 (back on 1) = −150, if 1 wins −100 (back on 0)
    // → 150; market 2: 100; in all 150 + 100 = 250
    expect(h.exposure(A)).toBe(250);
    // when
    h.when({ type: 'MassCancel', accountId: A });
    // then
    expect(closedIds()).toEqual([m1r0Back, m1r0Lay, m1r1Back, m2r0Back]);
    expect(h.openOrderIds()).toEqual([otherAccount]);
    expect(h.account(A)).toMatchObject({ exposureMinor: 0, availableMinor: 100_000 });
    expect(h.events('AccountUpdated').map((e) => e.accountId)).toEqual([A]);
  });

  it('lets an operator close every order of a market', () => {
    // when (no account)
    h.when({ type: 'MassCancel', marketId: 1 });
    // then
    expect(closedIds()).toEqual([m1r0Back, m1r0Lay, m1r1Back, otherAccount]);
    expect(h.openOrderIds()).toEqual([m2r0Back]);
    expect(h.exposure(B)).toBe(0);
  });

  it('rejects an operator mass cancel without a market', () => {
    // plainest reading: without accountId the command needs marketId, else it is malformed
    h.when({ type: 'MassCancel' });
    expect(h.rejectCode()).toBe('invalid_command');
    expect(h.openOrderIds()).toHaveLength(5);
  });

  it('closes nothing and rejects nothing when no order matches the filters', () => {
    h.when({ type: 'MassCancel', accountId: A, marketId: 2, side: 'lay' });
    expect(h.rejectCodes()).toEqual([]);
    expect(h.events('OrderClosed')).toEqual([]);
  });

  it('is allowed while the market is suspended', () => {
    h.suspend(1);
    h.when({ type: 'MassCancel', accountId: A, marketId: 1 });
    expect(closedIds()).toEqual([m1r0Back, m1r0Lay, m1r1Back]);
  });

  it('rejects an unknown account or market', () => {
    h.when({ type: 'MassCancel', accountId: 77 });
    expect(h.rejectCode()).toBe('unknown_account');
    h.when({ type: 'MassCancel', accountId: A, marketId: 77 });
    expect(h.rejectCode()).toBe('unknown_market');
  });
});
