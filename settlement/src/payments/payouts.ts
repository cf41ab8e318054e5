// Who pays a reserved withdrawal out: Stripe (`payouts.create`, idempotency key = the withdrawal
// id; the outcome arrives later as payout.paid or payout.failed), or — only while no Stripe keys
// are configured — the labelled TEST payouts, which send nothing anywhere and answer at once.

import Stripe from 'stripe';
import { PaymentError } from './payments-errors.js';

export interface PayoutRequest {
  readonly withdrawalId: string;
  readonly accountId: string;
  readonly amountMinor: number;
  readonly currency: string;
}

export type PayoutAnswer =
  /** The provider took the payout; its webhook says later whether it was paid. */
  | { readonly kind: 'created'; readonly payoutId: string }
  /** Paid at once (TEST payouts only). */
  | { readonly kind: 'paid'; readonly payoutId: string }
  /** The provider answered and the payout will not happen (a retry with the key would be refused again). */
  | { readonly kind: 'refused'; readonly failureCode: string };

export interface PayoutProvider {
  readonly mode: 'stripe' | 'test';
  /**
   * Idempotent on the withdrawal id. Throws PaymentError('stripe_unavailable') when the provider
   * did not answer (the payout may or may not exist; ask again with the same withdrawal).
   */
  pay(request: PayoutRequest): Promise<PayoutAnswer>;
}

export class StripePayouts implements PayoutProvider {
  readonly mode = 'stripe';

  constructor(private readonly stripe: Stripe) {}

  async pay(request: PayoutRequest): Promise<PayoutAnswer> {
    try {
      const payout = await this.stripe.payouts.create(
        { amount: request.amountMinor, currency: request.currency, metadata: { withdrawalId: request.withdrawalId, accountId: request.accountId } },
        { idempotencyKey: request.withdrawalId },
      );
      return { kind: 'created', payoutId: payout.id };
    } catch (error) {
      if (!isDefinitiveRefusal(error)) throw new PaymentError('stripe_unavailable', undefined, error);
      const stripeError = error as Stripe.errors.StripeError;
      return { kind: 'refused', failureCode: stripeError.code ?? `http_${String(stripeError.statusCode)}` };
    }
  }
}

/** Stripe answered and stored the answer for this key (a retry would replay it): the payout will not happen. */
function isDefinitiveRefusal(error: unknown): boolean {
  if (!(error instanceof Stripe.errors.StripeError) || error instanceof Stripe.errors.StripeConnectionError) return false;
  const status = error.statusCode;
  return status !== undefined && status !== 409 && status !== 429;
}

/** A TEST payout of an amount whose minor units end in 13 (1.13, 20.13) fails, so the refund path can be seen. */
export const TEST_PAYOUT_FAILING_MINOR_REMAINDER = 13;
export const TEST_PAYOUT_FAILURE_CODE = 'test_payout_failed';
export const TEST_PAYOUT_ID_PREFIX = 'test_po_';

/**
 * TEST payouts, for running without Stripe keys (the embedded default): nothing is sent to a bank.
 * Every payout is paid at once under the id `test_po_<withdrawal id>`, except an amount whose minor
 * units end in 13, which is refused with `test_payout_failed` (its money comes back like any failed
 * payout's). The answer depends on the request alone, so asking again answers the same.
 */
export class TestPayouts implements PayoutProvider {
  readonly mode = 'test';

  pay(request: PayoutRequest): Promise<PayoutAnswer> {
    if (request.amountMinor % 100 === TEST_PAYOUT_FAILING_MINOR_REMAINDER) return Promise.resolve({ kind: 'refused', failureCode: TEST_PAYOUT_FAILURE_CODE });
    return Promise.resolve({ kind: 'paid', payoutId: `${TEST_PAYOUT_ID_PREFIX}${request.withdrawalId}` });
  }
}
