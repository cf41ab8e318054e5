// The partitioned cores against one ExchangeCore: the same seeded command flow through two risk and
// two matching partitions (each command's hand-offs delivered before the next command) ends every
// step with the same balances, positions, held orders and books; money is conserved in every risk
// partition after every apply; each partition's journal replays (from empty, and from a snapshot
// plus its tail) to the same state hash; re-delivered hand-offs change nothing; a gap is refused.
//
//   RUNS=50 npx vitest run engine/src/core/partitioned-cores.sim.test.ts
//   SEED=123 npx vitest run engine/src/core/partitioned-cores.sim.test.ts
//
// A failure prints `SEED=<seed>`; setting it replays that flow alone.

import { describe, expect, it } from 'vitest';
import { HOUSE_ACCOUNT_ID, mulberry32, TRANSFER_MINOR_MAX, type AccountLimits, type Command, type CommandEnvelope, type EngineEvent } from '@playchacha/protocol';
import { ExchangeCore } from './exchange-core.js';
import { MatchingPartitionCore, type MatchingPartitionSnapshot } from './matching-partition-core.js';
import type { MatchingSnapshot } from './matching-stage.js';
import { RiskPartitionCore, type PartitionEnvelope, type RiskPartitionSnapshot } from './risk-partition-core.js';
import type { RiskStage } from './risk-stage.js';
import { sampleCommandEnvelopes } from '../testing/command-generator.js';
import { destinationOf, PartitionCluster, type PartitionCore } from '../testing/partition-cluster.js';

const RUNS = Math.max(1, Number(process.env.RUNS ?? 12));
const SEEDS = process.env.SEED === undefined ? Array.from({ length: RUNS }, (_, i) => 9100 + i) : [Number(process.env.SEED)];
const TOPOLOGY = { riskPartitions: 2, matchingPartitions: 2, marketPartitions: { 1: 1, 2: 1, 3: 0, 4: 0 } };

/**
 * Ample funds and no limit that counts open orders or exposure: a best-effort batch's later
 * instructions are checked before its earlier ones reach the market in a partition (they free or
 * net funds only when the market's answer returns), so only such flows may be compared exactly.
 */
function withAmpleFunds(envelopes: readonly CommandEnvelope[]): CommandEnvelope[] {
  const strip = (limits: AccountLimits | undefined): AccountLimits =>
    limits?.stakeMinorMax === undefined ? {} : { stakeMinorMax: limits.stakeMinorMax };
  return envelopes.map((envelope) => {
    const command = envelope.command;
    switch (command.type) {
      case 'OpenAccount':
        return { ...envelope, command: { type: 'OpenAccount', accountId: command.accountId, limits: strip(command.limits) } };
      case 'SetAccountLimits':
        return { ...envelope, command: { ...command, limits: strip(command.limits) } };
      case 'Deposit':
        return command.transferId.startsWith('open-') ? { ...envelope, command: { ...command, amountMinor: TRANSFER_MINOR_MAX } } : envelope;
      default:
        return envelope;
    }
  });
}

/** Order ids differ between the two (each risk partition numbers its own); orders are known by account and client order id. */
class OrderKeys {
  private readonly keys = new Map<number, string>();
  readonly ids = new Map<string, number>();
  record(events: readonly EngineEvent[]): void {
    for (const event of events) {
      if (event.type !== 'OrderAccepted') continue;
      const key = `${event.accountId}/${event.clientOrderId}`;
      this.keys.set(event.orderId, key);
      this.ids.set(key, event.orderId);
    }
  }
  has(orderId: number): boolean {
    return this.keys.has(orderId);
  }
  of(orderId: number): string {
    const key = this.keys.get(orderId);
    if (key === undefined) throw new Error(`order ${orderId} was never accepted`);
    return key;
  }
}

