import { describe, expect, it } from 'vitest';
import { disputableMarkets, disputeMessageFor, type Dispute } from './disputes';
import type { SettledMarket } from './types';

const WINDOW_MS = 72 * 3_600_000;

function settled(marketId: number, settledAt: string): SettledMarket {
  const disputeOpenUntil = new Date(Date.parse(settledAt) + WINDOW_MS).toISOString();
  return { marketId, outcome: 'settled', winners: [], commissionBps: 500, settledAt, disputeOpenUntil, resettled: false, grossMinor: 0, commissionMinor: 0, netMinor: 0 };
}

function dispute(marketId: number, status: Dispute['status']): Dispute {
  return {
    disputeId: marketId * 10,
    accountId: 1_000_001,
    marketId,
    reason: 'wrong winner',
    status,
    resultAt: '2026-01-01T00:00:00.000Z',
    openedAt: '2026-01-01T01:00:00.000Z',
    resolvedAt: null,
    resolvedBy: null,
    resolutionReason: null,
    resolutionWinners: null,
  };
}

describe('disputes', () => {
  it('offers settled markets without an open dispute whose window is open, newest result first', () => {
    const markets = [settled(1, '2026-01-01T00:00:00Z'), settled(2, '2026-01-03T00:00:00Z'), settled(3, '2026-01-02T00:00:00Z')];
    const nowMs = Date.parse('2026-01-03T12:00:00Z');
    expect(disputableMarkets(markets, [dispute(2, 'open'), dispute(3, 'upheld')], nowMs).map((market) => market.marketId)).toEqual([3, 1]);
    // Market 1's window (72 hours from its result) has closed a day later.
    expect(disputableMarkets(markets, [], nowMs + 24 * 3_600_000).map((market) => market.marketId)).toEqual([2, 3]);
  });

  it('has a sentence for each refusal of a dispute and falls back to the common messages', () => {
    for (const code of ['market_not_settled', 'no_matched_bets', 'dispute_window_closed', 'dispute_open', 'dispute_not_open']) {
      expect(disputeMessageFor(code, 'server text')).toMatch(/^[A-Z].*\.$/);
      expect(disputeMessageFor(code, 'server text')).not.toBe('server text');
    }
    expect(disputeMessageFor('dispute_window_closed')).toContain('passed');
    expect(disputeMessageFor('idempotency_conflict', 'Server says so.')).toBe('Server says so.');
    expect(disputeMessageFor('insufficient_funds')).toContain('Not enough available funds');
  });
});
