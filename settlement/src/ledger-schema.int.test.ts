// The schema's own guarantees on a real PostgreSQL: migrations up → down → up on an empty
// database; lines are immutable; a transaction that does not balance cannot commit; no negative
// available balance; balances move only through lines; applied entries and settlements are unique.

import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPostgres, type SharedServer } from '../../scripts/test-context.js';
import { connectDatabase, inTransaction, query, toMinor, type Db } from './db/database.js';
import { migrate } from './db/migrate.js';
import { checkInvariants } from './invariants.js';
import { freshDatabase } from './testing/fresh-database.js';

let server: SharedServer;
let databaseUrl: string;
let sql: Db;
const MIGRATIONS = readdirSync(new URL('../migrations', import.meta.url)).filter((name) => name.endsWith('.js')).length;

beforeAll(async () => {
  server = await sharedPostgres();
  databaseUrl = await freshDatabase(server.url);
  sql = connectDatabase(databaseUrl);
});

afterAll(async () => {
  await sql?.end();
  await server?.release();
});

async function tables(): Promise<string[]> {
  const rows = await query(sql, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'pgmigrations' ORDER BY 1`);
  return rows.map((r) => r['tablename'] as string);
}

async function sqlState(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
  return 'no error';
}

/** Posts the first transaction of command `commandSeq`, of the given lines (code, amount), in one database transaction. */
function post(commandSeq: number, lines: ReadonlyArray<readonly [string, number]>): Promise<unknown> {
  return inTransaction(sql, async (tx) => {
    const [t] = await query(tx, "INSERT INTO ledger_transactions (kind, partition, command_seq, entry_index) VALUES ('deposit', 'p0', $1, 0) RETURNING id", [commandSeq]);
    for (const [code, amountMinor] of lines) {
      await query(tx, "INSERT INTO ledger_accounts (code, kind, owner_account_id) VALUES ($1, 'user_available', 1) ON CONFLICT DO NOTHING", [code]);
      await query(tx, 'INSERT INTO ledger_lines (transaction_id, ledger_account_id, amount_minor) SELECT $1, id, $2 FROM ledger_accounts WHERE code = $3', [
        t?.['id'],
        amountMinor,
        code,
      ]);
    }
  });
}

describe('ledger schema', () => {
  it('migrates up, down and up again on an empty database', async () => {
    expect(await migrate(databaseUrl, 'up')).toHaveLength(MIGRATIONS);
    const created = await tables();
    expect(created).toEqual(expect.arrayContaining(['ledger_accounts', 'ledger_transactions', 'ledger_lines', 'applied_stream_entries', 'market_settlements', 'stream_cursors', 'payment_deposits', 'payment_withdrawals', 'stripe_events', 'payment_outbox']));
    expect(await migrate(databaseUrl, 'down')).toHaveLength(MIGRATIONS);
    expect(await tables()).toEqual([]);
    expect(await migrate(databaseUrl, 'up')).toHaveLength(MIGRATIONS);
    expect(await tables()).toEqual(created);
    expect(await migrate(databaseUrl, 'up')).toEqual([]);
  });

  it('keeps what was posted through the lean-rows migration, down and up again', async () => {
    const url = await freshDatabase(server.url);
    await migrate(url, 'up');
    expect(await migrate(url, 'down', 3)).toEqual(['1764000000040_ledger-accounts-fillfactor', '1764000000030_house-shares', '1764000000020_ledger-lean-rows']);
    const own = connectDatabase(url);
    try {
      await inTransaction(own, async (tx) => {
        await query(tx, "INSERT INTO ledger_accounts (code, kind, owner_account_id) VALUES ('available:9', 'user_available', 9)");
        const [t] = await query(tx, "INSERT INTO ledger_transactions (idempotency_key, kind, partition, command_seq) VALUES ('p0:5:1', 'deposit', 'p0', 5) RETURNING id");
        await query(tx, `INSERT INTO ledger_lines (transaction_id, ledger_account_id, amount_minor)
                         SELECT $1, id, CASE WHEN code = 'available:9' THEN 100 ELSE -100 END FROM ledger_accounts WHERE code IN ('available:9', 'clearing:payments')`, [t?.['id']]);
      });
      await migrate(url, 'up');
      expect(await query(own, 'SELECT partition, command_seq::int, entry_index FROM ledger_transactions')).toEqual([{ partition: 'p0', command_seq: 5, entry_index: 1 }]);
      expect(await checkInvariants(own)).toEqual([]);
      await migrate(url, 'down', 3);
      expect(await query(own, 'SELECT idempotency_key FROM ledger_transactions')).toEqual([{ idempotency_key: 'p0:5:1' }]);
      expect((await query(own, 'SELECT COUNT(DISTINCT id)::int AS n FROM ledger_lines'))[0]?.['n']).toBe(2);
      await migrate(url, 'up');
      expect(await checkInvariants(own)).toEqual([]);
    } finally {
      await own.end();
    }
  });

  it('keeps lines immutable, balances derived from them, and every transaction balanced', async () => {
    await post(1, [['clearing:payments', -500], ['available:1', 500]]);
    expect(toMinor((await query(sql, `SELECT balance_minor FROM ledger_accounts WHERE code = 'available:1'`))[0]?.['balance_minor'])).toBe(500);

    expect(await sqlState(() => query(sql, `UPDATE ledger_lines SET amount_minor = amount_minor + 1`))).toBe('55000');
    expect(await sqlState(() => query(sql, `DELETE FROM ledger_lines`))).toBe('55000');
    expect(await sqlState(() => query(sql, `TRUNCATE ledger_lines CASCADE`))).toBe('55000');
    expect(await sqlState(() => query(sql, `DELETE FROM ledger_transactions`))).toBe('55000');
    expect(await sqlState(() => query(sql, `UPDATE ledger_accounts SET balance_minor = 10 WHERE code = 'available:1'`))).toBe('55000');

    // Lines that do not sum to zero cannot commit; nothing of the transaction remains.
    expect(await sqlState(() => post(2, [['clearing:payments', -300], ['available:1', 200]]))).toBe('23514');
    expect(await sqlState(() => post(3, [['available:1', 100]]))).toBe('23514');
    expect((await query(sql, `SELECT COUNT(*) AS n FROM ledger_transactions`))[0]?.['n']).toBe('1');

    // No negative available balance, whatever the other lines say.
    expect(await sqlState(() => post(4, [['available:1', -501], ['clearing:payments', 501]]))).toBe('23514');
    // Lines must name an existing transaction and existing accounts (checked per statement).
    const [account] = await query(sql, `SELECT id FROM ledger_accounts WHERE code = 'available:1'`);
    const [clearing] = await query(sql, `SELECT id FROM ledger_accounts WHERE code = 'clearing:payments'`);
    const [transaction] = await query(sql, `SELECT id FROM ledger_transactions WHERE partition = 'p0' AND command_seq = 1 AND entry_index = 0`);
    expect(await sqlState(() => query(sql, 'INSERT INTO ledger_lines (transaction_id, ledger_account_id, amount_minor) VALUES ($1, $2, 5), ($1, $3, -5)', [987_654, account?.['id'], clearing?.['id']]))).toBe('23503');
    expect(await sqlState(() => query(sql, 'INSERT INTO ledger_lines (transaction_id, ledger_account_id, amount_minor) VALUES ($1, $2, 5), ($1, $3, -5)', [transaction?.['id'], 987_654, 987_655]))).toBe('23503');
    expect(toMinor((await query(sql, `SELECT balance_minor FROM ledger_accounts WHERE code = 'available:1'`))[0]?.['balance_minor'])).toBe(500);
    // The same transaction of the same command twice is refused, and so are two lines of one
    // transaction on the same account.
    expect(await sqlState(() => post(1, [['clearing:payments', -1], ['available:1', 1]]))).toBe('23505');
    expect(await sqlState(() => post(5, [['clearing:payments', -2], ['available:1', 1], ['available:1', 1]]))).toBe('23505');
    expect(await checkInvariants(sql)).toEqual([]);
  });

  it('checks every transaction of a many-row statement at commit, wherever its lines come from', async () => {
    const [available] = await query(sql, `SELECT id FROM ledger_accounts WHERE code = 'available:1'`);
    const [clearing] = await query(sql, `SELECT id FROM ledger_accounts WHERE code = 'clearing:payments'`);
    /** Three transactions in one statement; `lines` says which lines each gets, in two later statements. */
    const batch = (commandSeq: number, lines: ReadonlyArray<ReadonlyArray<number>>) =>
      inTransaction(sql, async (tx) => {
        const created = await query(
          tx,
          `INSERT INTO ledger_transactions (kind, partition, command_seq, entry_index, account_id, reference)
           SELECT 'deposit', 'p0', $1::int8, n, 1, $1::int8 || '-' || n FROM generate_series(0, 2) AS n ORDER BY n RETURNING id`,
          [commandSeq],
        );
        for (const half of [0, 1]) {
          const rows = created.flatMap((row, i) => (lines[i] ?? []).filter((_, j) => j % 2 === half).map((amountMinor) => [row['id'], amountMinor > 0 ? available?.['id'] : clearing?.['id'], amountMinor]));
          if (rows.length === 0) continue;
          await query(
            tx,
            'INSERT INTO ledger_lines (transaction_id, ledger_account_id, amount_minor) SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[])',
            [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
          );
        }
      });
    const count = async (): Promise<string> => String((await query(sql, 'SELECT COUNT(*) AS n FROM ledger_transactions'))[0]?.['n']);
    const before = await count();
    // Balanced, with each transaction's two lines split across the two statements: commits.
    await batch(101, [[7, -7], [8, -8], [9, -9]]);
    expect(Number(await count())).toBe(Number(before) + 3);
    // One transaction of three does not balance, or has one line, or none: nothing commits.
    expect(await sqlState(() => batch(102, [[7, -7], [8, -5], [9, -9]]))).toBe('23514');
    expect(await sqlState(() => batch(103, [[7, -7], [8, -8], [9]]))).toBe('23514');
    expect(await sqlState(() => batch(104, [[], [8, -8], [9, -9]]))).toBe('23514');
    expect(Number(await count())).toBe(Number(before) + 3);
    // The queue of range checks is empty once each passed.
    expect((await query(sql, 'SELECT COUNT(*) AS n FROM ledger_balance_checks'))[0]?.['n']).toBe('0');
    expect(await checkInvariants(sql)).toEqual([]);
  });

  it('updates balances in place (HOT): their pages leave room for the new versions', async () => {
    const [accounts] = await query(sql, `SELECT reloptions FROM pg_class WHERE oid = 'ledger_accounts'::regclass`);
    expect(accounts?.['reloptions']).toEqual(['fillfactor=20']);
    const hotUpdates = await inTransaction(sql, async (tx) => {
      await query(tx, "INSERT INTO ledger_accounts (code, kind, owner_account_id) SELECT 'available:' || n, 'user_available', n FROM generate_series(1001, 1100) AS n");
      const [t] = await query(tx, "INSERT INTO ledger_transactions (kind, partition, command_seq, entry_index, reference) VALUES ('deposit', 'p0', 201, 0, 'hot-201') RETURNING id");
      await query(
        tx,
        `INSERT INTO ledger_lines (transaction_id, ledger_account_id, amount_minor)
         SELECT $1, id, CASE WHEN code = 'clearing:payments' THEN -100 * 100 ELSE 100 END
           FROM ledger_accounts WHERE code = 'clearing:payments' OR owner_account_id BETWEEN 1001 AND 1100`,
        [t?.['id']],
      );
      const [stats] = await query(tx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = 'ledger_accounts'::regclass`);
      return { updated: toMinor(stats?.['n_tup_upd']), hot: toMinor(stats?.['n_tup_hot_upd']) };
    });
    expect(hotUpdates.updated).toBeGreaterThanOrEqual(101);
    expect(hotUpdates.hot).toBe(hotUpdates.updated);
    expect(await checkInvariants(sql)).toEqual([]);
  });

  it('applies a stream entry and settles a market at most once', async () => {
    await query(sql, `INSERT INTO applied_stream_entries (stream_key, entry_id, first_seq, last_seq) VALUES ('events:{p0}', '1-0', 1, 1)`);
    expect(await sqlState(() => query(sql, `
      INSERT INTO applied_stream_entries (stream_key, entry_id, first_seq, last_seq) VALUES ('events:{p0}', '1-0', 1, 1)`))).toBe('23505');
    await query(sql, `INSERT INTO market_settlements (market_id, outcome, partition, command_seq) VALUES (7, 'settled', 'p0', 9)`);
    expect(await sqlState(() => query(sql, `
      INSERT INTO market_settlements (market_id, outcome, partition, command_seq) VALUES (7, 'voided', 'p0', 10)`))).toBe('23505');
    expect(await sqlState(() => query(sql, `DELETE FROM market_settlements`))).toBe('55000');
  });
});
