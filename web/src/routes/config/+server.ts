// Public runtime configuration for the browser: where the WebSocket API is, and whether login
// through the OpenID Connect provider is offered.

import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { gatewayWsUrl } from '$lib/server/gateway';
import { oidcLoginEnabled } from '$lib/server/oidc';

export const GET: RequestHandler = () => json({ wsUrl: gatewayWsUrl(), oidc: oidcLoginEnabled() }, { headers: { 'cache-control': 'no-store' } });
