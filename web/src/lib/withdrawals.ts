// Withdrawals as the bettor reads them: a sentence for each state of a withdrawal (and of a TEST
// one, paid by the TEST payouts where no payment provider is configured) and for each code the
// payments service (or the web server in front of it) refuses one with.

export type WithdrawalState = 'created' | 'reserved' | 'payout_created' | 'paid' | 'rejected' | 'failed';

/** A withdrawal as the payments service answers it. */
export interface Withdrawal {
  readonly withdrawalId: string;
  readonly state: WithdrawalState | string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly payoutId: string | null;
  readonly failureCode: string | null;
  readonly createdAt?: string;
  /** Paid by the TEST payouts (no payment provider configured): nothing reaches a bank. */
  readonly test?: boolean;
  readonly notice?: string;
}

const STATES: Record<WithdrawalState, string> = {
  created: 'Requested: reserving the money.',
  reserved: 'Money reserved: sending the payout.',
  payout_created: 'Payout sent: on its way to your bank.',
  paid: 'Paid to your bank.',
  rejected: 'Refused: nothing was withdrawn.',
  failed: 'The payout failed: the money is back in your balance.',
};

const TEST_STATES: Partial<Record<WithdrawalState, string>> = {
  paid: 'TEST payout: marked paid; nothing was sent to a bank.',
  failed: 'The TEST payout failed: the money is back in your balance.',
};

export function withdrawalStateText(state: string, test = false): string {
  if (!Object.hasOwn(STATES, state)) return state;
  return (test ? TEST_STATES[state as WithdrawalState] : undefined) ?? STATES[state as WithdrawalState];
}

const REFUSALS: Record<string, string> = {
  insufficient_funds: 'You cannot withdraw more than your available balance. Nothing was withdrawn.',
  withdrawal_refused: 'The exchange refused this withdrawal (the account may be suspended or excluded). Nothing was withdrawn.',
  kyc_not_verified: 'Withdrawals need a verified identity: submit a document on your account page. Nothing was withdrawn.',
  kyc_rejected: 'Your identity check was rejected, so this account cannot withdraw. Contact support. Nothing was withdrawn.',
  account_frozen: 'This account is frozen, so it cannot withdraw. Contact support. Nothing was withdrawn.',
  idempotency_key_mismatch: 'This withdrawal was already sent with a different amount. Start a new one.',
  invalid_request: 'Enter an amount of at least 0.01 within the maximum.',
  stripe_not_configured: 'Withdrawals need the payment provider, which this exchange is not connected to.',
  payments_unavailable: 'Withdrawals are not available here: the payments service is not connected to this exchange.',
  stripe_unavailable: 'The payment provider did not answer. Send it again: it will not be paid twice.',
  engine_unavailable: 'The exchange did not answer. Send it again: it will not be paid twice.',
  gateway_unavailable: 'The payments service cannot be reached. Send it again in a moment: it will not be paid twice.',
  internal_error: 'Something went wrong. Send it again: it will not be paid twice.',
  unauthorized: 'Your session has expired: log in again.',
  rate_limited: 'Too many requests: wait a moment and try again.',
};

/** A sentence for a refused withdrawal: our own, then the server's message, then the code. */
export function withdrawalMessage(code: string, serverMessage?: string): string {
  return REFUSALS[code] ?? serverMessage ?? code;
}
