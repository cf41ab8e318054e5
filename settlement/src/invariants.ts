// The ledger's invariants, checked in SQL against what is stored (numbering from
// shared/research/ecosystem-reliability.md §5):
//
//   I1  every transaction has at least two lines summing to zero; all lines sum to zero; each
//       account's balance equals the sum of its lines; money held (users, house, pots) equals
//       deposits − withdrawals (one currency: the exchange's minor unit).
//   I2  no user or house balance is negative (available, held, escrow, commission, rounding, and
//       the house's total: a partitioned engine's house share alone may be below zero); a
//       debt account (what a user owes after a resettlement's clawback) is never positive, and
//       is below zero only while the user's available is zero (credits repay the debt first).
//   I3  after a market is settled or voided, its escrow, held and pot accounts are all zero, and
//       every pot is zero at rest.
//   I5  each stream entry is applied once and in order (the applied entries of a stream are
//       contiguous and end at its cursor); each market is settled or voided once; each account is
//       settled at most once per market (the house once per market in each risk partition of a
//       partitioned engine: it has a share in each); I3 and I5 hold at rest (every stream applied:
//       a partitioned engine's streams are applied independently); each transfer is posted once; a market's resettlement
//       transactions have a resettlement record, and a resettled market a settlement record.
//   I8  the ledger's escrow and held per (account, market) equal the engine's last reported
//       escrowMinor and exposureMinor − escrowMinor.

import { query, type Db } from './db/database.js';

export type InvariantId = 'I1' | 'I2' | 'I3' | 'I5' | 'I8';

export interface Violation {
  readonly invariant: InvariantId;
  readonly message: string;
}

