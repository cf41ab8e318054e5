// The ledger over a partitioned engine, with real processes: two risk and two matching engine
// processes on Redis, and the settlement worker as a child process following both risk
// partitions' events streams (the topology from the environment). Deposits for accounts on both
// risk partitions, crossing orders on markets of both matching partitions, settlements with
// commission, a void, a resettlement and withdrawals, and transfers routed as the payments service
// routes them (to the account's risk partition). The worker is killed with -9 between a
// commit and its acknowledgement on both streams; the restarted one posts nothing twice. At the
// end the ledger's balances equal each risk partition's accounts (and one ExchangeCore fed the
// same commands), the house equals the sum of its shares, and every invariant holds.

import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HOUSE_ACCOUNT_ID, STANDARD_LADDER, tickOfPriceX100, type Command } from '@playchacha/protocol';
import { sharedPostgres, type SharedServer } from '../../scripts/test-context.js';
import { startRedis, type RedisServer } from '../../scripts/test-servers.js';
import { ExchangeCore } from '../../engine/src/core/index.js';
import { PartitionTopology, routeCommand } from '../../engine/src/core/partition-topology.js';
import { eventsKey, sendToInbox } from '../../engine/src/io/redis-streams.js';
import { EngineClient } from '../../engine/src/io/engine-client.js';
import { EngineProcess, sleep } from '../../engine/src/testing/engine-process.js';
import { AnswerWatcher, settledPartitions, type PartitionStatus } from '../../engine/src/testing/partition-processes.js';
import { connectDatabase, query, toMinor, type Db } from './db/database.js';
import { EventStream } from './io/event-stream.js';
import { transferAnswer, type TransferCommand } from './payments/engine-answers.js';
import { RoutedEngine } from './payments/routed-engine.js';
import { checkInvariants } from './invariants.js';
import { appliedSeq, compareFigures, engineFiguresFromStreams, ledgerFigures } from './reconcile.js';
import { freshDatabase } from './testing/fresh-database.js';
import { WorkerProcess } from './testing/worker-process.js';

const TOPOLOGY = { riskPartitions: 2, matchingPartitions: 2, marketPartitions: { 1: 0, 2: 1, 3: 0, 4: 1 } };
const TOPOLOGY_ENV = { RISK_PARTITIONS: '2', MATCHING_PARTITIONS: '2', MARKET_PARTITIONS: '1:0,2:1,3:0,4:1' };
const topology = new PartitionTopology(TOPOLOGY);
const NAMES = [...topology.riskNames, ...topology.matchingNames];
const ACCOUNTS = [1, 2, 3, 4, 5, 6];
const tick = (priceX100: number): number => tickOfPriceX100(STANDARD_LADDER, priceX100);

let redisServer: RedisServer;
let postgresServer: SharedServer;
let client: Redis;
let sql: Db | null = null;
const engines = new Map<string, EngineProcess>();
const workers: WorkerProcess[] = [];
let answers: AnswerWatcher;

beforeAll(async () => {
  [redisServer, postgresServer] = await Promise.all([startRedis({ appendfsync: 'always' }), sharedPostgres()]);
  client = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
  answers = new AnswerWatcher(client);
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') {
    for (const worker of workers) console.error(`--- worker ---\n${worker.output.slice(-6_000)}`);
    for (const [name, engine] of engines) console.error(`--- ${name} ---\n${engine.output.slice(-3_000)}`);
  }
  await Promise.all(workers.map((worker) => worker.kill9()));
  await Promise.all([...engines.values()].map((engine) => engine.stop()));
});

afterAll(async () => {
  await sql?.end();
  client?.disconnect();
  await Promise.all([redisServer?.stop(), postgresServer?.release()]);
});

async function statuses(): Promise<Map<string, PartitionStatus>> {
  const result = new Map<string, PartitionStatus>();
  for (const name of NAMES) result.set(name, (await (engines.get(name) as EngineProcess).status()) as PartitionStatus);
  return result;
}

const settled = (): Promise<Map<string, PartitionStatus>> => settledPartitions(statuses);

/** Sends each command to its partitions, waits for the answers and the hand-offs; the reference applies it too. */
async function run(commands: readonly Command[], reference: ExchangeCore): Promise<void> {
  for (const command of commands) {
    reference.apply({ seq: reference.lastAppliedSeq + 1, timestampMs: reference.lastAppliedSeq + 1, command });
    const sent: Array<[string, string]> = [];
    for (const partition of routeCommand(topology, command)) sent.push([partition, await sendToInbox(client, partition, command)]);
    for (const [partition, id] of sent) await answers.answered(partition, id);
    await settled();
  }
}

async function lastStreamSeq(partition: string): Promise<number> {
  const [newest] = await client.xrevrange(eventsKey(partition), '+', '-', 'COUNT', 1);
  return newest === undefined ? 0 : Number(newest[0].split('-')[0]);
}

async function ledgerCaughtUp(db: Db, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const partition of NAMES) {
    const target = await lastStreamSeq(partition);
    while ((await appliedSeq(db, partition)) < target) {
      if (Date.now() > deadline) throw new Error(`the ledger did not reach ${partition} seq ${target}`);
      await sleep(20);
    }
  }
}

