// Disputes of a market's result, as the gateway serves them, and a sentence for each refusal.

import { messageFor } from './messages';
import type { Winner } from './admin';
import type { SettledMarket } from './types';

export type DisputeStatus = 'open' | 'upheld' | 'resettled';

export interface Dispute {
  readonly disputeId: number;
  readonly accountId: number;
  readonly marketId: number;
  readonly reason: string;
  readonly status: DisputeStatus;
  /** When the disputed result reached the ledger; the window runs from here. */
  readonly resultAt: string;
  readonly openedAt: string;
  readonly resolvedAt: string | null;
  readonly resolvedBy: number | null;
  readonly resolutionReason: string | null;
  readonly resolutionWinners: readonly Winner[] | null;
}

/** The longest reason the gateway accepts for a dispute. */
export const DISPUTE_REASON_LENGTH_MAX = 2_000;

export const DISPUTE_STATUS_LABELS: Record<DisputeStatus, string> = {
  open: 'Open',
  upheld: 'Result upheld',
  resettled: 'Market resettled',
};

const DISPUTE_MESSAGES: Record<string, string> = {
  market_not_found: 'No such market.',
  market_not_settled: 'This market has no result yet: a market can be disputed once it is settled or void.',
  no_matched_bets: 'You had no matched bets on this market, so there is nothing to dispute.',
  dispute_window_closed: 'The window for disputing this result has passed.',
  dispute_open: 'You already have an open dispute on this market.',
  dispute_not_open: 'This dispute is already resolved.',
  dispute_not_found: 'No such dispute.',
};

/** A sentence for a refusal of a dispute route; other codes as everywhere else. */
export function disputeMessageFor(code: string, serverMessage?: string): string {
  return DISPUTE_MESSAGES[code] ?? messageFor(code, serverMessage);
}

/** Settled and void markets whose dispute window is still open and that have no open dispute of the account, newest result first. */
export function disputableMarkets(settled: readonly SettledMarket[], disputes: readonly Dispute[], nowMs: number): SettledMarket[] {
  const open = new Set(disputes.filter((dispute) => dispute.status === 'open').map((dispute) => dispute.marketId));
  return settled
    .filter((market) => !open.has(market.marketId) && Date.parse(market.disputeOpenUntil) > nowMs)
    .sort((a, b) => Date.parse(b.settledAt) - Date.parse(a.settledAt));
}
