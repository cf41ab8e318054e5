// Card deposits through Stripe, offered when STRIPE_PUBLISHABLE_KEY is set (the payments service
// then holds the matching secret key). STRIPE_JS_URL is where Stripe.js is loaded from (default
// Stripe's own; tests point it at a stand-in).

import { env } from '$env/dynamic/private';
import { stripeJsUrlOf } from './stripe-csp';

/** What the browser needs to mount Stripe's Payment Element; null without a publishable key. */
export interface StripeBrowserConfig {
  readonly publishableKey: string;
  readonly jsUrl: string;
}

export function stripeBrowserConfig(): StripeBrowserConfig | null {
  const publishableKey = env['STRIPE_PUBLISHABLE_KEY'] ?? '';
  if (publishableKey === '') return null;
  const jsUrl = stripeJsUrlOf(env['STRIPE_JS_URL']);
  if (jsUrl === null) throw new Error('STRIPE_JS_URL must be an http(s) URL');
  return { publishableKey, jsUrl };
}
