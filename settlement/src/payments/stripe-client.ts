// The Stripe client of the payments routes. STRIPE_API_URL (unset in production: Stripe's own
// api.stripe.com) points the stripe library at another Stripe-compatible API, such as a local
// stand-in in tests (`http://127.0.0.1:<port>`).

import Stripe from 'stripe';

export interface StripeClientOptions {
  readonly secretKey: string;
  /** Base URL of the API; null or absent for Stripe's. */
  readonly apiUrl?: string | null;
  readonly maxNetworkRetries?: number;
}

export function stripeClient(options: StripeClientOptions): Stripe {
  const retries = { maxNetworkRetries: options.maxNetworkRetries ?? 2 };
  if (options.apiUrl === undefined || options.apiUrl === null) return new Stripe(options.secretKey, retries);
  const url = new URL(options.apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  const port = url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port);
  return new Stripe(options.secretKey, { ...retries, host: url.hostname, port, protocol });
}
