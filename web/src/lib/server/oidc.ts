// Login through the gateway's OpenID Connect provider, offered when OIDC_LOGIN=1 (the gateway
// must then be configured with the provider and OIDC_REDIRECT_URI = <this site>/session/oidc/callback).

import { env } from '$env/dynamic/private';

export const OIDC_STATE_COOKIE = 'pc_oidc_state';
export const OIDC_STATE_COOKIE_PATH = '/session/oidc';
/** As long as the gateway keeps a login in flight. */
export const OIDC_STATE_TTL_SECONDS = 600;

export function oidcLoginEnabled(): boolean {
  return env['OIDC_LOGIN'] === '1';
}