function accountsOf(risk: RiskStage, keys: OrderKeys, houseOnly: boolean): Map<number, unknown> {
  const accounts = new Map<number, unknown>();
  for (const account of risk.accounts.values()) {
    if (houseOnly !== (account.accountId === HOUSE_ACCOUNT_ID)) continue;
    accounts.set(account.accountId, {
      balanceMinor: account.balanceMinor,
      exposureMinor: account.exposureMinor,
      openOrders: account.openOrders,
      status: account.status,
      positions: [...account.positions.values()]
        .map((p) => ({
          marketId: p.marketId,
          exposureMinor: p.exposureMinor,
          settled: [p.settledResultMinor, p.settledCommissionMinor],
          ifWin: [...p.ifWinMinor],
          ifLose: [...p.ifLoseMinor],
          openBack: [...p.openBackMinor],
          openLay: [...p.openLayMinor],
        }))
        .sort((a, b) => a.marketId - b.marketId),
    });
  }
  const held = [...risk.orders.values()]
    .filter((order) => houseOnly === (order.accountId === HOUSE_ACCOUNT_ID))
    .map((order) => `${keys.of(order.orderId)}:${order.remainingMinor}`);
  accounts.set(-1, held);
  return accounts;
}

function booksOf(snapshot: MatchingSnapshot, keys: OrderKeys): Map<number, unknown> {
  const books = new Map<number, unknown>();
  const row = (values: readonly number[]): unknown[] => [keys.of(values[0] as number), ...values.slice(1)];
  for (const market of snapshot.markets) {
    books.set(market.marketId, {
      status: market.status,
      inPlay: market.inPlay,
      betDelayMs: market.betDelayMs,
      // A resting order's release time is whatever its pool slot last held: not compared.
      resting: market.resting.map((values) => row(values).slice(0, -1)),
      delayed: market.delayed.map(row),
      traded: market.traded,
    });
  }
  return books;
}

function compare(cluster: PartitionCluster, reference: ExchangeCore, referenceKeys: OrderKeys, clusterKeys: OrderKeys, where: string): void {
  const referenceAccounts = accountsOf(reference.risk, referenceKeys, false);
  const clusterAccounts = new Map<number, unknown>();
  const heldOrders: string[] = [];
  let houseBalanceMinor = 0;
  for (let index = 0; index < TOPOLOGY.riskPartitions; index++) {
    const risk = cluster.risk(index).risk;
    for (const [accountId, view] of accountsOf(risk, clusterKeys, false)) {
      if (accountId === -1) heldOrders.push(...(view as string[]));
      else clusterAccounts.set(accountId, view);
    }
    houseBalanceMinor += (risk.accounts.get(HOUSE_ACCOUNT_ID) as { balanceMinor: number }).balanceMinor;
  }
  const referenceHeld = referenceAccounts.get(-1) as string[];
  referenceAccounts.delete(-1);
  expect([...clusterAccounts].sort((a, b) => a[0] - b[0]), `${where}: accounts and positions`).toEqual([...referenceAccounts].sort((a, b) => a[0] - b[0]));
  expect(heldOrders.sort(), `${where}: held orders`).toEqual([...referenceHeld].sort());
  expect(houseBalanceMinor, `${where}: the house's shares sum to its balance`).toBe(reference.account(HOUSE_ACCOUNT_ID)?.balanceMinor);
  const books = new Map<number, unknown>();
  for (let index = 0; index < TOPOLOGY.matchingPartitions; index++) {
    for (const [marketId, book] of booksOf(cluster.matching(index).matching.exportState(), clusterKeys)) books.set(marketId, book);
  }
  expect([...books].sort((a, b) => a[0] - b[0]), `${where}: markets and books`).toEqual([...booksOf(reference.matching.exportState(), referenceKeys)].sort((a, b) => a[0] - b[0]));
}

function checkMoney(cluster: PartitionCluster): void {
  let balances = 0;
  let transfers = 0;
  for (let index = 0; index < TOPOLOGY.riskPartitions; index++) {
    const core = cluster.risk(index);
    core.checkInvariants();
    for (const account of core.risk.accounts.values()) balances += account.balanceMinor;
    transfers += core.risk.netTransfersMinor;
  }
  expect(balances).toBe(transfers);
}

function freshCore(cluster: PartitionCluster, partition: string): PartitionCore {
  const riskIndex = cluster.topology.riskNames.indexOf(partition);
  return riskIndex >= 0 ? new RiskPartitionCore(cluster.topology, riskIndex) : new MatchingPartitionCore(cluster.topology, cluster.topology.matchingNames.indexOf(partition));
}

