// Payments: deposits (Stripe PaymentIntents or test deposits) and withdrawals (engine reservation,
// then a Stripe payout), each with a state that is its recovery point; the Stripe events already
// handled (unique, inserted in the same transaction as the state change they cause); and the
// outbox of engine commands those changes stage (drained at least once; the transferId makes a
// repeat a no-op in the engine).

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE payment_deposits (
      id uuid PRIMARY KEY,
      account_id bigint NOT NULL,
      idempotency_key text NOT NULL,
      mode text NOT NULL CHECK (mode IN ('stripe', 'test')),
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      currency text NOT NULL,
      state text NOT NULL CHECK (state IN ('created', 'pending', 'processing', 'payment_failed', 'succeeded', 'canceled')),
      payment_intent_id text UNIQUE,
      client_secret text,
      credited_minor bigint CHECK (credited_minor > 0),
      last_event_created_s bigint NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (account_id, idempotency_key)
    );
    CREATE INDEX payment_deposits_account_created ON payment_deposits (account_id, created_at);

    CREATE TABLE payment_withdrawals (
      id uuid PRIMARY KEY,
      account_id bigint NOT NULL,
      idempotency_key text NOT NULL,
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      currency text NOT NULL,
      state text NOT NULL CHECK (state IN ('created', 'reserved', 'payout_created', 'paid', 'rejected', 'failed')),
      payout_id text UNIQUE,
      failure_code text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (account_id, idempotency_key)
    );
    CREATE INDEX payment_withdrawals_unfinished ON payment_withdrawals (updated_at)
      WHERE state IN ('created', 'reserved');

    CREATE TABLE stripe_events (
      id text PRIMARY KEY,
      type text NOT NULL,
      outcome text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE payment_outbox (
      id bigserial PRIMARY KEY,
      transfer_id text NOT NULL UNIQUE,
      command jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      attempts integer NOT NULL DEFAULT 0,
      done_at timestamptz,
      outcome text,
      last_error text
    );
    CREATE INDEX payment_outbox_pending ON payment_outbox (id) WHERE done_at IS NULL;
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP TABLE payment_outbox;
    DROP TABLE stripe_events;
    DROP TABLE payment_withdrawals;
    DROP TABLE payment_deposits;
  `);
};
