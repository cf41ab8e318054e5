// Every ledger transaction's lines must sum to zero (at least two lines), checked at commit. The
// check was a deferred trigger per transaction row, one query each: with two transactions per
// matched bet it cost as much as writing the rows. Now each statement that inserts transactions
// queues one check of its id range, and one deferred trigger per statement checks the whole range
// at commit, set-based. Transactions of other sessions that fall inside the range are either
// invisible (not committed) or already checked by their own commit, so they cannot fail it. The
// queue stays empty: a check removes its own row once it passes.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    DROP TRIGGER ledger_transactions_balanced ON ledger_transactions;
    DROP FUNCTION ledger_check_balanced();

    CREATE TABLE ledger_balance_checks (
      id bigserial PRIMARY KEY,
      first_transaction_id bigint NOT NULL,
      last_transaction_id bigint NOT NULL,
      CHECK (first_transaction_id <= last_transaction_id)
    );

    CREATE FUNCTION ledger_queue_balance_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ledger_balance_checks (first_transaction_id, last_transaction_id)
        SELECT MIN(id), MAX(id) FROM new_transactions HAVING COUNT(*) > 0;
      RETURN NULL;
    END $$;
    CREATE TRIGGER ledger_transactions_queue_balance_check AFTER INSERT ON ledger_transactions
      REFERENCING NEW TABLE AS new_transactions FOR EACH STATEMENT EXECUTE FUNCTION ledger_queue_balance_check();

    -- Two single-table passes over the range (no join, so no plan can turn quadratic): every
    -- transaction with lines has at least two summing to zero, and as many transactions have
    -- lines as there are transactions. Lines are visible exactly when their transaction is.
    CREATE FUNCTION ledger_check_balanced_range() RETURNS trigger LANGUAGE plpgsql AS $$
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
    CREATE CONSTRAINT TRIGGER ledger_balance_checks_run AFTER INSERT ON ledger_balance_checks
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced_range();
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP TRIGGER ledger_transactions_queue_balance_check ON ledger_transactions;
    DROP TABLE ledger_balance_checks;
    DROP FUNCTION ledger_check_balanced_range();
    DROP FUNCTION ledger_queue_balance_check();

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
  `);
};
