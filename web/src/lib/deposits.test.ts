import { describe, expect, it } from 'vitest';
import { cardFailureMessage, depositCredited, depositMessage } from './deposits';

describe('card deposit messages', () => {
  it('has a sentence for each responsible-gambling and limit refusal, and falls back to the server\'s message', () => {
    expect(depositMessage('deposit_limit_exceeded')).toContain('deposit limit you set');
    expect(depositMessage('self_excluded')).toContain('excluded yourself');
    expect(depositMessage('kyc_deposit_cap')).toContain('identity is verified');
    expect(depositMessage('deposit_daily_cap')).toContain('24 hours');
    expect(depositMessage('stripe_unavailable')).toContain('nothing will be charged twice');
    expect(depositMessage('something_new', 'The server says so.')).toBe('The server says so.');
    expect(depositMessage('something_new')).toBe('something_new');
  });

  it('says a declined card charged nothing, and passes a validation error on as Stripe words it', () => {
    expect(cardFailureMessage({ type: 'card_error', message: 'Your card was declined.' })).toBe('Your card was declined. Nothing was charged: try another card.');
    expect(cardFailureMessage({ type: 'validation_error', message: 'Your card number is incomplete.' })).toBe('Your card number is incomplete.');
    expect(cardFailureMessage({ type: 'api_connection_error' })).toBe('The payment did not go through: The payment was not completed. Nothing was charged.');
  });

  it('knows a deposit is credited only from its own ledger entry', () => {
    const entries = [
      { kind: 'deposit', reference: 'stripe:pi_1' },
      { kind: 'withdrawal', reference: 'stripe:pi_2' },
      { kind: 'deposit', reference: 'test-deposit:x' },
    ];
    expect(depositCredited(entries, 'pi_1')).toBe(true);
    expect(depositCredited(entries, 'pi_2')).toBe(false);
    expect(depositCredited(entries, 'pi_3')).toBe(false);
    expect(depositCredited([], 'pi_1')).toBe(false);
  });
});