function restored(cluster: PartitionCluster, snapshot: RiskPartitionSnapshot | MatchingPartitionSnapshot): PartitionCore {
  const copy = JSON.parse(JSON.stringify(snapshot)) as RiskPartitionSnapshot | MatchingPartitionSnapshot;
  return 'risk' in copy ? RiskPartitionCore.fromSnapshot(copy, cluster.topology) : MatchingPartitionCore.fromSnapshot(copy, cluster.topology);
}

/** The state without the journal position, to see that applying something changed nothing else. */
function stateOf(core: PartitionCore): string {
  return JSON.stringify({ ...core.snapshot(), lastSeq: 0, lastTimestampMs: 0 });
}

/**
 * The generated commands name the single core's order ids: a known order by the id the partitions
 * gave it, an order an all-or-none batch creates by the id its risk partition will give it, any
 * other (stale) id by one neither ever gives.
 */
function translated(command: Command, reference: ExchangeCore, referenceKeys: OrderKeys, cluster: PartitionCluster, clusterKeys: OrderKeys): Command {
  if (command.type !== 'CancelOrder' && command.type !== 'ReplaceOrder' && command.type !== 'Batch') return command;
  const risk = cluster.cores.get(cluster.topology.riskOf(command.accountId)) as RiskPartitionCore;
  const orderId = (id: unknown): unknown => {
    if (typeof id !== 'number') return id;
    if (referenceKeys.has(id)) return clusterKeys.ids.get(referenceKeys.of(id)) ?? 1e12 + id;
    const ahead = id - reference.risk.orderIdNextValue;
    if (ahead >= 0 && ahead < 200) return risk.risk.orderIdNextValue + ahead * TOPOLOGY.riskPartitions;
    return 1e12 + id;
  };
  if (command.type !== 'Batch') return { ...command, orderId: orderId(command.orderId) } as Command;
  const instructions = Array.isArray(command.instructions)
    ? command.instructions.map((instruction) => ('orderId' in instruction ? { ...instruction, orderId: orderId(instruction.orderId) } : instruction))
    : command.instructions;
  return { ...command, instructions } as Command;
}

function runFlow(seed: number): PartitionCluster {
  const envelopes = withAmpleFunds(sampleCommandEnvelopes(seed, { maxSteps: 150 }));
  const reference = new ExchangeCore();
  const cluster = new PartitionCluster(TOPOLOGY);
  const referenceKeys = new OrderKeys();
  const clusterKeys = new OrderKeys();
  cluster.onApplied = (_partition, applied) => {
    clusterKeys.record(applied.events);
    checkMoney(cluster);
  };
  for (const envelope of envelopes) {
    const command = translated(envelope.command, reference, referenceKeys, cluster, clusterKeys);
    referenceKeys.record(reference.apply(envelope));
    // Time moves in every matching partition first, as the single core releases delayed orders
    // before it applies any command.
    cluster.submit({ type: 'Clock' }, envelope.timestampMs);
    cluster.pump(envelope.timestampMs);
    cluster.submit(command, envelope.timestampMs);
    cluster.pump(envelope.timestampMs);
    compare(cluster, reference, referenceKeys, clusterKeys, `seq ${envelope.seq} (${envelope.command.type})`);
  }
  return cluster;
}

function withSeed(seed: number, run: () => void): void {
  try {
    run();
  } catch (error) {
    console.error(`SEED=${seed}`);
    throw error;
  }
}

