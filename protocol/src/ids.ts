// Identifiers. All are positive safe integers, so that the engine can keep them in typed arrays.

/** An account (user or market maker). Account 0 is the house (commission and rounding). */
export type AccountId = number;
export type MarketId = number;
/** Assigned by the engine's risk stage when an order is accepted for matching. */
export type OrderId = number;
/** Assigned by the matching stage, one per match between two orders. */
export type FillId = number;
/** A runner (selection) is its index within its market, 0-based. */
export type RunnerIndex = number;

export const HOUSE_ACCOUNT_ID: AccountId = 0;

export function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
