// The gateway's own tables: users (one exchange account each), refresh tokens (stored hashed, in
// families for reuse detection), market makers' API keys (stored hashed) and the stored first
// responses of requests sent with an Idempotency-Key.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    CREATE SEQUENCE gateway_account_ids START WITH 1000000;

    CREATE TABLE gateway_users (
      account_id bigint PRIMARY KEY,
      email text NOT NULL,
      password_hash text NOT NULL,
      role text NOT NULL DEFAULT 'bettor' CHECK (role IN ('bettor', 'market_maker', 'admin')),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX gateway_users_email ON gateway_users (lower(email));

    CREATE TABLE gateway_refresh_tokens (
      token_hash bytea PRIMARY KEY,
      family_id uuid NOT NULL,
      account_id bigint NOT NULL REFERENCES gateway_users (account_id),
      expires_at timestamptz NOT NULL,
      rotated_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX gateway_refresh_tokens_family ON gateway_refresh_tokens (family_id);

    CREATE TABLE gateway_api_keys (
      api_key_id uuid PRIMARY KEY,
      key_hash bytea NOT NULL UNIQUE,
      key_prefix text NOT NULL,
      account_id bigint NOT NULL REFERENCES gateway_users (account_id),
      label text NOT NULL DEFAULT '',
      revoked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE gateway_idempotency_keys (
      account_id bigint NOT NULL,
      route text NOT NULL,
      idempotency_key text NOT NULL,
      request_hash bytea NOT NULL,
      status_code integer,
      response jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (account_id, route, idempotency_key)
    );
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP TABLE gateway_idempotency_keys;
    DROP TABLE gateway_api_keys;
    DROP TABLE gateway_refresh_tokens;
    DROP TABLE gateway_users;
    DROP SEQUENCE gateway_account_ids;
  `);
};
