// Authentication at the WebSocket upgrade. The credentials are copied out of the request before
// any await; an Authenticator turns them into the account the connection acts for, or refuses.

import { timingSafeEqual, createHash } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import { isId, type AccountId } from '@playchacha/protocol';

export interface UpgradeCredentials {
  /** A JWT access token (from `Authorization: Bearer …` or `?access_token=`). */
  readonly bearerToken: string | null;
  /** A market maker's API key (from `X-Api-Key` or `?api_key=`). */
  readonly apiKey: string | null;
}

export interface Principal {
  readonly accountId: AccountId;
  readonly method: 'jwt' | 'api_key';
  /** When the credential stops being valid; the connection is closed then (null: never). */
  readonly expiresAtMs: number | null;
}

export type AuthResult = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: string };

export interface Authenticator {
  authenticate(credentials: UpgradeCredentials): Promise<AuthResult>;
}

export interface JwtOptions {
  /** The HS256 secret (at least 32 bytes). */
  readonly secret: Uint8Array;
  readonly issuer: string;
  readonly audience: string;
  /** Allowed clock skew. */
  readonly clockToleranceSeconds?: number;
}

/**
 * Accepts an HS256 access token whose `sub` is the account id (a positive integer as a string),
 * with the configured issuer and audience and an `exp`; or an API key from a fixed map.
 */
export class TokenOrApiKeyAuthenticator implements Authenticator {
  private readonly apiKeys: ReadonlyArray<{ digest: Buffer; accountId: AccountId }>;

  constructor(
    private readonly jwt: JwtOptions,
    apiKeys: ReadonlyMap<string, AccountId> = new Map(),
  ) {
    if (jwt.secret.byteLength < 32) throw new RangeError('the JWT secret must be at least 32 bytes');
    this.apiKeys = [...apiKeys].map(([key, accountId]) => ({ digest: sha256(key), accountId }));
  }

  async authenticate(credentials: UpgradeCredentials): Promise<AuthResult> {
    if (credentials.bearerToken !== null) return this.verifyToken(credentials.bearerToken);
    if (credentials.apiKey !== null) return this.verifyApiKey(credentials.apiKey);
    return { ok: false, reason: 'no credentials' };
  }

  private async verifyToken(token: string): Promise<AuthResult> {
    try {
      const { payload } = await jwtVerify(token, this.jwt.secret, {
        algorithms: ['HS256'],
        issuer: this.jwt.issuer,
        audience: this.jwt.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: this.jwt.clockToleranceSeconds ?? 5,
      });
      const accountId = /^[1-9][0-9]{0,15}$/.test(payload.sub ?? '') ? Number(payload.sub) : NaN;
      if (!isId(accountId)) return { ok: false, reason: 'sub is not an account id' };
      return { ok: true, principal: { accountId, method: 'jwt', expiresAtMs: (payload.exp as number) * 1000 } };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return { ok: false, reason: error.code };
      throw error;
    }
  }

  private verifyApiKey(key: string): AuthResult {
    const digest = sha256(key);
    // Compare against every key so that the time taken does not depend on which one matched.
    let found: AccountId | null = null;
    for (const entry of this.apiKeys) if (timingSafeEqual(entry.digest, digest)) found = entry.accountId;
    return found === null ? { ok: false, reason: 'unknown api key' } : { ok: true, principal: { accountId: found, method: 'api_key', expiresAtMs: null } };
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
