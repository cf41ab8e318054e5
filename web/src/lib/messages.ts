// What the bettor reads when something is refused: every engine reject code has a sentence here
// (falling back to the protocol's own description), and the REST API's codes the gateway's message.

import { isRejectCode, REJECT_CODES, type RejectCode } from '@playchacha/protocol';

const FOR_BETTORS: Partial<Record<RejectCode, string>> = {
  insufficient_funds: 'Not enough available funds for this bet. Deposit, or lower the stake.',
  invalid_price: 'Those odds are not a price on the ladder.',
  invalid_stake: 'The stake must be a positive amount within the maximum.',
  stake_below_minimum: 'The stake is below this market\'s minimum.',
  stake_above_maximum: 'The stake is above your maximum stake.',
  market_exposure_limit: 'This bet would take your exposure on this market over your limit.',
  loss_limit_exceeded: 'This bet would go over the loss limit you set.',
  too_many_open_orders: 'You have too many unmatched bets; cancel some first.',
  market_suspended: 'The market is suspended: bets are not accepted right now.',
  market_closed: 'The market is closed to betting.',
  market_settled: 'The market is already settled.',
  market_voided: 'The market was voided.',
  account_suspended: 'Your account is suspended from trading: you can cancel bets but not place new ones. Contact support.',
  account_frozen: 'Your account is frozen: betting and withdrawals are stopped. Contact support.',
  persistence_not_allowed: 'This market does not let bets stay open in play.',
  unknown_market: 'No such market.',
  unknown_order: 'That bet is no longer open.',
};

/** A sentence for a failure code: reject codes, then the server's own message, then the code. */
export function messageFor(code: string, serverMessage?: string): string {
  if (isRejectCode(code)) return FOR_BETTORS[code] ?? REJECT_CODES[code];
  if (code === 'rate_limited') return 'Too many requests: wait a moment and try again.';
  if (code === 'gateway_unavailable' || code === 'engine_unavailable') return 'The exchange is unavailable right now; try again in a moment.';
  return serverMessage ?? code;
}
