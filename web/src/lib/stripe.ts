// Stripe.js in the browser: loaded from its script URL (never bundled, as Stripe requires), once per
// page, and typed by the little of it the wallet uses: the Payment Element mounted with a
// PaymentIntent's client secret, and confirmPayment.

/** From /config where card deposits are offered. */
export interface StripeSetup {
  readonly publishableKey: string;
  readonly jsUrl: string;
}

export interface StripeError {
  readonly type: string;
  readonly code?: string;
  readonly decline_code?: string;
  readonly message?: string;
  readonly payment_intent?: { readonly id: string; readonly status: string };
}

export interface PaymentElement {
  mount(target: HTMLElement): void;
  destroy(): void;
}

export interface StripeElements {
  create(type: 'payment', options?: Record<string, unknown>): PaymentElement;
}

export interface ConfirmResult {
  readonly error?: StripeError;
  readonly paymentIntent?: { readonly id: string; readonly status: string };
}

export interface StripeJs {
  elements(options: { clientSecret: string }): StripeElements;
  confirmPayment(options: { elements: StripeElements; redirect: 'if_required'; confirmParams: { return_url: string } }): Promise<ConfirmResult>;
}

type StripeFactory = (publishableKey: string) => StripeJs;

declare global {
  interface Window {
    Stripe?: StripeFactory;
  }
}

let loading: Promise<StripeFactory> | null = null;
const instances = new Map<string, StripeJs>();

function loadScript(jsUrl: string): Promise<StripeFactory> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = jsUrl;
    script.async = true;
    script.onload = () => (window.Stripe === undefined ? reject(new Error('Stripe.js did not load')) : resolve(window.Stripe));
    script.onerror = () => reject(new Error('Stripe.js could not be loaded'));
    document.head.append(script);
  });
}

/** Stripe.js for this publishable key, loading the script on first use (a failed load is tried again next time). */
export async function loadStripe(setup: StripeSetup): Promise<StripeJs> {
  const known = instances.get(setup.publishableKey);
  if (known !== undefined) return known;
  loading ??= window.Stripe === undefined ? loadScript(setup.jsUrl) : Promise.resolve(window.Stripe);
  let factory: StripeFactory;
  try {
    factory = await loading;
  } catch (error) {
    loading = null;
    throw error;
  }
  const stripe = instances.get(setup.publishableKey) ?? factory(setup.publishableKey);
  instances.set(setup.publishableKey, stripe);
  return stripe;
}
