// Card deposits as the bettor reads them: a sentence for each code the payments service (or the
// web server in front of it) refuses a deposit with, for what Stripe.js answers a payment that did
// not go through, and when the ledger shows a deposit credited.

/** A deposit as the payments service answers it. */
export interface CardDeposit {
  readonly depositId: string;
  readonly state: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly paymentIntentId: string | null;
  readonly clientSecret: string | null;
}

const REFUSALS: Record<string, string> = {
  self_excluded: 'You have excluded yourself from gambling, so this account cannot deposit until the exclusion ends.',
  kyc_rejected: 'Your identity check was rejected, so this account cannot deposit. Contact support.',
  kyc_deposit_cap: 'Deposits are capped until your identity is verified: submit a document on your account page, or deposit less.',
  deposit_limit_exceeded: 'This deposit would go over the deposit limit you set. Deposit less, or wait for the limit\'s period to pass.',
  deposit_daily_cap: 'This deposit would go over the most the exchange takes in any 24 hours. Deposit less, or try again later.',
  idempotency_key_mismatch: 'This deposit was already started with a different amount. Start a new one.',
  invalid_request: 'Enter an amount of at least 0.01 within the maximum.',
  stripe_not_configured: 'Card deposits need the payment provider, which this exchange is not connected to.',
  payments_unavailable: 'Card deposits are not available here: the payments service is not connected to this exchange.',
  stripe_unavailable: 'The payment provider did not answer. Try again: nothing will be charged twice.',
  engine_unavailable: 'The exchange did not answer. Try again: nothing will be charged twice.',
  gateway_unavailable: 'The payments service cannot be reached. Try again in a moment: nothing will be charged twice.',
  internal_error: 'Something went wrong. Try again: nothing will be charged twice.',
  unauthorized: 'Your session has expired: log in again.',
  rate_limited: 'Too many requests: wait a moment and try again.',
};

/** A sentence for a refused deposit: our own, then the server's message, then the code. */
export function depositMessage(code: string, serverMessage?: string): string {
  return REFUSALS[code] ?? serverMessage ?? code;
}

/** A sentence for a payment Stripe.js could not complete (`error` of confirmPayment). */
export function cardFailureMessage(error: { readonly type: string; readonly message?: string }): string {
  const said = error.message ?? 'The payment was not completed.';
  if (error.type === 'card_error') return `${said} Nothing was charged: try another card.`;
  if (error.type === 'validation_error') return said;
  return `The payment did not go through: ${said} Nothing was charged.`;
}

/** The ledger's reference of a card deposit's credit (the engine's transferId). */
export function creditReference(paymentIntentId: string): string {
  return `stripe:${paymentIntentId}`;
}

/** True once the wallet history holds the deposit's credit. */
export function depositCredited(entries: readonly { readonly kind: string; readonly reference: string | null }[], paymentIntentId: string): boolean {
  const reference = creditReference(paymentIntentId);
  return entries.some((entry) => entry.kind === 'deposit' && entry.reference === reference);
}
