import { describe, expect, it } from 'vitest';
import { isPaymentsPath, paymentsNotServed } from './payments-route';

const json = (value: unknown): ArrayBuffer => new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer;

describe('the payments route of the proxy', () => {
  it('takes only paths under v1/payments/', () => {
    expect(isPaymentsPath('v1/payments/withdrawals')).toBe(true);
    expect(isPaymentsPath('v1/paymentsx')).toBe(false);
    expect(isPaymentsPath('v1/account')).toBe(false);
  });

  it('recognises the gateway\'s 404 not_found as payments not served, and nothing else', () => {
    expect(paymentsNotServed(404, json({ error: { code: 'not_found', message: 'No such route.' } }))).toBe(true);
    expect(paymentsNotServed(404, json({ error: { code: 'test_deposits_disabled', message: '…' } }))).toBe(false);
    expect(paymentsNotServed(422, json({ error: { code: 'not_found' } }))).toBe(false);
    expect(paymentsNotServed(404, new TextEncoder().encode('<html>').buffer as ArrayBuffer)).toBe(false);
    expect(paymentsNotServed(404, json(null))).toBe(false);
    expect(paymentsNotServed(404, null)).toBe(false);
  });
});
