// The WebSocket Authenticator the gateway process uses: access tokens as in auth.ts, and API keys
// looked up in the same PostgreSQL store the REST API creates them in (a revoked key stops
// working for new connections at once).

import type { ApiKeyStore } from './accounts/api-key-store.js';
import { TokenOrApiKeyAuthenticator, type Authenticator, type AuthResult, type JwtOptions, type UpgradeCredentials } from './auth.js';

export class StoreAuthenticator implements Authenticator {
  private readonly tokens: TokenOrApiKeyAuthenticator;

  constructor(
    jwt: JwtOptions,
    private readonly apiKeys: ApiKeyStore,
  ) {
    this.tokens = new TokenOrApiKeyAuthenticator(jwt);
  }

  async authenticate(credentials: UpgradeCredentials): Promise<AuthResult> {
    if (credentials.bearerToken !== null) return this.tokens.authenticate(credentials);
    if (credentials.apiKey === null) return { ok: false, reason: 'no credentials' };
    const owner = await this.apiKeys.owner(credentials.apiKey);
    return owner === null ? { ok: false, reason: 'unknown api key' } : { ok: true, principal: { accountId: owner.accountId, method: 'api_key', expiresAtMs: null } };
  }
}