export async function checkInvariants(db: Db): Promise<Violation[]> {
  const violations: Violation[] = [];
  const add = (invariant: InvariantId, rows: readonly Record<string, unknown>[], describe: (row: Record<string, unknown>) => string): void => {
    for (const row of rows) violations.push({ invariant, message: describe(row) });
  };

  add('I1', await query(db, `
    SELECT t.partition, t.command_seq, t.entry_index, COUNT(l.transaction_id) AS line_count, COALESCE(SUM(l.amount_minor), 0) AS sum_minor
      FROM ledger_transactions t LEFT JOIN ledger_lines l ON l.transaction_id = t.id
     GROUP BY t.id HAVING COUNT(l.transaction_id) < 2 OR COALESCE(SUM(l.amount_minor), 0) <> 0`),
  (r) => `transaction ${r['partition']}:${r['command_seq']}:${r['entry_index']} has ${r['line_count']} lines summing to ${r['sum_minor']}`);
  add('I1', await query(db, `
    SELECT COALESCE(SUM(amount_minor), 0) AS sum_minor FROM ledger_lines HAVING COALESCE(SUM(amount_minor), 0) <> 0`),
  (r) => `all lines sum to ${r['sum_minor']}, not 0`);
  add('I1', await query(db, `
    SELECT a.code, a.balance_minor, COALESCE(SUM(l.amount_minor), 0) AS lines_minor
      FROM ledger_accounts a LEFT JOIN ledger_lines l ON l.ledger_account_id = a.id
     GROUP BY a.id HAVING a.balance_minor <> COALESCE(SUM(l.amount_minor), 0)`),
  (r) => `${r['code']} has balance ${r['balance_minor']} but its lines sum to ${r['lines_minor']}`);
  add('I1', await query(db, `
    WITH held AS (SELECT COALESCE(SUM(balance_minor), 0) AS minor FROM ledger_accounts WHERE kind <> 'payment_clearing'),
         transfers AS (
           SELECT COALESCE(SUM(l.amount_minor) FILTER (WHERE t.kind = 'deposit'), 0) AS deposits_minor,
                  COALESCE(-SUM(l.amount_minor) FILTER (WHERE t.kind = 'withdrawal'), 0) AS withdrawals_minor
             FROM ledger_lines l JOIN ledger_transactions t ON t.id = l.transaction_id
             JOIN ledger_accounts a ON a.id = l.ledger_account_id
            WHERE a.kind = 'user_available' AND t.kind IN ('deposit', 'withdrawal'))
    SELECT held.minor AS held_minor, deposits_minor, withdrawals_minor FROM held, transfers
     WHERE held.minor <> deposits_minor - withdrawals_minor`),
  (r) => `money held ${r['held_minor']} ≠ deposits ${r['deposits_minor']} − withdrawals ${r['withdrawals_minor']}`);

  add('I2', await query(db, `
    SELECT code, balance_minor FROM ledger_accounts
     WHERE kind NOT IN ('market_pot', 'payment_clearing', 'user_debt', 'house_share') AND balance_minor < 0`),
  (r) => `${r['code']} is negative: ${r['balance_minor']}`);
  add('I2', await query(db, `
    SELECT SUM(balance_minor) AS house_minor FROM ledger_accounts
     WHERE kind IN ('house_commission', 'house_rounding', 'house_share') HAVING SUM(balance_minor) < 0`),
  (r) => `the house is negative: ${r['house_minor']}`);
  add('I2', await query(db, `SELECT code, balance_minor FROM ledger_accounts WHERE kind = 'user_debt' AND balance_minor > 0`),
  (r) => `${r['code']} is positive: ${r['balance_minor']}`);
  add('I2', await query(db, `
    SELECT d.code, d.balance_minor AS debt_minor, a.balance_minor AS available_minor
      FROM ledger_accounts d JOIN ledger_accounts a ON a.owner_account_id = d.owner_account_id AND a.kind = 'user_available'
     WHERE d.kind = 'user_debt' AND d.balance_minor < 0 AND a.balance_minor > 0`),
  (r) => `${r['code']} owes ${r['debt_minor']} while available holds ${r['available_minor']}`);

  add('I3', await query(db, `
    SELECT a.code, a.balance_minor, s.outcome FROM ledger_accounts a
      JOIN market_settlements s ON s.market_id = a.market_id
     WHERE a.balance_minor <> 0`),
  (r) => `${r['code']} holds ${r['balance_minor']} after the market was ${r['outcome']}`);
  add('I3', await query(db, `SELECT code, balance_minor FROM ledger_accounts WHERE kind = 'market_pot' AND balance_minor <> 0`),
  (r) => `${r['code']} holds ${r['balance_minor']} at rest`);

  add('I5', await query(db, `
    SELECT stream_key, entry_id, first_seq, previous_last_seq FROM (
      SELECT stream_key, entry_id, first_seq,
             COALESCE(LAG(last_seq) OVER (PARTITION BY stream_key ORDER BY last_seq), 0) AS previous_last_seq
        FROM applied_stream_entries) e
     WHERE first_seq <> previous_last_seq + 1`),
  (r) => `${r['stream_key']} entry ${r['entry_id']} starts at seq ${r['first_seq']} after ${r['previous_last_seq']}`);
  add('I5', await query(db, `
    SELECT c.stream_key, c.last_seq, MAX(e.last_seq) AS applied_last_seq
      FROM stream_cursors c LEFT JOIN applied_stream_entries e ON e.stream_key = c.stream_key
     GROUP BY c.stream_key, c.last_seq HAVING c.last_seq <> COALESCE(MAX(e.last_seq), 0)`),
  (r) => `${r['stream_key']} cursor at ${r['last_seq']} but applied entries end at ${r['applied_last_seq']}`);
  add('I5', await query(db, `
    SELECT account_id, market_id, COUNT(*) AS times FROM ledger_transactions
     WHERE kind IN ('settlement', 'house_settlement')
     GROUP BY account_id, market_id, CASE WHEN kind = 'house_settlement' THEN partition END HAVING COUNT(*) > 1`),
  (r) => `account ${r['account_id']} settled ${r['times']} times on market ${r['market_id']}`);
  add('I5', await query(db, `
    SELECT t.market_id FROM ledger_transactions t LEFT JOIN market_settlements s ON s.market_id = t.market_id
     WHERE t.kind IN ('settlement', 'house_settlement') AND s.market_id IS NULL GROUP BY t.market_id`),
  (r) => `market ${r['market_id']} has settlement transactions but no settlement record`);
  // Over a partitioned engine a risk partition's resettlement commands are recorded by the market's
  // matching partition: there must be as many records from other partitions as such commands.
  add('I5', await query(db, `
    WITH commands AS (
      SELECT market_id, partition, command_seq FROM ledger_transactions
       WHERE kind IN ('resettlement', 'house_resettlement') GROUP BY market_id, partition, command_seq)
    SELECT c.market_id FROM commands c
     WHERE NOT EXISTS (SELECT 1 FROM market_resettlements r
                        WHERE r.market_id = c.market_id AND r.partition = c.partition AND r.command_seq = c.command_seq)
       AND (SELECT COUNT(*) FROM commands o WHERE o.market_id = c.market_id AND o.partition = c.partition)
         > (SELECT COUNT(*) FROM market_resettlements r WHERE r.market_id = c.market_id AND r.partition <> c.partition)
     GROUP BY c.market_id`),
  (r) => `market ${r['market_id']} has resettlement transactions without a resettlement record`);
  add('I5', await query(db, `
    SELECT r.market_id FROM market_resettlements r LEFT JOIN market_settlements s ON s.market_id = r.market_id
     WHERE s.market_id IS NULL GROUP BY r.market_id`),
  (r) => `market ${r['market_id']} was resettled but never settled or voided`);
  add('I5', await query(db, `
    SELECT kind, account_id, reference, COUNT(*) AS times FROM ledger_transactions
     WHERE kind IN ('deposit', 'withdrawal') GROUP BY kind, account_id, reference HAVING COUNT(*) > 1`),
  (r) => `${r['kind']} ${r['reference']} of account ${r['account_id']} posted ${r['times']} times`);

  add('I8', await query(db, `
    WITH ledger AS (
      SELECT owner_account_id AS account_id, market_id,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_escrow'), 0) AS escrow_minor,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_held'), 0) AS held_minor
        FROM ledger_accounts WHERE kind IN ('user_escrow', 'user_held')
       GROUP BY owner_account_id, market_id)
    SELECT COALESCE(r.account_id, l.account_id) AS account_id, COALESCE(r.market_id, l.market_id) AS market_id,
           COALESCE(r.escrow_minor, 0) AS engine_escrow_minor, COALESCE(r.exposure_minor - r.escrow_minor, 0) AS engine_held_minor,
           COALESCE(l.escrow_minor, 0) AS ledger_escrow_minor, COALESCE(l.held_minor, 0) AS ledger_held_minor
      FROM reported_positions r FULL JOIN ledger l ON l.account_id = r.account_id AND l.market_id = r.market_id
     WHERE COALESCE(r.escrow_minor, 0) <> COALESCE(l.escrow_minor, 0)
        OR COALESCE(r.exposure_minor - r.escrow_minor, 0) <> COALESCE(l.held_minor, 0)`),
  (r) =>
    `account ${r['account_id']} market ${r['market_id']}: engine escrow ${r['engine_escrow_minor']} held ${r['engine_held_minor']}, ` +
    `ledger escrow ${r['ledger_escrow_minor']} held ${r['ledger_held_minor']}`);

  return violations;
}
