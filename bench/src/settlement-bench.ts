// The settlement benchmark (issue goals: ≥ 20k matched bets/s into the ledger, a market with 100k
// matched bets settled in ≤ 5 s), on a redis-server and a PostgreSQL of its own (fsync on),
// loopback only:
//
//   setup   an engine partition in process journals to Redis and publishes its events stream:
//           one market, `--makers` market makers resting large lays, `--bettors` accounts each
//           backing into them until `--bets` bets are matched (one fill per back order).
//   write   the settlement worker (in process, one consumer) starts on an empty ledger and applies
//           the whole stream; betsPerSec = matched bets / the time until the ledger's cursor
//           reaches the engine's last seq. Every fill moves both sides' stakes into escrow.
//   settle  CloseMarket then SettleMarket; settle100kMs = from submitting SettleMarket to the
//           ledger having applied it (engine settlement, the durable journal frame, the events
//           stream and the worker's posting of every account's payout and commission), scaled
//           to 100k bets when --bets differs.
//
// Afterwards the ledger must agree with the engine account by account and hold every invariant;
// the bench exits 1 otherwise.
//
// npm run bench:settlement -- [--json] [--bets 100000] [--bettors 2000] [--makers 20] [--batch 256]
// With --json the last line of stdout is one JSON object: {betsPerSec, settle100kMs, ...details}.
// Progress goes to stderr.

import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Command } from '@playchacha/protocol';
import { startPostgres, startRedis } from '../../scripts/test-servers.js';
import { connectDatabase, query, toMinor } from '../../settlement/src/db/database.js';
import { migrate } from '../../settlement/src/db/migrate.js';
import { checkInvariants } from '../../settlement/src/invariants.js';
import { appliedSeq, compareFigures, ledgerFigures } from '../../settlement/src/reconcile.js';
import { startEngine } from '../../settlement/src/testing/engine-harness.js';
import { SettlementWorker } from '../../settlement/src/worker.js';

/**
 * A production-sized buffer pool instead of the test servers' 16 MB: 100k bets write ≈ 60 MB of
 * rows and indexes, and evicting a dirty buffer first flushes (fsyncs) the WAL up to it, mid-batch.
 * 16 MB is the WAL buffer size PostgreSQL itself picks from a shared_buffers of 512 MB or more.
 */
const POSTGRES_SETTINGS = { shared_buffers: '256MB', wal_buffers: '16MB' };
const GOAL_BETS_PER_SEC = 20_000;
const GOAL_SETTLE_100K_MS = 5_000;
const MARKET_ID = 1;
const PRICE_TICKS = 100;
const STAKE_MINOR = 200;

