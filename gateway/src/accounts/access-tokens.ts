// Access tokens: HS256 JWTs signed with jose, with issuer, audience, a short expiry, the account id
// as `sub` and the role as `role`. The WebSocket Authenticator (auth.ts) accepts the same tokens.

import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { isId, type AccountId } from '@playchacha/protocol';
import { isRole, type Role } from './roles.js';

export interface AccessTokenOptions {
  /** At least 32 bytes. */
  readonly secret: Uint8Array;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
  readonly clockToleranceSeconds?: number;
}

export interface AccessClaims {
  readonly accountId: AccountId;
  readonly role: Role;
  readonly expiresAtMs: number;
}

export class AccessTokens {
  constructor(readonly options: AccessTokenOptions) {
    if (options.secret.byteLength < 32) throw new RangeError('the JWT secret must be at least 32 bytes');
  }

  sign(accountId: AccountId, role: Role, nowMs = Date.now()): Promise<string> {
    const nowSeconds = Math.floor(nowMs / 1000);
    return new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(accountId))
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + this.options.ttlSeconds)
      .sign(this.options.secret);
  }

  /** The claims of a valid token, or null (bad signature, alg, issuer, audience, expiry or claims). */
  async verify(token: string): Promise<AccessClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.options.secret, {
        algorithms: ['HS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
      });
      const accountId = /^[1-9][0-9]{0,15}$/.test(payload.sub ?? '') ? Number(payload.sub) : NaN;
      const role = payload['role'];
      if (!isId(accountId) || !isRole(role) || typeof payload.exp !== 'number') return null;
      return { accountId, role, expiresAtMs: payload.exp * 1000 };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return null;
      throw error;
    }
  }
}
