// Login through an external OpenID Connect provider (authorization code flow with PKCE, state and
// nonce, through openid-client). `start` records a login in flight and gives the provider's
// authorization URL; `finish` takes the provider's redirect back (single use, within ten
// minutes), exchanges the code, checks the ID token and answers the provider's subject and email.
// The identity (issuer, subject) is then linked to a user: the one it was linked to before, else
// the user with the same email when the provider says it verified it, else a new user.

import * as client from 'openid-client';
import type pg from 'pg';
import { ApiError } from '../rest/errors.js';

export interface OidcOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Where the provider sends the browser back (the gateway's callback, or a web page that forwards its query to it). */
  readonly redirectUri: string;
  readonly scope?: string;
}

export interface OidcIdentity {
  readonly issuer: string;
  readonly subject: string;
  readonly email: string | null;
  readonly emailVerified: boolean;
}

const LOGIN_TTL_MS = 10 * 60_000;

function isLoopback(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
}

export class OidcLogin {
  private configuration: Promise<client.Configuration> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    readonly options: OidcOptions,
  ) {}

  /** The provider's configuration, discovered once (retried after a failure). */
  private config(): Promise<client.Configuration> {
    if (this.configuration === null) {
      const issuer = new URL(this.options.issuer);
      // Plain HTTP is allowed only for a provider on the loopback interface (development, tests).
      this.configuration = client.discovery(issuer, this.options.clientId, this.options.clientSecret, undefined, isLoopback(issuer) ? { execute: [client.allowInsecureRequests] } : {});
      this.configuration.catch(() => {
        this.configuration = null;
      });
    }
    return this.configuration.catch(() => {
      throw new ApiError('oidc_unavailable');
    });
  }

  async start(): Promise<URL> {
    const config = await this.config();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    await this.pool.query(`DELETE FROM gateway_oidc_logins WHERE created_at < now() - interval '1 hour'`);
    await this.pool.query(`INSERT INTO gateway_oidc_logins (state, code_verifier, nonce) VALUES ($1, $2, $3)`, [state, codeVerifier, nonce]);
    return client.buildAuthorizationUrl(config, {
      redirect_uri: this.options.redirectUri,
      scope: this.options.scope ?? 'openid email',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
  }

  /** Completes a login from the provider's redirect query; every failure is `oidc_failed`. */
  async finish(query: URLSearchParams): Promise<OidcIdentity> {
    const config = await this.config();
    const state = query.get('state');
    if (state === null) throw new ApiError('oidc_failed', 'the redirect has no state');
    const { rows } = await this.pool.query<{ code_verifier: string; nonce: string; created_at: Date }>(
      `DELETE FROM gateway_oidc_logins WHERE state = $1 RETURNING code_verifier, nonce, created_at`,
      [state],
    );
    const login = rows[0];
    if (login === undefined || Date.now() - login.created_at.getTime() > LOGIN_TTL_MS) throw new ApiError('oidc_failed', 'unknown or expired login');
    const callback = new URL(this.options.redirectUri);
    callback.search = query.toString();
    try {
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: login.code_verifier, expectedState: state, expectedNonce: login.nonce, idTokenExpected: true });
      const claims = tokens.claims();
      if (claims === undefined) throw new Error('no ID token');
      let email: unknown = claims['email'];
      let emailVerified: unknown = claims['email_verified'];
      // Providers that keep scope claims out of the ID token answer them from the userinfo endpoint.
      if (email === undefined) {
        const userInfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        email = userInfo.email;
        emailVerified = userInfo.email_verified;
      }
      return { issuer: claims.iss, subject: claims.sub, email: typeof email === 'string' ? email : null, emailVerified: emailVerified === true };
    } catch (error) {
      throw new ApiError('oidc_failed', `the provider's answer was refused: ${(error as Error).message}`);
    }
  }

  async linkedAccount(identity: OidcIdentity): Promise<number | null> {
    const { rows } = await this.pool.query<{ account_id: string }>(`SELECT account_id FROM gateway_oidc_identities WHERE issuer = $1 AND subject = $2`, [identity.issuer, identity.subject]);
    return rows[0] === undefined ? null : Number(rows[0].account_id);
  }

  async link(identity: OidcIdentity, accountId: number): Promise<void> {
    await this.pool.query(`INSERT INTO gateway_oidc_identities (issuer, subject, account_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [identity.issuer, identity.subject, accountId]);
  }
}
