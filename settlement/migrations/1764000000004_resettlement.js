// Resettlement and un-void as new transactions, and what a user owes after a clawback.
//
// A resettlement reverses each account's previous result on a market and applies the new one
// (transactions of kind 'resettlement', and 'house_resettlement' for the house's rounding). When
// it takes back more than the user's available balance holds, the rest is booked to the user's
// debt account (kind 'user_debt', code debt:<account>), whose balance is never positive: the
// amount the user owes the exchange. Money later credited to available repays it first
// ('debt_repayment'). Each resettlement is recorded once in market_resettlements.
//
// The enum gains a value by being recreated, so that the whole change runs in one transaction
// (a value added with ALTER TYPE ... ADD VALUE cannot be used before its transaction commits).
// Down refuses (the casts fail) while any debt account or resettlement transaction exists.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    DROP VIEW user_balances;
    ALTER TABLE ledger_accounts
      DROP CONSTRAINT ledger_accounts_shape,
      DROP CONSTRAINT ledger_accounts_not_negative,
      DROP CONSTRAINT ledger_accounts_clearing_not_positive;
    ALTER TYPE ledger_account_kind RENAME TO ledger_account_kind_before_debt;
    CREATE TYPE ledger_account_kind AS ENUM (
      'user_available', 'user_held', 'user_escrow', 'market_pot',
      'house_commission', 'house_rounding', 'payment_clearing', 'user_debt'
    );
    ALTER TABLE ledger_accounts ALTER COLUMN kind TYPE ledger_account_kind USING kind::text::ledger_account_kind;
    DROP TYPE ledger_account_kind_before_debt;
    ALTER TABLE ledger_accounts
      ADD CONSTRAINT ledger_accounts_shape CHECK (
        CASE kind
          WHEN 'user_available' THEN owner_account_id IS NOT NULL AND market_id IS NULL
          WHEN 'user_debt' THEN owner_account_id IS NOT NULL AND market_id IS NULL
          WHEN 'user_held' THEN owner_account_id IS NOT NULL AND market_id IS NOT NULL
          WHEN 'user_escrow' THEN owner_account_id IS NOT NULL AND market_id IS NOT NULL
          WHEN 'market_pot' THEN owner_account_id IS NULL AND market_id IS NOT NULL
          ELSE owner_account_id IS NULL AND market_id IS NULL
        END
      ),
      ADD CONSTRAINT ledger_accounts_not_negative CHECK (
        kind IN ('market_pot', 'payment_clearing', 'user_debt') OR balance_minor >= 0
      ),
      ADD CONSTRAINT ledger_accounts_clearing_not_positive CHECK (
        kind <> 'payment_clearing' OR balance_minor <= 0
      ),
      ADD CONSTRAINT ledger_accounts_debt_not_positive CHECK (
        kind <> 'user_debt' OR balance_minor <= 0
      );

    ALTER TABLE ledger_transactions
      DROP CONSTRAINT ledger_transactions_kind_check,
      ADD CONSTRAINT ledger_transactions_kind_check CHECK (kind IN (
        'deposit', 'withdrawal', 'position', 'settlement', 'house_settlement',
        'resettlement', 'house_resettlement', 'debt_repayment'
      ));

    CREATE TABLE market_resettlements (
      id bigserial PRIMARY KEY,
      market_id bigint NOT NULL,
      partition text NOT NULL,
      command_seq bigint NOT NULL,
      previous_outcome text NOT NULL CHECK (previous_outcome IN ('settled', 'voided')),
      outcome text NOT NULL CHECK (outcome IN ('settled', 'voided')),
      winners jsonb,
      commission_bps integer NOT NULL,
      reason text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (partition, command_seq, market_id),
      CHECK ((outcome = 'settled') = (winners IS NOT NULL))
    );
    CREATE INDEX market_resettlements_market ON market_resettlements (market_id, command_seq);
    CREATE TRIGGER market_resettlements_append_only BEFORE UPDATE OR DELETE ON market_resettlements
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

    -- Per engine account: available, held, escrow, what it owes (≤ 0), and the total (the engine's
    -- balance, below zero while it owes more than it holds).
    CREATE VIEW user_balances AS
      SELECT owner_account_id AS account_id,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_available'), 0)::bigint AS available_minor,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_held'), 0)::bigint AS held_minor,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_escrow'), 0)::bigint AS escrow_minor,
             SUM(balance_minor)::bigint AS total_minor,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_debt'), 0)::bigint AS debt_minor
        FROM ledger_accounts
       WHERE owner_account_id IS NOT NULL
       GROUP BY owner_account_id;
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP VIEW user_balances;
    DROP TABLE market_resettlements;
    ALTER TABLE ledger_transactions
      DROP CONSTRAINT ledger_transactions_kind_check,
      ADD CONSTRAINT ledger_transactions_kind_check CHECK (kind IN ('deposit', 'withdrawal', 'position', 'settlement', 'house_settlement'));
    ALTER TABLE ledger_accounts
      DROP CONSTRAINT ledger_accounts_shape,
      DROP CONSTRAINT ledger_accounts_not_negative,
      DROP CONSTRAINT ledger_accounts_clearing_not_positive,
      DROP CONSTRAINT ledger_accounts_debt_not_positive;
    ALTER TYPE ledger_account_kind RENAME TO ledger_account_kind_with_debt;
    CREATE TYPE ledger_account_kind AS ENUM (
      'user_available', 'user_held', 'user_escrow', 'market_pot',
      'house_commission', 'house_rounding', 'payment_clearing'
    );
    ALTER TABLE ledger_accounts ALTER COLUMN kind TYPE ledger_account_kind USING kind::text::ledger_account_kind;
    DROP TYPE ledger_account_kind_with_debt;
    ALTER TABLE ledger_accounts
      ADD CONSTRAINT ledger_accounts_shape CHECK (
        CASE kind
          WHEN 'user_available' THEN owner_account_id IS NOT NULL AND market_id IS NULL
          WHEN 'user_held' THEN owner_account_id IS NOT NULL AND market_id IS NOT NULL
          WHEN 'user_escrow' THEN owner_account_id IS NOT NULL AND market_id IS NOT NULL
          WHEN 'market_pot' THEN owner_account_id IS NULL AND market_id IS NOT NULL
          ELSE owner_account_id IS NULL AND market_id IS NULL
        END
      ),
      ADD CONSTRAINT ledger_accounts_not_negative CHECK (
        kind IN ('market_pot', 'payment_clearing') OR balance_minor >= 0
      ),
      ADD CONSTRAINT ledger_accounts_clearing_not_positive CHECK (
        kind <> 'payment_clearing' OR balance_minor <= 0
      );
    CREATE VIEW user_balances AS
      SELECT owner_account_id AS account_id,
             SUM(balance_minor) FILTER (WHERE kind = 'user_available')::bigint AS available_minor,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_held'), 0)::bigint AS held_minor,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_escrow'), 0)::bigint AS escrow_minor,
             SUM(balance_minor)::bigint AS total_minor
        FROM ledger_accounts
       WHERE owner_account_id IS NOT NULL
       GROUP BY owner_account_id;
  `);
};