function place(accountId: number, clientOrderId: string, marketId: number, runnerIndex: number, side: 'back' | 'lay', priceX100: number, stakeMinor: number): Command {
  return { type: 'PlaceOrder', accountId, clientOrderId, marketId, runnerIndex, side, priceTicks: tick(priceX100), stakeMinor };
}

const winner = (runnerIndex: number) => ({ runnerIndex, factorNumerator: 1, factorDenominator: 1 });

function opening(): Command[] {
  const commands: Command[] = [
    { type: 'CreateMarket', marketId: 1, runnerCount: 2, commissionBps: 500 },
    { type: 'CreateMarket', marketId: 2, runnerCount: 3, commissionBps: 250 },
    { type: 'CreateMarket', marketId: 3, runnerCount: 2 },
    { type: 'CreateMarket', marketId: 4, runnerCount: 2, commissionBps: 100 },
  ];
  for (const accountId of ACCOUNTS) {
    commands.push({ type: 'OpenAccount', accountId });
    commands.push({ type: 'Deposit', accountId, transferId: `dep-${accountId}`, amountMinor: 100_000 + accountId });
  }
  return commands;
}

/** Crossing orders between accounts of different risk partitions, on markets of both matching partitions. */
function trading(): Command[] {
  return [
    place(1, 'm1-b', 1, 0, 'back', 300, 5_000),
    place(2, 'm1-l', 1, 0, 'lay', 300, 3_000),
    place(3, 'm1-b2', 1, 1, 'back', 250, 2_001),
    place(4, 'm1-l2', 1, 1, 'lay', 250, 2_001),
    place(5, 'm2-b', 2, 0, 'back', 305, 1_001),
    place(6, 'm2-l', 2, 0, 'lay', 305, 1_001),
    place(1, 'm2-b2', 2, 1, 'back', 410, 777),
    place(4, 'm2-l2', 2, 1, 'lay', 410, 777),
    place(2, 'm3-b', 3, 0, 'back', 200, 1_500),
    place(3, 'm3-l', 3, 0, 'lay', 200, 1_000),
    place(6, 'm4-b', 4, 1, 'back', 150, 4_000),
    place(5, 'm4-l', 4, 1, 'lay', 150, 2_500),
  ];
}

function closing(): Command[] {
  return [
    { type: 'CloseMarket', marketId: 1 },
    { type: 'SettleMarket', marketId: 1, winners: [winner(0)] },
    { type: 'CloseMarket', marketId: 2 },
    { type: 'SettleMarket', marketId: 2, winners: [{ ...winner(0), factorDenominator: 2 }, { ...winner(1), factorDenominator: 2 }] },
    { type: 'VoidMarket', marketId: 3, reason: 'abandoned' },
    { type: 'ResettleMarket', marketId: 1, winners: [winner(1)], reason: 'wrong winner' },
    { type: 'Withdraw', accountId: 2, transferId: 'wd-2', amountMinor: 10_000 },
    { type: 'Withdraw', accountId: 5, transferId: 'wd-5', amountMinor: 5_000 },
    { type: 'Deposit', accountId: 3, transferId: 'dep-3b', amountMinor: 7_000 },
  ];
}

