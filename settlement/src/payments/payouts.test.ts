import { describe, expect, it } from 'vitest';
import { TEST_PAYOUT_FAILURE_CODE, TestPayouts } from './payouts.js';

const request = (amountMinor: number) => ({ withdrawalId: '0b7e3c1e-1d2a-4d7e-9a55-0c2f6c1a9e01', accountId: '7', amountMinor, currency: 'gbp' });

describe('TEST payouts', () => {
  it('pay at once under a TEST payout id of the withdrawal, and answer the same when asked again', async () => {
    const payouts = new TestPayouts();
    expect(payouts.mode).toBe('test');
    const answer = await payouts.pay(request(500));
    expect(answer).toEqual({ kind: 'paid', payoutId: 'test_po_0b7e3c1e-1d2a-4d7e-9a55-0c2f6c1a9e01' });
    expect(await payouts.pay(request(500))).toEqual(answer);
  });

  it('refuse an amount whose minor units end in 13, and only those', async () => {
    const payouts = new TestPayouts();
    for (const amountMinor of [13, 513, 100_013]) {
      expect(await payouts.pay(request(amountMinor))).toEqual({ kind: 'refused', failureCode: TEST_PAYOUT_FAILURE_CODE });
    }
    for (const amountMinor of [1, 12, 14, 11_300, 1_300, 131]) {
      expect((await payouts.pay(request(amountMinor))).kind).toBe('paid');
    }
  });
});
