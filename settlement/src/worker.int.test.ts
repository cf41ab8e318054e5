// The worker in process against a real engine partition over Redis and a real PostgreSQL: the
// ledger ends equal to the engine's balances, every invariant holds, and a redelivered batch
// changes nothing.

import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPostgres, sharedRedis, type SharedServer } from '../../scripts/test-context.js';
import { eventsKey } from '../../engine/src/io/redis-streams.js';
import { connectDatabase, query, toMinor, type Db } from './db/database.js';
import { migrate } from './db/migrate.js';
import { EventStream } from './io/event-stream.js';
import { checkInvariants } from './invariants.js';
import { applyBatch } from './ledger-store.js';
import { availableCode, debtCode, escrowCode, heldCode, HOUSE_COMMISSION_CODE, potCode } from './posting/ledger-codes.js';
import { appliedSeq, compareFigures, engineFiguresFromStream, ledgerFigures } from './reconcile.js';
import { startEngine, type EngineHarness } from './testing/engine-harness.js';
import { freshDatabase } from './testing/fresh-database.js';
import { runExchangeDay, runResettlements, runSeededLoad } from './testing/scenario.js';
import { SettlementWorker } from './worker.js';

let redisServer: SharedServer;
let postgresServer: SharedServer;
let sql: Db;
let redis: Redis;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  [redisServer, postgresServer] = await Promise.all([sharedRedis(), sharedPostgres()]);
  const databaseUrl = await freshDatabase(postgresServer.url);
  await migrate(databaseUrl, 'up');
  sql = connectDatabase(databaseUrl, { maxConnections: 4 });
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  redis?.disconnect();
  await sql?.end();
  await Promise.all([redisServer?.release(), postgresServer?.release()]);
});

async function balanceOf(code: string): Promise<number> {
  const [row] = await query(sql, 'SELECT balance_minor FROM ledger_accounts WHERE code = $1', [code]);
  return row === undefined ? 0 : toMinor(row['balance_minor']);
}

