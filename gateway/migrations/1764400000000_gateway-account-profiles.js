// Profiles, KYC and responsible gambling: each user's profile and preferences, its KYC state
// (unverified → pending → verified / rejected) with the metadata of the documents it submitted,
// its self-set deposit and loss limits (an increase waits out a cooling-off period), its
// self-exclusion, and the deposits it made (for the limits' rolling windows).

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE gateway_profiles (
      account_id bigint PRIMARY KEY REFERENCES gateway_users (account_id),
      display_name text,
      country text CHECK (country ~ '^[A-Z]{2}$'),
      date_of_birth date,
      odds_format text NOT NULL DEFAULT 'decimal' CHECK (odds_format IN ('decimal', 'fractional', 'american')),
      marketing_opt_in boolean NOT NULL DEFAULT false,
      kyc_status text NOT NULL DEFAULT 'unverified' CHECK (kyc_status IN ('unverified', 'pending', 'verified', 'rejected')),
      kyc_note text,
      kyc_reviewed_by bigint,
      kyc_reviewed_at timestamptz,
      deposit_limit_minor bigint CHECK (deposit_limit_minor > 0),
      deposit_limit_period text CHECK (deposit_limit_period IN ('day', 'week', 'month')),
      deposit_limit_pending jsonb,
      loss_limit_minor bigint CHECK (loss_limit_minor >= 0),
      loss_limit_period text CHECK (loss_limit_period IN ('day', 'week', 'month')),
      loss_limit_pending jsonb,
      -- The loss limit and exclusion the engine holds, as last sent (SetAccountLimits).
      engine_limits jsonb NOT NULL DEFAULT '{}'::jsonb,
      self_excluded_until timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((deposit_limit_minor IS NULL) = (deposit_limit_period IS NULL)),
      CHECK ((loss_limit_minor IS NULL) = (loss_limit_period IS NULL))
    );
    CREATE INDEX gateway_profiles_kyc ON gateway_profiles (kyc_status, updated_at) WHERE kyc_status = 'pending';
    CREATE TABLE gateway_kyc_documents (
      document_id bigserial PRIMARY KEY,
      account_id bigint NOT NULL REFERENCES gateway_users (account_id),
      kind text NOT NULL CHECK (kind IN ('passport', 'driving_licence', 'national_id', 'proof_of_address')),
      file_name text NOT NULL,
      content_type text NOT NULL,
      size_bytes bigint NOT NULL CHECK (size_bytes > 0),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      submitted_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (account_id, sha256)
    );
    CREATE TABLE gateway_deposits (
      transfer_id text PRIMARY KEY,
      account_id bigint NOT NULL REFERENCES gateway_users (account_id),
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX gateway_deposits_account ON gateway_deposits (account_id, created_at);
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP TABLE gateway_deposits;
    DROP TABLE gateway_kyc_documents;
    DROP TABLE gateway_profiles;
  `);
};
