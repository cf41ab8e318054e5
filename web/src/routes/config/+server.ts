// Public runtime configuration for the browser: where the WebSocket API is.

import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { gatewayWsUrl } from '$lib/server/gateway';

export const GET: RequestHandler = () => json({ wsUrl: gatewayWsUrl() }, { headers: { 'cache-control': 'no-store' } });