describe('partitioned cores (2 risk + 2 matching) against one ExchangeCore', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: same state after every command; journals replay; re-deliveries change nothing`, () => {
      withSeed(seed, () => {
        const cluster = runFlow(seed);
        let handOffs = 0;
        for (const [partition, core] of cluster.cores) {
          const journal = cluster.journals.get(partition) as PartitionEnvelope[];
          const replay = freshCore(cluster, partition);
          const middle = Math.floor(journal.length / 2);
          let snapshot: RiskPartitionSnapshot | MatchingPartitionSnapshot | null = null;
          journal.forEach((envelope, index) => {
            replay.apply(envelope);
            if (index + 1 === middle) snapshot = replay.snapshot();
          });
          expect(replay.stateHash(), `${partition}: replay from empty`).toBe(core.stateHash());
          if (snapshot !== null) {
            const resumed = restored(cluster, snapshot);
            for (const envelope of journal.slice(middle)) resumed.apply(envelope);
            expect(resumed.stateHash(), `${partition}: snapshot at ${middle} + tail`).toBe(core.stateHash());
          }
        }
        // A forwarder restarted from the beginning re-delivers everything: nothing changes.
        for (const [key, produced] of cluster.produced) {
          const destination = cluster.cores.get(destinationOf(key)) as PartitionCore;
          for (const handOff of produced) {
            const before = stateOf(destination);
            const applied = cluster.journal(destinationOf(key), handOff, 0);
            expect(applied.events).toEqual([]);
            expect(applied.handOffs).toEqual([]);
            expect(stateOf(destination)).toBe(before);
            handOffs++;
          }
        }
        expect(handOffs).toBeGreaterThan(0);
      });
    });
  }
});

/** Every order a risk partition holds is open in its market's partition with the same remainder, and the other way round. */
function checkHeldOrdersFollowBooks(cluster: PartitionCluster): void {
  const open = new Map<number, string>();
  for (let index = 0; index < TOPOLOGY.matchingPartitions; index++) {
    const matching = cluster.matching(index).matching;
    matching.slotOfOrder.forEach((orderId, slot) => open.set(orderId, `${matching.pool.accountId[slot]}:${matching.pool.remainingMinor[slot]}`));
  }
  const held = new Map<number, string>();
  for (let index = 0; index < TOPOLOGY.riskPartitions; index++) {
    for (const order of cluster.risk(index).risk.orders.values()) held.set(order.orderId, `${order.accountId}:${order.remainingMinor}`);
  }
  expect([...held].sort((a, b) => a[0] - b[0])).toEqual([...open].sort((a, b) => a[0] - b[0]));
}

describe('partitioned cores with hand-offs delivered in a seeded random interleaving', () => {
  for (const seed of SEEDS.slice(0, Math.max(1, Math.ceil(SEEDS.length / 2)))) {
    it(`seed ${seed}: money is conserved after every apply; once delivered, held orders follow the books`, () => {
      withSeed(seed, () => {
        const random = mulberry32(seed);
        const envelopes = withAmpleFunds(sampleCommandEnvelopes(seed, { maxSteps: 150 }));
        const reference = new ExchangeCore();
        const cluster = new PartitionCluster(TOPOLOGY);
        const referenceKeys = new OrderKeys();
        const clusterKeys = new OrderKeys();
        let applies = 0;
        cluster.onApplied = (_partition, applied) => {
          clusterKeys.record(applied.events);
          checkMoney(cluster);
          applies++;
        };
        const pick = (busy: readonly string[]): string => busy[Math.floor(random() * busy.length)] as string;
        for (const envelope of envelopes) {
          const command = translated(envelope.command, reference, referenceKeys, cluster, clusterKeys);
          referenceKeys.record(reference.apply(envelope));
          cluster.submit({ type: 'Clock' }, envelope.timestampMs);
          cluster.submit(command, envelope.timestampMs);
          // Deliver a few hand-offs, from queues picked at random; the rest wait.
          for (let n = Math.floor(random() * 4); n > 0; n--) {
            const busy = cluster.busyQueues();
            if (busy.length === 0) break;
            cluster.deliverNext(pick(busy), envelope.timestampMs);
          }
        }
        cluster.pump(envelopes.at(-1)?.timestampMs ?? 0, pick);
        checkHeldOrdersFollowBooks(cluster);
        expect(applies).toBeGreaterThan(envelopes.length);
      });
    });
  }
});

describe('hand-off sequencing', () => {
  it('holds a replacement at the size it reaches the market with when its original filled on the way', () => {
    const cluster = new PartitionCluster(TOPOLOGY);
    cluster.submit({ type: 'CreateMarket', marketId: 1, runnerCount: 2 }, 1);
    cluster.pump(1);
    for (const accountId of [1, 2]) {
      cluster.submit({ type: 'OpenAccount', accountId }, 1);
      cluster.submit({ type: 'Deposit', accountId, transferId: 'd', amountMinor: 1_000_000 }, 1);
    }
    const lay = { type: 'PlaceOrder', accountId: 1, clientOrderId: 'lay', marketId: 1, runnerIndex: 0, side: 'lay', priceTicks: 100, stakeMinor: 1000 } as const;
    cluster.submit(lay, 2);
    cluster.pump(2);
    const layOrderId = [...cluster.risk(1).risk.orders.keys()][0] as number;
    // The replace leaves risk-1 while account 2's back (on risk-0) fills 400 of the original.
    cluster.submit({ type: 'ReplaceOrder', accountId: 1, marketId: 1, orderId: layOrderId, clientOrderId: 'lay2', priceTicks: 90 }, 3);
    expect(cluster.risk(1).risk.accounts.get(1)?.exposureMinor).toBeGreaterThan(0);
    cluster.submit({ type: 'PlaceOrder', accountId: 2, clientOrderId: 'back', marketId: 1, runnerIndex: 0, side: 'back', priceTicks: 100, stakeMinor: 400 }, 3);
    expect(cluster.deliverNext('risk-0→matching-1', 3)).toBe(true);
    cluster.pump(3);
    const held = [...cluster.risk(1).risk.orders.values()];
    expect(held.map((order) => order.remainingMinor)).toEqual([600]);
    checkHeldOrdersFollowBooks(cluster);
    checkMoney(cluster);
  });

  it('refuses a gap: a hand-off whose predecessor was not applied', () => {
    const cluster = new PartitionCluster(TOPOLOGY);
    cluster.submit({ type: 'CreateMarket', marketId: 1, runnerCount: 2 }, 1);
    cluster.submit({ type: 'CreateMarket', marketId: 2, runnerCount: 2 }, 2);
    const queue = cluster.queues.get('matching-1→risk-0') ?? [];
    expect(queue.map((handOff) => [handOff.sourceSeq, handOff.previousSourceSeq])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    const second = queue[1];
    if (second === undefined) throw new Error('two hand-offs were queued');
    expect(() => cluster.journal('risk-0', second, 3)).toThrow(/hand-off gap from matching-1: seq 2 follows 1, applied up to 0/);
  });

  it('applies each hand-off once, in order, and ignores it at or below the mark', () => {
    const cluster = new PartitionCluster(TOPOLOGY);
    cluster.submit({ type: 'CreateMarket', marketId: 1, runnerCount: 2 }, 1);
    const [first] = cluster.queues.get('matching-1→risk-1') ?? [];
    if (first === undefined) throw new Error('a hand-off was queued');
    expect(cluster.pump(1)).toBe(2);
    const risk = cluster.risk(1);
    expect(risk.appliedFrom('matching-1')).toBe(1);
    expect(risk.risk.markets.has(1)).toBe(true);
    const before = stateOf(risk);
    expect(cluster.journal('risk-1', first, 2)).toEqual({ events: [], handOffs: [] });
    expect(stateOf(risk)).toBe(before);
  });

  it('fans an account mass cancel out to the matching partitions of the markets it has orders on', () => {
    const cluster = new PartitionCluster(TOPOLOGY);
    for (const marketId of [1, 3, 4]) cluster.submit({ type: 'CreateMarket', marketId, runnerCount: 2 }, 1);
    cluster.pump(1);
    cluster.submit({ type: 'OpenAccount', accountId: 7 }, 2);
    cluster.submit({ type: 'Deposit', accountId: 7, transferId: 'd1', amountMinor: 1_000_000 }, 2);
    for (const marketId of [1, 3]) {
      cluster.submit({ type: 'PlaceOrder', accountId: 7, clientOrderId: `c${marketId}`, marketId, runnerIndex: 0, side: 'back', priceTicks: 100, stakeMinor: 500 }, 3);
    }
    cluster.pump(3);
    expect(cluster.risk(1).risk.orders.size).toBe(2);
    cluster.submit({ type: 'MassCancel', accountId: 7 }, 4);
    expect(cluster.busyQueues()).toEqual(['risk-1→matching-0', 'risk-1→matching-1']);
    cluster.pump(4);
    expect(cluster.risk(1).risk.orders.size).toBe(0);
    expect(cluster.risk(1).risk.accounts.get(7)?.exposureMinor).toBe(0);
    expect(cluster.matching(0).matching.slotOfOrder.size + cluster.matching(1).matching.slotOfOrder.size).toBe(0);
  });
});
