// Public runtime configuration for the browser: where the WebSocket API is, whether login
// through the OpenID Connect provider is offered, and Stripe's publishable key and Stripe.js URL
// where card deposits are offered (null otherwise).

import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { gatewayWsUrl } from '$lib/server/gateway';
import { oidcLoginEnabled } from '$lib/server/oidc';
import { stripeBrowserConfig } from '$lib/server/stripe-config';

export const GET: RequestHandler = () =>
  json({ wsUrl: gatewayWsUrl(), oidc: oidcLoginEnabled(), stripe: stripeBrowserConfig() }, { headers: { 'cache-control': 'no-store' } });
