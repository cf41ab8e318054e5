// Login through an external OpenID Connect provider: the logins in flight (state → PKCE verifier
// and nonce, single use, ten minutes) and the identities (issuer, subject) linked to users.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE gateway_oidc_logins (
      state text PRIMARY KEY,
      code_verifier text NOT NULL,
      nonce text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE gateway_oidc_identities (
      issuer text NOT NULL,
      subject text NOT NULL,
      account_id bigint NOT NULL REFERENCES gateway_users (account_id),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (issuer, subject)
    );
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP TABLE gateway_oidc_identities;
    DROP TABLE gateway_oidc_logins;
  `);
};
