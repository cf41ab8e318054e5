import { describe, expect, it } from 'vitest';
import { withdrawalMessage, withdrawalStateText } from './withdrawals';

describe('withdrawal messages', () => {
  it('says what each state means for the money', () => {
    expect(withdrawalStateText('payout_created')).toBe('Payout sent: on its way to your bank.');
    expect(withdrawalStateText('failed')).toContain('back in your balance');
    expect(withdrawalStateText('rejected')).toContain('nothing was withdrawn');
    expect(withdrawalStateText('something_new')).toBe('something_new');
  });

  it('says TEST, and that nothing reached a bank, for a withdrawal paid by the TEST payouts', () => {
    expect(withdrawalStateText('paid', true)).toBe('TEST payout: marked paid; nothing was sent to a bank.');
    expect(withdrawalStateText('failed', true)).toMatch(/^The TEST payout failed: .*back in your balance/);
    expect(withdrawalStateText('paid')).toBe('Paid to your bank.');
    expect(withdrawalStateText('rejected', true)).toBe(withdrawalStateText('rejected'));
    expect(withdrawalStateText('something_new', true)).toBe('something_new');
  });

  it('has a sentence for every refusal the payments service answers, saying whether to retry', () => {
    for (const code of ['insufficient_funds', 'withdrawal_refused', 'kyc_not_verified', 'kyc_rejected', 'account_frozen', 'idempotency_key_mismatch', 'invalid_request', 'stripe_not_configured', 'stripe_unavailable', 'engine_unavailable', 'internal_error', 'unauthorized']) {
      const message = withdrawalMessage(code, 'server text');
      expect(message).not.toBe('server text');
      expect(message).toMatch(/^[A-Z].*[.:]/);
    }
    expect(withdrawalMessage('insufficient_funds')).toContain('available balance');
    expect(withdrawalMessage('kyc_not_verified')).toContain('verified identity');
    expect(withdrawalMessage('stripe_unavailable')).toContain('not be paid twice');
    expect(withdrawalMessage('payments_unavailable')).toContain('not connected');
  });

  it('falls back to the server\'s message, then the code', () => {
    expect(withdrawalMessage('new_code', 'A new refusal.')).toBe('A new refusal.');
    expect(withdrawalMessage('new_code')).toBe('new_code');
  });
});
