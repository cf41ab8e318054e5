// Room on each ledger account's page for the new versions its balance updates write. Every
// statement that inserts lines updates the balance of each account they name (a batch of matched
// bets: every bettor's available and escrow accounts, chunk after chunk). balance_minor is in no
// index, so with free space on the page an update is HOT: one heap tuple on the same page and no
// new entries in the table's four indexes; on a full page it was a new tuple elsewhere and four
// index insertions. Pages are left 80% free when written; pages already written keep their layout
// until the table is rewritten (VACUUM FULL), so this takes effect as accounts are added.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`ALTER TABLE ledger_accounts SET (fillfactor = 20);`);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`ALTER TABLE ledger_accounts RESET (fillfactor);`);
};
