// Leaner ledger rows for write throughput (a matched bet writes two transactions and four lines):
//
// - A ledger transaction is identified by (partition, command_seq, entry_index), unique: the
//   entry_index-th transaction its command posted. This replaces the text idempotency_key
//   `<partition>:<seq>:<n>` and its unique index, which cost as much as the rest of the row.
// - A line has no surrogate id: a transaction has at most one line per account (the posting rules
//   merge them), so (transaction_id, ledger_account_id) is the primary key, and it serves the
//   lookups by transaction that ledger_lines_transaction served.
// - ledger_transactions is indexed by market only where it is read by market: the settlement and
//   resettlement transactions of an account (the gateway's settled markets), by (account, market).
// - The line trigger checks each distinct transaction once, and aggregates the lines per account
//   once for both the balance update and the count of accounts named; the check at commit that
//   every transaction balances reads the range's lines once instead of twice.
//
// Down restores the text keys from the composite ones.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    ALTER TABLE ledger_transactions DISABLE TRIGGER ledger_transactions_append_only;
    ALTER TABLE ledger_transactions ADD COLUMN entry_index integer;
    UPDATE ledger_transactions SET entry_index = (regexp_match(idempotency_key, ':([0-9]+)$'))[1]::integer;
    ALTER TABLE ledger_transactions ENABLE TRIGGER ledger_transactions_append_only;
    ALTER TABLE ledger_transactions
      ALTER COLUMN entry_index SET NOT NULL,
      ADD CONSTRAINT ledger_transactions_entry_index_check CHECK (entry_index >= 0),
      ADD CONSTRAINT ledger_transactions_command_entry_key UNIQUE (partition, command_seq, entry_index),
      DROP COLUMN idempotency_key;
    DROP INDEX ledger_transactions_market;
    CREATE INDEX ledger_transactions_settlements ON ledger_transactions (account_id, market_id)
      WHERE kind IN ('settlement', 'resettlement');

    DROP INDEX ledger_lines_transaction;
    ALTER TABLE ledger_lines DROP COLUMN id;
    ALTER TABLE ledger_lines ADD PRIMARY KEY (transaction_id, ledger_account_id);

    CREATE OR REPLACE FUNCTION ledger_apply_lines() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      missing bigint;
      touched bigint;
      updated bigint;
    BEGIN
      SELECT d.transaction_id INTO missing
        FROM (SELECT DISTINCT transaction_id FROM new_lines) d
       WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = d.transaction_id)
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger line names transaction %, which does not exist', missing USING ERRCODE = '23503';
      END IF;
      WITH deltas AS (
             SELECT ledger_account_id, SUM(amount_minor) AS delta_minor FROM new_lines GROUP BY ledger_account_id),
           moved AS (
             UPDATE ledger_accounts a
                SET balance_minor = a.balance_minor + d.delta_minor
               FROM deltas d
              WHERE a.id = d.ledger_account_id
             RETURNING 1)
      SELECT (SELECT COUNT(*) FROM deltas), (SELECT COUNT(*) FROM moved) INTO touched, updated;
      IF updated <> touched THEN
        RAISE EXCEPTION 'ledger lines name % accounts, of which % exist', touched, updated USING ERRCODE = '23503';
      END IF;
      RETURN NULL;
    END $$;

    CREATE OR REPLACE FUNCTION ledger_check_balanced_range() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      bad record;
      unbalanced bigint;
      with_lines bigint;
      transactions bigint;
    BEGIN
      -- One pass over the range's lines (by the primary key, in transaction order).
      SELECT COUNT(*) FILTER (WHERE line_count < 2 OR total <> 0), COUNT(*) INTO unbalanced, with_lines
        FROM (SELECT transaction_id, COUNT(*) AS line_count, SUM(amount_minor) AS total
                FROM ledger_lines
               WHERE transaction_id BETWEEN NEW.first_transaction_id AND NEW.last_transaction_id
               GROUP BY transaction_id) per_transaction;
      IF unbalanced > 0 THEN
        SELECT transaction_id, COUNT(*) AS line_count, SUM(amount_minor) AS total INTO bad
          FROM ledger_lines
         WHERE transaction_id BETWEEN NEW.first_transaction_id AND NEW.last_transaction_id
         GROUP BY transaction_id
        HAVING COUNT(*) < 2 OR SUM(amount_minor) <> 0
         LIMIT 1;
        RAISE EXCEPTION 'ledger transaction % does not balance: % lines summing to %',
          bad.transaction_id, bad.line_count, bad.total USING ERRCODE = '23514';
      END IF;
      SELECT COUNT(*) INTO transactions
        FROM ledger_transactions
       WHERE id BETWEEN NEW.first_transaction_id AND NEW.last_transaction_id;
      IF with_lines <> transactions THEN
        SELECT t.id, t.partition, t.command_seq, t.entry_index INTO bad
          FROM ledger_transactions t
         WHERE t.id BETWEEN NEW.first_transaction_id AND NEW.last_transaction_id
           AND NOT EXISTS (SELECT 1 FROM ledger_lines l WHERE l.transaction_id = t.id)
         LIMIT 1;
        RAISE EXCEPTION 'ledger transaction % (%:%:%) has no lines', bad.id, bad.partition, bad.command_seq, bad.entry_index
          USING ERRCODE = '23514';
      END IF;
      DELETE FROM ledger_balance_checks WHERE id = NEW.id;
      RETURN NULL;
    END $$;
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    CREATE OR REPLACE FUNCTION ledger_check_balanced_range() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      bad record;
      with_lines bigint;
      transactions bigint;
    BEGIN
      SELECT transaction_id, COUNT(*) AS line_count, SUM(amount_minor) AS total INTO bad
        FROM ledger_lines
       WHERE transaction_id BETWEEN NEW.first_transaction_id AND NEW.last_transaction_id
       GROUP BY transaction_id
      HAVING COUNT(*) < 2 OR SUM(amount_minor) <> 0
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: % lines summing to %',
          bad.transaction_id, bad.line_count, bad.total USING ERRCODE = '23514';
      END IF;
      SELECT COUNT(DISTINCT transaction_id) INTO with_lines
        FROM ledger_lines
       WHERE transaction_id BETWEEN NEW.first_transaction_id AND NEW.last_transaction_id;
      SELECT COUNT(*) INTO transactions
        FROM ledger_transactions
       WHERE id BETWEEN NEW.first_transaction_id AND NEW.last_transaction_id;
      IF with_lines <> transactions THEN
        SELECT t.id, t.idempotency_key INTO bad
          FROM ledger_transactions t
         WHERE t.id BETWEEN NEW.first_transaction_id AND NEW.last_transaction_id
           AND NOT EXISTS (SELECT 1 FROM ledger_lines l WHERE l.transaction_id = t.id)
         LIMIT 1;
        RAISE EXCEPTION 'ledger transaction % (%) has no lines', bad.id, bad.idempotency_key USING ERRCODE = '23514';
      END IF;
      DELETE FROM ledger_balance_checks WHERE id = NEW.id;
      RETURN NULL;
    END $$;

    CREATE OR REPLACE FUNCTION ledger_apply_lines() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      missing bigint;
      touched bigint;
      updated bigint;
    BEGIN
      SELECT l.transaction_id INTO missing
        FROM new_lines l
       WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = l.transaction_id)
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger line names transaction %, which does not exist', missing USING ERRCODE = '23503';
      END IF;
      UPDATE ledger_accounts a
         SET balance_minor = a.balance_minor + d.delta_minor
        FROM (SELECT ledger_account_id, SUM(amount_minor) AS delta_minor
                FROM new_lines GROUP BY ledger_account_id) d
       WHERE a.id = d.ledger_account_id;
      GET DIAGNOSTICS updated = ROW_COUNT;
      SELECT COUNT(DISTINCT ledger_account_id) INTO touched FROM new_lines;
      IF updated <> touched THEN
        RAISE EXCEPTION 'ledger lines name % accounts, of which % exist', touched, updated USING ERRCODE = '23503';
      END IF;
      RETURN NULL;
    END $$;

    ALTER TABLE ledger_lines DROP CONSTRAINT ledger_lines_pkey;
    ALTER TABLE ledger_lines ADD COLUMN id bigserial PRIMARY KEY;
    CREATE INDEX ledger_lines_transaction ON ledger_lines (transaction_id);

    DROP INDEX ledger_transactions_settlements;
    CREATE INDEX ledger_transactions_market ON ledger_transactions (market_id) WHERE market_id IS NOT NULL;
    ALTER TABLE ledger_transactions DISABLE TRIGGER ledger_transactions_append_only;
    ALTER TABLE ledger_transactions ADD COLUMN idempotency_key text;
    UPDATE ledger_transactions SET idempotency_key = partition || ':' || command_seq || ':' || entry_index;
    ALTER TABLE ledger_transactions ENABLE TRIGGER ledger_transactions_append_only;
    ALTER TABLE ledger_transactions
      ALTER COLUMN idempotency_key SET NOT NULL,
      ADD CONSTRAINT ledger_transactions_idempotency_key_key UNIQUE (idempotency_key),
      DROP CONSTRAINT ledger_transactions_command_entry_key,
      DROP COLUMN entry_index;
  `);
};
