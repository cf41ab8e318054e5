// Names of ledger accounts. A code identifies one ledger account; its kind, owner and market
// follow from it, so the rules can name accounts without knowing database ids.

import type { AccountId, MarketId } from '@playchacha/protocol';

export type LedgerAccountKind =
  | 'user_available'
  | 'user_held'
  | 'user_escrow'
  | 'user_debt'
  | 'market_pot'
  | 'house_commission'
  | 'house_rounding'
  | 'house_share'
  | 'payment_clearing';

export interface LedgerAccountIdentity {
  readonly code: string;
  readonly kind: LedgerAccountKind;
  readonly ownerAccountId: AccountId | null;
  readonly marketId: MarketId | null;
}

/** What the user may spend or withdraw. */
export const availableCode = (accountId: AccountId): string => `available:${accountId}`;
/**
 * What the user owes after a resettlement took back more than its available balance held: never
 * positive. Money credited to available repays it first.
 */
export const debtCode = (accountId: AccountId): string => `debt:${accountId}`;
/** Held for the user's open orders on a market (their worst case beyond the matched bets). */
export const heldCode = (accountId: AccountId, marketId: MarketId): string => `held:${accountId}:${marketId}`;
/** The worst case of the user's matched bets on a market. */
export const escrowCode = (accountId: AccountId, marketId: MarketId): string => `escrow:${accountId}:${marketId}`;
/** A market's settlement pot: pays results during settlement and is zero before and after. */
export const potCode = (marketId: MarketId): string => `pot:${marketId}`;
export const HOUSE_COMMISSION_CODE = 'house:commission';
export const HOUSE_ROUNDING_CODE = 'house:rounding';
/**
 * The house's share in a risk partition of a partitioned engine: what the partition's settlements
 * left the house beyond commission (below zero when the partition's accounts won more than they lost).
 */
export const houseShareCode = (partition: string): string => `house:share:${partition}`;
/** Money in transit with the payment provider: deposits debit it, withdrawals credit it. */
export const PAYMENT_CLEARING_CODE = 'clearing:payments';

export function identityOf(code: string): LedgerAccountIdentity {
  const parts = code.split(':');
  const number = (index: number): number => {
    const value = Number(parts[index]);
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad ledger account code ${code}`);
    return value;
  };
  switch (parts[0]) {
    case 'available':
      return { code, kind: 'user_available', ownerAccountId: number(1), marketId: null };
    case 'debt':
      return { code, kind: 'user_debt', ownerAccountId: number(1), marketId: null };
    case 'held':
      return { code, kind: 'user_held', ownerAccountId: number(1), marketId: number(2) };
    case 'escrow':
      return { code, kind: 'user_escrow', ownerAccountId: number(1), marketId: number(2) };
    case 'pot':
      return { code, kind: 'market_pot', ownerAccountId: null, marketId: number(1) };
  }
  if (parts[0] === 'house' && parts[1] === 'share' && parts.length === 3 && (parts[2] ?? '') !== '') {
    return { code, kind: 'house_share', ownerAccountId: null, marketId: null };
  }
  if (code === HOUSE_COMMISSION_CODE) return { code, kind: 'house_commission', ownerAccountId: null, marketId: null };
  if (code === HOUSE_ROUNDING_CODE) return { code, kind: 'house_rounding', ownerAccountId: null, marketId: null };
  if (code === PAYMENT_CLEARING_CODE) return { code, kind: 'payment_clearing', ownerAccountId: null, marketId: null };
  throw new RangeError(`unknown ledger account code ${code}`);
}