interface Options {
  json: boolean;
  bets: number;
  bettors: number;
  makers: number;
  batch: number;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { json: false, bets: 100_000, bettors: 2_000, makers: 20, batch: 256 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): number => {
      const parsed = Number(argv[++i]);
      if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new Error(`${flag} needs a positive integer`);
      return parsed;
    };
    switch (flag) {
      case '--json': options.json = true; break;
      case '--bets': options.bets = value(); break;
      case '--bettors': options.bettors = value(); break;
      case '--makers': options.makers = value(); break;
      case '--batch': options.batch = value(); break;
      default:
        process.stderr.write('npm run bench:settlement -- [--json] [--bets 100000] [--bettors 2000] [--makers 20] [--batch 256]\n');
        process.exit(2);
    }
  }
  return options;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const [redisServer, postgresServer] = await Promise.all([startRedis({ appendfsync: 'always' }), startPostgres({ fsync: true, settings: POSTGRES_SETTINGS })]);
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
  const partition = 'bench-settlement';
  const engine = await startEngine(redisServer.url, partition);
  const databaseUrl = postgresServer.url;
  await migrate(databaseUrl, 'up');
  const sql = connectDatabase(databaseUrl);
  let failed = false;
  try {
    // ----- setup: accounts, a market, resting lays and the backs that match them -------------
    const setupStartedAt = performance.now();
    const makerIds = Array.from({ length: options.makers }, (_, i) => 1 + i);
    const bettorIds = Array.from({ length: options.bettors }, (_, i) => 10_000 + i);
    const betsPerMaker = Math.ceil(options.bets / options.makers);
    const setup: Command[] = [{ type: 'CreateMarket', marketId: MARKET_ID, runnerCount: 2 }];
    for (const accountId of [...makerIds, ...bettorIds]) {
      setup.push({ type: 'OpenAccount', accountId });
      setup.push({ type: 'Deposit', accountId, transferId: `seed-${accountId}`, amountMinor: 1_000_000_000 });
    }
    for (const accountId of makerIds) {
      setup.push({
        type: 'PlaceOrder', accountId, clientOrderId: 'lay', marketId: MARKET_ID, runnerIndex: 0, side: 'lay',
        priceTicks: PRICE_TICKS, stakeMinor: betsPerMaker * STAKE_MINOR, persistence: 'persist',
      });
    }
    await submitInChunks(engine.submitAll, setup);
    const backs: Command[] = Array.from({ length: options.bets }, (_, i) => ({
      type: 'PlaceOrder', accountId: bettorIds[i % bettorIds.length] as number, clientOrderId: `b${i}`, marketId: MARKET_ID,
      runnerIndex: 0, side: 'back', priceTicks: PRICE_TICKS, stakeMinor: STAKE_MINOR,
    }));
    const results = await submitInChunks(engine.submitAll, backs);
    // Each back fills against one maker's lay: one OrderMatched, one matched bet.
    const matchedBets = results.reduce((n, events) => n + events.filter((e) => e.type === 'OrderMatched').length, 0);
    if (matchedBets !== options.bets) throw new Error(`expected ${options.bets} matched bets, the engine reported ${matchedBets}`);
    const streamSeq = engine.partition.appliedSeq;
    log(`setup: ${matchedBets} matched bets, ${streamSeq} commands journaled in ${((performance.now() - setupStartedAt) / 1000).toFixed(1)} s`);

    // ----- write: the worker drains the stream into the ledger ---------------------------------
    const worker = new SettlementWorker({
      sql,
      redis,
      partition,
      logger: pino({ level: 'warn' }),
      consumer: 'bench',
      batchEntriesMax: options.batch,
      blockMs: 50,
    });
    const writeStartedAt = performance.now();
    const nodeCpuBefore = process.cpuUsage();
    const postgresCpuBeforeMs = childrenCpuMs(postgresServer.pid);
    const [walBefore] = await query(sql, 'SELECT pg_current_wal_insert_lsn() AS lsn');
    const running = worker.run();
    await waitForSeq(sql, partition, streamSeq);
    const writeMs = performance.now() - writeStartedAt;
    const nodeCpu = process.cpuUsage(nodeCpuBefore);
    const writeNodeCpuMs = Math.round((nodeCpu.user + nodeCpu.system) / 1000);
    const writePostgresCpuMs = Math.round(childrenCpuMs(postgresServer.pid) - postgresCpuBeforeMs);
    const betsPerSec = Math.round(matchedBets / (writeMs / 1000));
    const [wal] = await query(sql, 'SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)::int8 AS bytes', [walBefore?.['lsn']]);
    const writeWalBytes = toMinor(wal?.['bytes']);
    const [counts] = await query(sql, `SELECT (SELECT COUNT(*) FROM ledger_transactions) AS transactions, (SELECT COUNT(*) FROM ledger_lines) AS lines`);
    log(`write: ${matchedBets} bets in ${writeMs.toFixed(0)} ms = ${betsPerSec} bets/s (${toMinor(counts?.['transactions'])} ledger transactions, ${toMinor(counts?.['lines'])} lines; CPU: this process ${writeNodeCpuMs} ms, PostgreSQL ${writePostgresCpuMs} ms; WAL ${(writeWalBytes / 1e6).toFixed(1)} MB)`);

    // ----- settle ------------------------------------------------------------------------------
    await engine.submit({ type: 'CloseMarket', marketId: MARKET_ID });
    await waitForSeq(sql, partition, engine.partition.appliedSeq);
    const settleStartedAt = performance.now();
    const settled = await engine.submit({ type: 'SettleMarket', marketId: MARKET_ID, winners: [{ runnerIndex: 1, factorNumerator: 1, factorDenominator: 1 }] });
    const engineSettleMs = performance.now() - settleStartedAt;
    if (!settled.some((e) => e.type === 'MarketSettled')) throw new Error(`the market did not settle: ${JSON.stringify(settled.slice(0, 3))}`);
    await waitForSeq(sql, partition, engine.partition.appliedSeq);
    const settleMs = performance.now() - settleStartedAt;
    const settle100kMs = Math.round(settleMs * (100_000 / matchedBets));
    log(`settle: ${matchedBets} bets over ${options.makers + options.bettors} accounts in ${settleMs.toFixed(0)} ms (engine and journal ${engineSettleMs.toFixed(0)} ms); scaled to 100k bets: ${settle100kMs} ms`);

    await worker.stop();
    await running;

    // ----- checks ------------------------------------------------------------------------------
    const differences = compareFigures(engine.partition.core.accounts(), await ledgerFigures(sql));
    const violations = await checkInvariants(sql);
    const [escrow] = await query(sql, `SELECT COALESCE(SUM(balance_minor), 0) AS escrow FROM ledger_accounts WHERE kind = 'user_escrow'`);
    const escrowMinor = toMinor(escrow?.['escrow']);
    if (differences.length > 0 || violations.length > 0 || escrowMinor !== 0) {
      failed = true;
      log(`CHECK FAILED: ${differences.length} differences from the engine, ${violations.length} invariant violations, escrow left ${escrowMinor}`);
    } else {
      log('checks: the ledger equals the engine for every account, every invariant holds, escrow is zero');
    }
    log(`goals: betsPerSec ≥ ${GOAL_BETS_PER_SEC}: ${betsPerSec >= GOAL_BETS_PER_SEC ? 'met' : 'MISSED'}; settle100kMs ≤ ${GOAL_SETTLE_100K_MS}: ${settle100kMs <= GOAL_SETTLE_100K_MS ? 'met' : 'MISSED'}`);
    const figures = {
      betsPerSec,
      settle100kMs,
      matchedBets,
      accounts: options.makers + options.bettors,
      writeMs: Math.round(writeMs),
      writeNodeCpuMs,
      writePostgresCpuMs,
      writeWalBytes,
      settleMs: Math.round(settleMs),
      engineSettleMs: Math.round(engineSettleMs),
      batchEntriesMax: options.batch,
      checksPassed: !failed,
    };
    if (options.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
    else process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    await sql.end();
    await engine.stop();
    redis.disconnect();
    await Promise.all([redisServer.stop(), postgresServer.stop()]);
  }
  process.exit(failed ? 1 : 0);
}

async function submitInChunks<T>(submitAll: (commands: readonly Command[]) => Promise<T[]>, commands: readonly Command[]): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < commands.length; i += 5_000) results.push(...(await submitAll(commands.slice(i, i + 5_000))));
  return results;
}

/** CPU time (user + system) of the processes whose parent is `pid` (PostgreSQL's backends), in ms. */
function childrenCpuMs(pid: number): number {
  const ticksPerSec = 100;
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces): state ppid ... utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / ticksPerSec;
}

async function waitForSeq(sql: ReturnType<typeof connectDatabase>, partition: string, seq: number): Promise<void> {
  const deadline = Date.now() + 600_000;
  while ((await appliedSeq(sql, partition)) < seq) {
    if (Date.now() > deadline) throw new Error(`the ledger did not reach seq ${seq}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
