// Security headers on every answer of the web server (the CSP itself is set by SvelteKit from
// svelte.config.js; where card deposits through Stripe are configured, Stripe.js's sources are
// added to it here).
import type { Handle } from '@sveltejs/kit';
import { stripeBrowserConfig } from '$lib/server/stripe-config';
import { withStripeSources } from '$lib/server/stripe-csp';

export const handle: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  response.headers.set('x-content-type-options', 'nosniff');
  response.headers.set('referrer-policy', 'same-origin');
  response.headers.set('permissions-policy', 'camera=(), microphone=(), geolocation=()');
  const csp = response.headers.get('content-security-policy');
  const stripe = csp === null ? null : stripeBrowserConfig();
  if (csp !== null && stripe !== null) response.headers.set('content-security-policy', withStripeSources(csp, stripe.jsUrl));
  return response;
};