async function waitForSeq(partition: string, seq: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await appliedSeq(sql, partition)) < seq) {
    if (Date.now() > deadline) throw new Error(`ledger did not reach seq ${seq}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startWorker(partition: string): Promise<SettlementWorker> {
  const workerRedis = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
  const worker = new SettlementWorker({ sql, redis: workerRedis, partition, logger: pino({ level: 'silent' }), blockMs: 100, batchEntriesMax: 16 });
  const running = worker.run();
  cleanups.push(async () => {
    await worker.stop();
    await running;
    workerRedis.disconnect();
  });
  return worker;
}

async function expectLedgerEqualsEngine(engine: EngineHarness, partition: string): Promise<void> {
  const ledger = await ledgerFigures(sql);
  expect(compareFigures(engine.partition.core.accounts(), ledger)).toEqual([]);
  const fromStream = await engineFiguresFromStream(redis, partition, await appliedSeq(sql, partition));
  expect(compareFigures(fromStream, ledger)).toEqual([]);
  expect(await checkInvariants(sql)).toEqual([]);
}

describe('settlement worker', () => {
  it('keeps the ledger equal to the engine through a day of deposits, bets, settlements, a void and withdrawals', async () => {
    const engine = await startEngine(redisServer.url, 'day');
    cleanups.push(() => engine.stop());
    await startWorker('day');
    await runExchangeDay(engine);
    await waitForSeq('day', engine.partition.appliedSeq);
    await expectLedgerEqualsEngine(engine, 'day');

    const house = engine.partition.core.account(0);
    expect(house?.balanceMinor).toBeGreaterThan(0);
    // Market 10: account 1 backed 3000 matched at 3.0 and won 6000, less 5% commission.
    expect(await balanceOf(HOUSE_COMMISSION_CODE)).toBeGreaterThanOrEqual(300);
    for (const marketId of [10, 11, 12]) {
      for (const accountId of [1, 2, 3, 4, 5]) {
        expect(await balanceOf(escrowCode(accountId, marketId))).toBe(0);
        expect(await balanceOf(heldCode(accountId, marketId))).toBe(0);
      }
      expect(await balanceOf(potCode(marketId))).toBe(0);
    }
    // Market 13 is open: account 3's lay of 2500 at 1.5 escrows its liability of 1250.
    expect(await balanceOf(escrowCode(3, 13))).toBe(1_250);
    expect(await balanceOf(heldCode(2, 13))).toBe(1_500);
    expect(await balanceOf(availableCode(5))).toBe(engine.partition.core.account(5)?.availableMinor);
    const outcomes = await query(sql, `SELECT market_id, outcome FROM market_settlements ORDER BY market_id`);
    expect(outcomes.map((r) => [toMinor(r['market_id']), r['outcome']])).toEqual([[10, 'settled'], [11, 'settled'], [12, 'voided']]);
  });

  it('resettles, voids a settled market and un-voids a void one as new entries, booking a clawback beyond available as debt', async () => {
    const engine = await startEngine(redisServer.url, 'resettle');
    cleanups.push(() => engine.stop());
    const databaseUrl = await freshDatabase(postgresServer.url);
    await migrate(databaseUrl, 'up');
    const own = connectDatabase(databaseUrl, { maxConnections: 2 });
    cleanups.push(() => own.end());
    const workerRedis = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
    const worker = new SettlementWorker({ sql: own, redis: workerRedis, partition: 'resettle', logger: pino({ level: 'silent' }), blockMs: 100, batchEntriesMax: 4 });
    const running = worker.run();
    cleanups.push(async () => {
      await worker.stop();
      await running;
      workerRedis.disconnect();
    });
    const caughtUp = async (): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while ((await appliedSeq(own, 'resettle')) < engine.partition.appliedSeq) {
        if (Date.now() > deadline) throw new Error('the worker did not catch up');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const linesOf = async (kinds: string[]) =>
      query(own, `SELECT t.partition, t.command_seq, t.entry_index, a.code, l.amount_minor FROM ledger_lines l JOIN ledger_transactions t ON t.id = l.transaction_id
                   JOIN ledger_accounts a ON a.id = l.ledger_account_id WHERE t.kind = ANY($1::text[]) ORDER BY t.id, a.code`, [kinds]);
    const balance = async (code: string): Promise<number> => {
      const [row] = await query(own, 'SELECT balance_minor FROM ledger_accounts WHERE code = $1', [code]);
      return row === undefined ? 0 : toMinor(row['balance_minor']);
    };

    await runExchangeDay(engine);
    await caughtUp();
    const settlementLines = await linesOf(['settlement', 'house_settlement']);
    const commissionBefore = await balance(HOUSE_COMMISSION_CODE);

    await runResettlements(engine);
    await caughtUp();
    const core = engine.partition.core;
    expect(compareFigures(core.accounts(), await ledgerFigures(own))).toEqual([]);
    const fromStream = await engineFiguresFromStream(redis, 'resettle', await appliedSeq(own, 'resettle'));
    expect(compareFigures(fromStream, await ledgerFigures(own))).toEqual([]);
    expect(await checkInvariants(own)).toEqual([]);

    // Account 1 withdrew everything, then lost its win on market 10 and its bet: it owes.
    const owed = core.account(1)?.availableMinor ?? 0;
    expect(owed).toBeLessThan(0);
    expect(await balance(debtCode(1))).toBe(owed);
    expect(await balance(availableCode(1))).toBe(0);
    // The first settlements' lines are untouched; the corrections are new transactions.
    expect(await linesOf(['settlement', 'house_settlement'])).toEqual(settlementLines);
    const kinds = await query(own, `SELECT kind, COUNT(*)::int AS n FROM ledger_transactions
                                     WHERE kind IN ('resettlement', 'house_resettlement', 'debt_repayment') GROUP BY kind ORDER BY kind`);
    expect(kinds.map((r) => r['kind'])).toEqual(expect.arrayContaining(['resettlement', 'debt_repayment']));
    const resettlements = await query(own, 'SELECT market_id, previous_outcome, outcome, reason FROM market_resettlements ORDER BY command_seq');
    expect(resettlements.map((r) => [toMinor(r['market_id']), r['previous_outcome'], r['outcome'], r['reason']])).toEqual([
      [10, 'settled', 'settled', 'wrong winner'],
      [11, 'settled', 'voided', 'event abandoned'],
      [12, 'voided', 'settled', 'result confirmed'],
    ]);
    for (const marketId of [10, 11, 12]) expect(await balance(potCode(marketId))).toBe(0);
    // Market 10's commission moved from account 1 (300 on a win of 6 000) to the winners of runner 1.
    expect(await balance(HOUSE_COMMISSION_CODE)).not.toBe(commissionBefore);

    // A later deposit large enough clears the debt, and the rest becomes available.
    await engine.submit({ type: 'Deposit', accountId: 1, transferId: 'dep-1-clear', amountMinor: -owed + 2_500 });
    await caughtUp();
    expect([await balance(debtCode(1)), await balance(availableCode(1))]).toEqual([0, 2_500]);
    expect(compareFigures(core.accounts(), await ledgerFigures(own))).toEqual([]);
    expect(await checkInvariants(own)).toEqual([]);
  });

  it('stores transfer ids verbatim, whatever characters they hold', async () => {
    const databaseUrl = await freshDatabase(postgresServer.url);
    await migrate(databaseUrl, 'up');
    const own = connectDatabase(databaseUrl);
    cleanups.push(() => own.end());
    const transferIds = ['plain', 'with "quotes"', 'back\\slash\\', 'comma,{brace}', 'NULL', '', ' spaced '];
    const events = transferIds.map((transferId, i) => ({ type: 'FundsDeposited' as const, accountId: 7, seq: i + 1, transferId, amountMinor: 100 + i, balanceMinor: 0 }));
    const items = [{ entryId: '1-0', frame: { firstSeq: 1, lastSeq: 1, entries: [{ seq: 1, inboxId: null, events }] } }];
    const result = await applyBatch(own, items, { streamKey: eventsKey('verbatim'), partition: 'verbatim' });
    expect(result.transactions).toBe(transferIds.length);
    const rows = await query(own, `SELECT reference FROM ledger_transactions WHERE kind = 'deposit' ORDER BY entry_index`);
    expect(rows.map((row) => row['reference'])).toEqual(transferIds);
  });

  it('applies a seeded random load exactly once, a redelivered batch changes nothing, and posting in chunks writes the same ledger', async () => {
    const engine = await startEngine(redisServer.url, 'load');
    cleanups.push(() => engine.stop());
    const databaseUrl = await freshDatabase(postgresServer.url);
    await migrate(databaseUrl, 'up');
    const own = connectDatabase(databaseUrl);
    cleanups.push(() => own.end());
    const workerRedis = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
    cleanups.push(async () => workerRedis.disconnect());
    const worker = new SettlementWorker({ sql: own, redis: workerRedis, partition: 'load', logger: pino({ level: 'silent' }), blockMs: 100 });
    const running = worker.run();

    await runSeededLoad(engine, 7, 300);
    const deadline = Date.now() + 30_000;
    while ((await appliedSeq(own, 'load')) < engine.partition.appliedSeq) {
      if (Date.now() > deadline) throw new Error('the worker did not catch up');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await worker.stop();
    await running;
    expect(compareFigures(engine.partition.core.accounts(), await ledgerFigures(own))).toEqual([]);
    expect(await checkInvariants(own)).toEqual([]);

    // Deliver every entry again to a second group and apply it: all are skipped.
    const counts = async () => (await query(own, `SELECT (SELECT COUNT(*) FROM ledger_lines) AS lines, (SELECT COUNT(*) FROM ledger_transactions) AS txns`))[0];
    const before = await counts();
    const replay = new EventStream(workerRedis, 'load', 'replay', 'r1');
    await replay.ensureGroup();
    let items = await replay.readNew(1_000, 100);
    expect(items.length).toBe(await workerRedis.xlen(eventsKey('load')));
    while (items.length > 0) {
      const result = await applyBatch(own, items, { streamKey: eventsKey('load'), partition: 'load' });
      expect(result.appliedEntryIds).toEqual([]);
      expect(result.skippedEntryIds.length).toBe(items.length);
      items = await replay.readNew(1_000, 10);
    }
    expect(await counts()).toEqual(before);
    expect(await checkInvariants(own)).toEqual([]);

    // The whole stream as one batch posted in chunks of 3 commands writes the same ledger.
    const chunkedUrl = await freshDatabase(postgresServer.url);
    await migrate(chunkedUrl, 'up');
    const chunked = connectDatabase(chunkedUrl);
    cleanups.push(() => chunked.end());
    const all = new EventStream(workerRedis, 'load', 'chunked', 'c1');
    await all.ensureGroup();
    const everything = await all.readNew(10_000, 100);
    const result = await applyBatch(chunked, everything, { streamKey: eventsKey('load'), partition: 'load', postingChunkEntries: 3 });
    expect(result.appliedEntryIds.length).toBe(everything.length);
    expect(compareFigures(engine.partition.core.accounts(), await ledgerFigures(chunked))).toEqual([]);
    expect(await checkInvariants(chunked)).toEqual([]);
    const chunkedCounts = (await query(chunked, `SELECT (SELECT COUNT(*) FROM ledger_lines) AS lines, (SELECT COUNT(*) FROM ledger_transactions) AS txns`))[0];
    expect(chunkedCounts).toEqual(before);
  });
});
