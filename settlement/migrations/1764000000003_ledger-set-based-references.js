// Ledger lines arrive in batches of tens of thousands. Their references are checked once per
// inserting statement, set-based, instead of by two foreign-key triggers per row: every
// transaction_id must name a ledger transaction and every ledger_account_id a ledger account, or
// the statement fails with SQLSTATE 23503 (foreign_key_violation), as the foreign keys did.
// Transactions and accounts are never deleted (append-only triggers), so a reference checked at
// insert stays valid.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    ALTER TABLE ledger_lines
      DROP CONSTRAINT ledger_lines_transaction_id_fkey,
      DROP CONSTRAINT ledger_lines_ledger_account_id_fkey;

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
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    CREATE OR REPLACE FUNCTION ledger_apply_lines() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE ledger_accounts a
         SET balance_minor = a.balance_minor + d.delta_minor
        FROM (SELECT ledger_account_id, SUM(amount_minor) AS delta_minor
                FROM new_lines GROUP BY ledger_account_id) d
       WHERE a.id = d.ledger_account_id;
      RETURN NULL;
    END $$;
    ALTER TABLE ledger_lines
      ADD CONSTRAINT ledger_lines_transaction_id_fkey FOREIGN KEY (transaction_id) REFERENCES ledger_transactions (id),
      ADD CONSTRAINT ledger_lines_ledger_account_id_fkey FOREIGN KEY (ledger_account_id) REFERENCES ledger_accounts (id);
  `);
};
