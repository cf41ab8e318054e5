// Stable reject codes. A rejected command changes nothing but the idempotency record of its client
// order id. Codes are snake_case strings and are never renamed; new codes are added at the end
// (snapshots record a client order id's rejection by the code's position).

export const REJECT_CODES = {
  invalid_command: 'The command is malformed: a field is missing, of the wrong type, or out of range.',
  unknown_account: 'No such account.',
  account_exists: 'An account with this id already exists.',
  unknown_market: 'No such market.',
  market_exists: 'A market with this id already exists.',
  invalid_market_definition: 'The market definition is invalid (runners, ladder, delay, commission).',
  invalid_runner: 'The runner index is not in the market.',
  invalid_price: 'The price is not a tick on the market\'s ladder.',
  invalid_stake: 'The stake is not a positive integer of minor units within the maximum.',
  stake_below_minimum: 'The stake is below the market\'s minimum stake.',
  stake_above_maximum: 'The stake is above the account\'s maximum stake.',
  invalid_min_fill: 'The minimum fill is not between 1 and the stake, or is set on a resting order.',
  persistence_not_allowed: 'The market does not allow orders to persist in play.',
  insufficient_funds: 'The order or withdrawal needs more than the available balance.',
  market_exposure_limit: 'The order would take the account\'s exposure on the market over its limit.',
  loss_limit_exceeded: 'The order would put more at risk than the account\'s self-imposed loss limit.',
  too_many_open_orders: 'The account already has its maximum number of open orders.',
  market_suspended: 'The market is suspended.',
  market_closed: 'The market is closed.',
  market_settled: 'The market is settled.',
  market_voided: 'The market is void.',
  unknown_order: 'No such open order for this account.',
  batch_empty: 'The batch has no instructions.',
  batch_too_large: 'The batch has more instructions than allowed.',
  batch_multi_market: 'An all-or-none batch must be on one market.',
  batch_instruction_rejected: 'Another instruction of this all-or-none batch was rejected.',
  invalid_amount: 'The amount is not a positive integer of minor units within the maximum.',
  duplicate_transfer: 'A deposit or withdrawal with this transfer id was already applied.',
  balance_limit: 'The deposit would take the balance over the maximum.',
  invalid_limits: 'The account limits are invalid.',
  invalid_transition: 'The market cannot make this transition from its current state.',
  invalid_settlement: 'The winners or dead-heat factors are invalid for this market.',
  account_suspended: 'The account is suspended from trading: it may cancel orders but not place or replace them.',
  account_frozen: 'The account is frozen: it may neither place orders nor withdraw.',
} as const;

export type RejectCode = keyof typeof REJECT_CODES;

export function isRejectCode(value: unknown): value is RejectCode {
  return typeof value === 'string' && Object.hasOwn(REJECT_CODES, value);
}

/**
 * Why an order stopped being open. Every order that was accepted ends with exactly one
 * OrderClosed event carrying one of these.
 */
export const CLOSE_REASONS = {
  matched: 'Fully matched.',
  cancelled: 'Cancelled by the account (cancel, or a reduction to zero).',
  mass_cancelled: 'Cancelled by a mass cancel.',
  replaced: 'Replaced by a new order at another price.',
  lapsed_in_play: 'A LAPSE order cancelled when the market turned in play.',
  lapsed_suspended: 'An order waiting out the bet delay, cancelled because the market was suspended.',
  market_closed: 'Cancelled because the market closed.',
  market_voided: 'Cancelled because the market was voided.',
  self_trade: 'Cancelled by self-trade prevention.',
  fill_or_kill: 'A fill-or-kill order that could not be filled in full.',
  immediate_or_cancel: 'The unfilled remainder of an immediate-or-cancel order.',
  min_fill_not_met: 'Less than the minimum fill was available at once.',
  post_only_would_match: 'A post-only order that would have matched on arrival.',
  account_frozen: 'Cancelled because the account was frozen.',
} as const;

export type CloseReason = keyof typeof CLOSE_REASONS;