describe('the ledger over a partitioned engine (2 risk + 2 matching processes)', () => {
  it('follows every partition\'s stream into one ledger; a kill -9 between commit and ack posts nothing twice', async () => {
    for (const name of NAMES) {
      const role = name.startsWith('risk-') ? 'risk' : 'matching';
      engines.set(name, await EngineProcess.spawn({ REDIS_URL: redisServer.url, ENGINE_ROLE: role, PARTITION_INDEX: name.slice(name.indexOf('-') + 1), ...TOPOLOGY_ENV }));
    }
    for (const engine of engines.values()) await engine.waitForRole('leader');
    const reference = new ExchangeCore();
    await run(opening(), reference);

    const databaseUrl = await freshDatabase(postgresServer.url);
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisServer.url, CONSUMER: 'w1', BATCH_ENTRIES_MAX: '2', ...TOPOLOGY_ENV };
    // The first worker commits a batch of each stream and is killed before acknowledging either.
    const faulty = WorkerProcess.spawn({ ...env, FAULT_PAUSE_AFTER_COMMIT_MS: '600000' });
    workers.push(faulty);
    // Every stream's reader committed a batch and waits before acknowledging it.
    const pausedOn = (partition: string): boolean =>
      faulty.output.split('\n').some((line) => line.includes(`"partition":"${partition}"`) && line.includes('fault: committed, pausing before ack'));
    const deadline = Date.now() + 30_000;
    while (!NAMES.every(pausedOn)) {
      if (Date.now() > deadline) throw new Error(`the worker did not pause on every stream:\n${faulty.output.slice(-4_000)}`);
      await sleep(20);
    }
    await faulty.kill9();
    sql = connectDatabase(databaseUrl, { maxConnections: 2 });
    for (const partition of NAMES) {
      expect(await appliedSeq(sql, partition), `${partition} committed`).toBeGreaterThan(0);
      expect(await new EventStream(client, partition, 'settlement', 'probe').pendingCount(), `${partition} left pending`).toBeGreaterThan(0);
    }

    const worker = WorkerProcess.spawn(env);
    workers.push(worker);
    await worker.waitForOutput('skipped entries already applied');
    await run([...trading(), ...closing()], reference);

    // The payments service's path: each transfer to its account's risk partition.
    const connections = topology.riskNames.flatMap(() => [new Redis(redisServer.url), new Redis(redisServer.url)]);
    const clients = new Map(topology.riskNames.map((name, i) => [name, new EngineClient(connections[2 * i] as Redis, connections[2 * i + 1] as Redis, name)]));
    try {
      for (const engineClient of clients.values()) await engineClient.start();
      const routed = new RoutedEngine(topology, clients);
      const transfers: TransferCommand[] = [
        { type: 'Deposit', accountId: 4, transferId: 'pay-dep-4', amountMinor: 3_000 },
        { type: 'Deposit', accountId: 5, transferId: 'pay-dep-5', amountMinor: 4_000 },
        { type: 'Withdraw', accountId: 6, transferId: 'pay-wd-6', amountMinor: 2_000 },
      ];
      for (const command of transfers) {
        expect(transferAnswer(command, await routed.submit(command)), command.transferId).toEqual({ kind: 'applied' });
        reference.apply({ seq: reference.lastAppliedSeq + 1, timestampMs: reference.lastAppliedSeq + 1, command });
      }
      // A repeat reaches the same partition, which knows the transfer.
      expect(transferAnswer(transfers[1] as TransferCommand, await routed.submit(transfers[1] as TransferCommand))).toEqual({ kind: 'duplicate' });
    } finally {
      for (const engineClient of clients.values()) await engineClient.close();
      for (const connection of connections) connection.disconnect();
    }
    await ledgerCaughtUp(sql);

    // Nothing was posted twice: each deposit and withdrawal once, and no command entry twice.
    const transfers = await query(sql, `SELECT kind, reference FROM ledger_transactions WHERE kind IN ('deposit', 'withdrawal')`);
    expect(transfers.map((row) => `${row['kind']} ${row['reference']}`).sort()).toEqual(
      [
        ...['dep-1', 'dep-2', 'dep-3', 'dep-3b', 'dep-4', 'dep-5', 'dep-6', 'pay-dep-4', 'pay-dep-5'].map((r) => `deposit ${r}`),
        ...['wd-2', 'wd-5', 'pay-wd-6'].map((r) => `withdrawal ${r}`),
      ].sort(),
    );
    const twice = await query(sql, 'SELECT partition, command_seq, entry_index FROM ledger_transactions GROUP BY 1, 2, 3 HAVING COUNT(*) > 1');
    expect(twice).toEqual([]);
    for (const partition of NAMES) {
      expect(await new EventStream(client, partition, 'settlement', 'probe').pendingCount(), `${partition} pending`).toBe(0);
    }
    // Each market's outcome is recorded once, from its matching partition's stream.
    const outcomes = await query(sql, 'SELECT market_id, outcome FROM market_settlements ORDER BY market_id');
    expect(outcomes.map((row) => [toMinor(row['market_id']), row['outcome']])).toEqual([[1, 'settled'], [2, 'settled'], [3, 'voided']]);
    // The house settled once per market in each risk partition (its share), commission was taken.
    const houseSettlements = await query(
      sql,
      `SELECT partition, market_id FROM ledger_transactions WHERE kind = 'house_settlement' AND market_id IN (1, 2) ORDER BY market_id, partition`,
    );
    expect(houseSettlements.map((row) => `${row['partition']}:${row['market_id']}`)).toEqual(['risk-0:1', 'risk-1:1', 'risk-0:2', 'risk-1:2']);
    const [commission] = await query(sql, `SELECT balance_minor FROM ledger_accounts WHERE kind = 'house_commission'`);
    expect(toMinor(commission?.['balance_minor'] ?? 0)).toBeGreaterThan(0);

    // The ledger equals each risk partition's accounts (the house the sum of its shares) and the reference.
    const ledger = await ledgerFigures(sql);
    const fromStreams = await engineFiguresFromStreams(client, sql, topology.riskNames);
    expect(compareFigures(fromStreams, ledger)).toEqual([]);
    expect(compareFigures(reference.accounts(), ledger)).toEqual([]);
    const house = ledger.get(HOUSE_ACCOUNT_ID)?.balanceMinor ?? 0;
    expect(house).toBeGreaterThan(0);
    expect(house).toBe(reference.account(HOUSE_ACCOUNT_ID)?.balanceMinor);
    for (const accountId of ACCOUNTS) expect(ledger.get(accountId)?.balanceMinor, `account ${accountId}`).toBe(reference.account(accountId)?.balanceMinor);
    expect(await checkInvariants(sql)).toEqual([]);
    expect(await worker.terminate()).toBe(0);
  }, 240_000);
});
