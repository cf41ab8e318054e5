// The embedded default's settlement: an engine partition over files (journal, snapshots, events
// log) and the ledger in a real PostgreSQL, fed from the events log in process. The ledger must
// equal the engine after a day of trading and a seeded load, after a restart of both with frames
// the ledger had not applied yet, and must refuse to go on over a gap in the log.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineConfigFromEnv } from '../../engine/src/io/engine-config.js';
import { EnginePartition } from '../../engine/src/io/partition.js';
import { openStorage, type EngineStorage } from '../../engine/src/io/storage.js';
import { sharedPostgres, type SharedServer } from '../../scripts/test-context.js';
import { connectDatabase, query, toMinor, type Db } from './db/database.js';
import { migrate } from './db/migrate.js';
import { checkInvariants } from './invariants.js';
import { LogSettlement } from './log-settlement.js';
import { compareFigures, ledgerFigures } from './reconcile.js';
import type { EngineHarness } from './testing/engine-harness.js';
import { freshDatabase } from './testing/fresh-database.js';
import { runExchangeDay, runResettlements, runSeededLoad } from './testing/scenario.js';

const logger = pino({ level: 'silent' });
let postgres: SharedServer;
const dirs: string[] = [];

beforeAll(async () => {
  postgres = await sharedPostgres();
});
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await postgres?.release();
});

interface Engine extends EngineHarness {
  readonly storage: EngineStorage;
}

async function startEngine(dataDir: string): Promise<Engine> {
  const config = engineConfigFromEnv({ DATA_DIR: dataDir, PARTITION: 'p0', SNAPSHOT_EVERY_COMMANDS: '150' });
  const storage = await openStorage(config, logger);
  const partition = new EnginePartition({
    partition: 'p0',
    journal: storage.journal,
    leadership: storage.leadership,
    snapshots: storage.snapshots,
    ...(storage.sink === undefined ? {} : { sink: storage.sink }),
    logger,
    snapshotEveryCommands: config.snapshotEveryCommands,
    standbyPollMs: 5,
  });
  await partition.start();
  for (let i = 0; i < 1_000 && partition.role !== 'leader'; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  return {
    storage,
    partition,
    submit: (command) => partition.submit(command),
    submitAll: (commands) => Promise.all(commands.map((command) => partition.submit(command))),
    stop: async () => {
      await partition.stop();
      await storage.close();
    },
  };
}

function settlement(engine: Engine, sql: Db, onFatal: (error: Error) => void = (error) => { throw error; }): LogSettlement {
  const eventLog = engine.storage.eventLog;
  if (eventLog === undefined) throw new Error('the embedded storage has an events log');
  const worker = new LogSettlement({ sql, source: eventLog, partition: 'p0', logger, batchFramesMax: 16, trimEveryFrames: 20, idleMs: 20, onFatal });
  engine.partition.onFrame(() => worker.wake());
  void worker.run();
  return worker;
}

async function caughtUp(worker: LogSettlement, engine: Engine): Promise<void> {
  for (let i = 0; i < 3_000 && worker.ledgerSeq < engine.partition.appliedSeq; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(worker.ledgerSeq).toBe(engine.partition.appliedSeq);
}

async function expectLedgerEqualsEngine(sql: Db, engine: Engine): Promise<void> {
  expect(compareFigures(engine.partition.core.accounts(), await ledgerFigures(sql))).toEqual([]);
  expect(await checkInvariants(sql)).toEqual([]);
}

describe('settlement from the embedded events log', () => {
  it('keeps the ledger equal to the engine through trading, a restart with unapplied frames, and trims the log', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'log-settlement-'));
    dirs.push(dataDir);
    const databaseUrl = await freshDatabase(postgres.url);
    await migrate(databaseUrl, 'up');
    const sql = connectDatabase(databaseUrl);
    try {
      let engine = await startEngine(dataDir);
      let worker = settlement(engine, sql);
      await runExchangeDay(engine);
      await runSeededLoad(engine, 5, 300);
      await caughtUp(worker, engine);
      await expectLedgerEqualsEngine(sql, engine);
      const eventLog = engine.storage.eventLog;
      expect(await eventLog?.firstSeq()).toBeGreaterThan(1);

      // The ledger stops; trading goes on; both restart (the partition from snapshot + journal).
      await worker.stop();
      const ledgerSeqBefore = worker.ledgerSeq;
      await runSeededLoad(engine, 6, 200);
      const engineSeq = engine.partition.appliedSeq;
      expect(engineSeq).toBeGreaterThan(ledgerSeqBefore);
      await engine.stop();
      engine = await startEngine(dataDir);
      expect(engine.partition.appliedSeq).toBe(engineSeq);
      worker = settlement(engine, sql);
      await caughtUp(worker, engine);
      await expectLedgerEqualsEngine(sql, engine);
      const [applied] = await query(sql, 'SELECT COUNT(*) AS n, MAX(last_seq) AS last FROM applied_stream_entries');
      expect(toMinor(applied?.['last'])).toBe(engineSeq);
      await worker.stop();
      await engine.stop();
    } finally {
      await sql.end();
    }
  });

  it('posts resettlements, a void after settlement and an un-void, and a debt, through a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'log-settlement-resettle-'));
    dirs.push(dataDir);
    const databaseUrl = await freshDatabase(postgres.url);
    await migrate(databaseUrl, 'up');
    const sql = connectDatabase(databaseUrl);
    try {
      let engine = await startEngine(dataDir);
      let worker = settlement(engine, sql);
      await runExchangeDay(engine);
      await caughtUp(worker, engine);
      await worker.stop();
      // The resettlements happen while the ledger is stopped; both restart.
      await runResettlements(engine);
      const engineSeq = engine.partition.appliedSeq;
      const owedMinor = engine.partition.core.account(1)?.availableMinor ?? 0;
      await engine.stop();
      engine = await startEngine(dataDir);
      expect(engine.partition.core.account(1)?.availableMinor).toBe(owedMinor);
      worker = settlement(engine, sql);
      await caughtUp(worker, engine);
      expect(worker.ledgerSeq).toBe(engineSeq);
      await expectLedgerEqualsEngine(sql, engine);
      expect(owedMinor).toBeLessThan(0);
      const [debt] = await query(sql, "SELECT balance_minor FROM ledger_accounts WHERE code = 'debt:1'");
      expect(toMinor(debt?.['balance_minor'])).toBe(owedMinor);
      const [resettled] = await query(sql, 'SELECT COUNT(*) AS n FROM market_resettlements');
      expect(toMinor(resettled?.['n'])).toBe(3);
      await worker.stop();
      await engine.stop();
    } finally {
      await sql.end();
    }
  });

  it('refuses to go on when the log no longer holds the frames after the ledger', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'log-settlement-gap-'));
    dirs.push(dataDir);
    const databaseUrl = await freshDatabase(postgres.url);
    await migrate(databaseUrl, 'up');
    const sql = connectDatabase(databaseUrl);
    try {
      const engine = await startEngine(dataDir);
      await runExchangeDay(engine);
      // Frames the ledger never saw are dropped from the log.
      await engine.storage.eventLog?.trimBefore(engine.partition.appliedSeq);
      const fatal = new Promise<Error>((resolve) => settlement(engine, sql, resolve));
      expect(await fatal).toMatchObject({ name: 'StreamGapError' });
      expect(toMinor((await query(sql, 'SELECT COUNT(*) AS n FROM ledger_transactions'))[0]?.['n'])).toBe(0);
      await engine.stop();
    } finally {
      await sql.end();
    }
  });
});
