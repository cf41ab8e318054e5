// The app runs in the browser: the session lives in memory and the prices arrive over the
// WebSocket, so pages are rendered client-side (the server serves the shell, /api and /session).
import type { LayoutLoad } from './$types';
import type { StripeSetup } from '$lib/stripe';

export const ssr = false;

export const load: LayoutLoad = async ({ fetch }) => {
  const response = await fetch('/config');
  const config = (await response.json()) as { wsUrl: string; oidc?: boolean; stripe?: StripeSetup | null };
  return { wsUrl: config.wsUrl, oidc: config.oidc === true, stripe: config.stripe ?? null };
};
