// A stand-in of Stripe.js for browser tests, served as a script from the Stripe stand-in
// (settlement/src/testing/stripe-stand-in.ts) at the URL the web app is given as STRIPE_JS_URL.
// It implements the surface the wallet uses — Stripe(publishableKey), elements({ clientSecret }),
// create('payment').mount(element), confirmPayment({ elements, redirect: 'if_required' }) — with
// a plain card-number field in place of Stripe's iframe, and confirms the PaymentIntent against
// the stand-in's HTTP API with Stripe's test payment method for the number typed
// (4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined).

import type { ConfirmResult, StripeElements, StripeError, StripeJs } from '../lib/stripe';

/** Runs in the page (serialised with toString: no imports, no outside names). */
function installStripeJsStandIn(apiUrl: string): void {
  const TEST_PAYMENT_METHODS: Record<string, string> = { '4242424242424242': 'pm_card_visa', '4000000000000002': 'pm_card_chargeDeclined' };
  const cardFields = new WeakMap<object, { clientSecret: string; input: HTMLInputElement | null }>();

  const stripe = (publishableKey: string): StripeJs => ({
    elements({ clientSecret }): StripeElements {
      const state = { clientSecret, input: null as HTMLInputElement | null };
      const elements: StripeElements = {
        create() {
          return {
            mount(target: HTMLElement) {
              const input = document.createElement('input');
              input.name = 'cardnumber';
              input.placeholder = 'Card number';
              input.autocomplete = 'cc-number';
              input.setAttribute('data-testid', 'stand-in-card-number');
              target.replaceChildren(input);
              state.input = input;
            },
            destroy() {
              state.input?.remove();
              state.input = null;
            },
          };
        },
      };
      cardFields.set(elements, state);
      return elements;
    },

    async confirmPayment({ elements }): Promise<ConfirmResult> {
      const state = cardFields.get(elements);
      if (state === undefined) return { error: { type: 'invalid_request_error', message: 'Unknown elements.' } };
      const number = (state.input?.value ?? '').replace(/\s+/g, '');
      if (number === '') return { error: { type: 'validation_error', code: 'incomplete_number', message: 'Your card number is incomplete.' } };
      const paymentMethod = TEST_PAYMENT_METHODS[number];
      if (paymentMethod === undefined) return { error: { type: 'validation_error', code: 'invalid_number', message: 'Your card number is invalid.' } };
      const intentId = state.clientSecret.split('_secret_')[0] ?? '';
      const response = await fetch(`${apiUrl}/v1/payment_intents/${intentId}/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ key: publishableKey, client_secret: state.clientSecret, payment_method: paymentMethod }).toString(),
      });
      const body = (await response.json()) as { id: string; status: string; error?: StripeError };
      if (body.error !== undefined) return { error: body.error };
      return { paymentIntent: { id: body.id, status: body.status } };
    },
  });
  window.Stripe = stripe;
}

/** The script's source, for the stand-in to serve. */
export function stripeJsStandInSource(apiUrl: string): string {
  // `__name`: a helper a transpiler may have put into the function's text when keeping names.
  return `var __name = (target) => target;\n(${installStripeJsStandIn.toString()})(${JSON.stringify(apiUrl)});\n`;
}
