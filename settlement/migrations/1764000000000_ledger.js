// The double-entry ledger: accounts with maintained balances, transactions, and immutable lines
// whose amounts sum to zero per transaction. Money is BIGINT minor units.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    CREATE TYPE ledger_account_kind AS ENUM (
      'user_available', 'user_held', 'user_escrow', 'market_pot',
      'house_commission', 'house_rounding', 'payment_clearing'
    );

    CREATE TABLE ledger_accounts (
      id bigserial PRIMARY KEY,
      code text NOT NULL UNIQUE,
      kind ledger_account_kind NOT NULL,
      owner_account_id bigint,
      market_id bigint,
      balance_minor bigint NOT NULL DEFAULT 0,
      CONSTRAINT ledger_accounts_shape CHECK (
        CASE kind
          WHEN 'user_available' THEN owner_account_id IS NOT NULL AND market_id IS NULL
          WHEN 'user_held' THEN owner_account_id IS NOT NULL AND market_id IS NOT NULL
          WHEN 'user_escrow' THEN owner_account_id IS NOT NULL AND market_id IS NOT NULL
          WHEN 'market_pot' THEN owner_account_id IS NULL AND market_id IS NOT NULL
          ELSE owner_account_id IS NULL AND market_id IS NULL
        END
      ),
      CONSTRAINT ledger_accounts_not_negative CHECK (
        kind IN ('market_pot', 'payment_clearing') OR balance_minor >= 0
      ),
      CONSTRAINT ledger_accounts_clearing_not_positive CHECK (
        kind <> 'payment_clearing' OR balance_minor <= 0
      )
    );
    INSERT INTO ledger_accounts (code, kind) VALUES
      ('house:commission', 'house_commission'),
      ('house:rounding', 'house_rounding'),
      ('clearing:payments', 'payment_clearing');
    CREATE INDEX ledger_accounts_owner ON ledger_accounts (owner_account_id) WHERE owner_account_id IS NOT NULL;
    CREATE INDEX ledger_accounts_market ON ledger_accounts (market_id) WHERE market_id IS NOT NULL;

    CREATE TABLE ledger_transactions (
      id bigserial PRIMARY KEY,
      idempotency_key text NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('deposit', 'withdrawal', 'position', 'settlement', 'house_settlement')),
      partition text NOT NULL,
      command_seq bigint NOT NULL,
      account_id bigint,
      market_id bigint,
      reference text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ledger_transactions_market ON ledger_transactions (market_id) WHERE market_id IS NOT NULL;

    CREATE TABLE ledger_lines (
      id bigserial PRIMARY KEY,
      transaction_id bigint NOT NULL REFERENCES ledger_transactions (id),
      ledger_account_id bigint NOT NULL REFERENCES ledger_accounts (id),
      amount_minor bigint NOT NULL CHECK (amount_minor <> 0)
    );
    CREATE INDEX ledger_lines_transaction ON ledger_lines (transaction_id);
    CREATE INDEX ledger_lines_account ON ledger_lines (ledger_account_id);

    -- Transactions and lines are append-only: corrections are new transactions.
    CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = '55000';
    END $$;
    CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
    CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
    CREATE TRIGGER ledger_lines_append_only BEFORE UPDATE OR DELETE ON ledger_lines
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
    CREATE TRIGGER ledger_lines_no_truncate BEFORE TRUNCATE ON ledger_lines
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

    -- Each transaction's lines sum to zero, checked at commit (so lines may arrive in any statement).
    CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      total numeric;
      line_count bigint;
    BEGIN
      SELECT COALESCE(SUM(amount_minor), 0), COUNT(*) INTO total, line_count
        FROM ledger_lines WHERE transaction_id = NEW.id;
      IF line_count < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % (%) does not balance: % lines summing to %',
          NEW.id, NEW.idempotency_key, line_count, total USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON ledger_transactions
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

    -- Balances follow the lines: one update per account per inserting statement. The CHECKs on
    -- ledger_accounts then refuse a negative available balance in the same statement.
    CREATE FUNCTION ledger_apply_lines() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE ledger_accounts a
         SET balance_minor = a.balance_minor + d.delta_minor
        FROM (SELECT ledger_account_id, SUM(amount_minor) AS delta_minor
                FROM new_lines GROUP BY ledger_account_id) d
       WHERE a.id = d.ledger_account_id;
      RETURN NULL;
    END $$;
    CREATE TRIGGER ledger_lines_apply AFTER INSERT ON ledger_lines
      REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_lines();

    -- Only the line trigger moves a balance; an account's identity never changes.
    CREATE FUNCTION ledger_accounts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger accounts are never deleted' USING ERRCODE = '55000';
      END IF;
      IF NEW.code <> OLD.code OR NEW.kind <> OLD.kind
         OR NEW.owner_account_id IS DISTINCT FROM OLD.owner_account_id
         OR NEW.market_id IS DISTINCT FROM OLD.market_id THEN
        RAISE EXCEPTION 'a ledger account''s identity is immutable' USING ERRCODE = '55000';
      END IF;
      IF NEW.balance_minor <> OLD.balance_minor AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'balances change only through ledger lines' USING ERRCODE = '55000';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE OR DELETE ON ledger_accounts
      FOR EACH ROW EXECUTE FUNCTION ledger_accounts_guard();
    CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

    -- Per engine account: available, held for open orders, escrow of matched bets, and the total.
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

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP VIEW user_balances;
    DROP TABLE ledger_lines;
    DROP TABLE ledger_transactions;
    DROP TABLE ledger_accounts;
    DROP FUNCTION ledger_accounts_guard();
    DROP FUNCTION ledger_apply_lines();
    DROP FUNCTION ledger_check_balanced();
    DROP FUNCTION ledger_append_only();
    DROP TYPE ledger_account_kind;
  `);
};
