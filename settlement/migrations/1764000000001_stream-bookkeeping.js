// What makes the worker exactly-once, and what the engine reported: the stream entries applied
// (unique), each stream's cursor, each market's settlement or void (unique), and the engine's last
// reported figures per account and per position, for the invariants and the reconciliation.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE stream_cursors (
      stream_key text PRIMARY KEY,
      last_seq bigint NOT NULL CHECK (last_seq >= 0)
    );

    CREATE TABLE applied_stream_entries (
      stream_key text NOT NULL,
      entry_id text NOT NULL,
      first_seq bigint NOT NULL,
      last_seq bigint NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (stream_key, entry_id),
      UNIQUE (stream_key, last_seq),
      CHECK (first_seq >= 1 AND first_seq <= last_seq)
    );

    CREATE TABLE market_settlements (
      market_id bigint PRIMARY KEY,
      outcome text NOT NULL CHECK (outcome IN ('settled', 'voided')),
      partition text NOT NULL,
      command_seq bigint NOT NULL,
      winners jsonb,
      commission_bps integer,
      applied_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TRIGGER applied_stream_entries_append_only BEFORE UPDATE OR DELETE ON applied_stream_entries
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
    CREATE TRIGGER market_settlements_append_only BEFORE UPDATE OR DELETE ON market_settlements
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

    CREATE TABLE reported_accounts (
      account_id bigint PRIMARY KEY,
      account_seq bigint NOT NULL,
      balance_minor bigint NOT NULL,
      exposure_minor bigint NOT NULL,
      available_minor bigint NOT NULL
    );

    CREATE TABLE reported_positions (
      account_id bigint NOT NULL,
      market_id bigint NOT NULL,
      account_seq bigint NOT NULL,
      exposure_minor bigint NOT NULL,
      escrow_minor bigint NOT NULL,
      PRIMARY KEY (account_id, market_id)
    );
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP TABLE reported_positions;
    DROP TABLE reported_accounts;
    DROP TABLE market_settlements;
    DROP TABLE applied_stream_entries;
    DROP TABLE stream_cursors;
  `);
};
