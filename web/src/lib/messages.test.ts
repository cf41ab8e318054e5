import { describe, expect, it } from 'vitest';
import { REJECT_CODES } from '@playchacha/protocol';
import { messageFor } from './messages';

describe('messages for refusals', () => {
  it('has a sentence for every engine reject code', () => {
    for (const code of Object.keys(REJECT_CODES)) {
      const message = messageFor(code);
      expect(message).not.toBe(code);
      expect(message).toMatch(/^[A-Z].*\.$/);
    }
  });

  it('speaks to the bettor about money and market state', () => {
    expect(messageFor('insufficient_funds')).toBe('Not enough available funds for this bet. Deposit, or lower the stake.');
    expect(messageFor('market_suspended')).toContain('suspended');
  });

  it('uses the server\'s message for other codes, then the code itself', () => {
    expect(messageFor('email_taken', 'The email is already registered.')).toBe('The email is already registered.');
    expect(messageFor('something_new')).toBe('something_new');
    expect(messageFor('rate_limited', 'x')).toContain('Too many requests');
  });
});
