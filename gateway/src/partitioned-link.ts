// EngineLink to a partitioned engine (risk and matching partitions, each its own engine
// processes), through Redis only. A command goes to the inbox of each partition routeCommand names
// (account and order commands to the account's risk partition, market commands to the market's
// matching partition, Clock to every matching partition) and is answered from that partition's
// events stream, whichever instance leads. The answer also waits for what the command handed on:
// for each partition it handed off to, the events that partition journaled for that hand-off (an
// order's acceptance, fills and closes on its book; a market's creation at every risk partition).
// So an answer carries the same results as on one combined partition, and is handed back only once
// this process's replicas of all those partitions have applied them.
//
// The read models follow one read-only replica per partition (restored from its newest snapshot,
// tailing its journal, never taking the lease) through one EngineView: markets, books, traded
// figures and open orders from the matching partition that owns the market; accounts, balances and
// exposure from the account's risk partition (the house's from the sum of its shares). Frames of
// different partitions arrive independently, each right after its replica applied it.

import type { Logger } from 'pino';
import { HOUSE_ACCOUNT_ID, type AccountId, type Command, type CommandEnvelope, type EngineEvent, type MarketId, type RunnerIndex, type Side } from '@playchacha/protocol';
import type { AccountView, OrderView } from '@playchacha/engine';
import { Redis } from 'ioredis';
import { MatchingPartitionCore, type MatchingPartitionSnapshot } from '../../engine/src/core/matching-partition-core.js';
import type { MatchingStage } from '../../engine/src/core/matching-stage.js';
import { PartitionTopology, routeCommand, type PartitionTopologyConfig } from '../../engine/src/core/partition-topology.js';
import { RiskPartitionCore, type RiskPartitionSnapshot } from '../../engine/src/core/risk-partition-core.js';
import type { RiskStage } from '../../engine/src/core/risk-stage.js';
import { accountViews, bookSideView, marketView, openOrderViews, tradedView } from '../../engine/src/core/stage-views.js';
import type { HandOff } from '../../engine/src/core/stage-messages.js';
import { EngineClient } from '../../engine/src/io/engine-client.js';
import type { EnginePartition, HandOffOutbox, PartitionCore } from '../../engine/src/io/partition.js';
import type { PartitionCoreOf } from '../../engine/src/io/partitioned-engine.js';
import type { PositionSource } from './catalog/risk-read-model.js';
import type { EngineFollower, EngineLink, EngineMarketView, EngineView, EventFrame } from './engine-link.js';
import { AppliedSeqWaiters, connectReplicaRedis, ReplicaBehindError, startReplica } from './redis-link.js';

export interface PartitionedLinkOptions {
  readonly redisUrl: string;
  /** The engine's topology: the same the engine processes were given. */
  readonly topology: PartitionTopologyConfig;
  readonly logger: Logger;
  /** How often each replica polls its journal (ms). */
  readonly pollMs?: number;
  /** How long a command may wait for its answer, and then for each replica to apply what it caused (ms). */
  readonly answerTimeoutMs?: number;
  /** Hand-off outcomes kept per replica for answers that arrive after them. */
  readonly outcomesKept?: number;
}

export interface PartitionedLinkHandle {
  readonly link: EngineLink;
  readonly topology: PartitionTopology;
  /** Each partition's read-only replica (its appliedSeq and role). */
  readonly replicas: ReadonlyMap<string, EnginePartition<ReplicaCore>>;
  /** The risk partitions' positions, for the catalog's risk view. */
  readonly positions: PositionSource;
  close(): Promise<void>;
}

/**
 * A partition core in a replica that also notes, per applied seq, which hand-off it applied for
 * the first time (source and source seq), so the link can tell the outcome to whoever waits for it.
 */
export class ReplicaCore implements PartitionCore {
  readonly handOffAt = new Map<number, string>();

  constructor(readonly inner: PartitionCoreOf) {}

  get lastAppliedSeq(): number {
    return this.inner.lastAppliedSeq;
  }

  apply(envelope: CommandEnvelope) {
    const command = envelope.command as unknown as Partial<HandOff>;
    if (command.type === 'HandOff' && typeof command.source === 'string' && typeof command.sourceSeq === 'number' && this.inner.appliedFrom(command.source) < command.sourceSeq) {
      this.handOffAt.set(envelope.seq, handOffKey(command.source, command.sourceSeq));
    }
    return this.inner.apply(envelope);
  }

  snapshot() {
    return this.inner.snapshot();
  }

  nextReleaseAtMs(): number | null {
    return this.inner.nextReleaseAtMs();
  }
}

function handOffKey(source: string, sourceSeq: number): string {
  return `${source}#${sourceSeq}`;
}

/** A replica never leads, so it never delivers the hand-offs it applies. */
const REPLICA_OUTBOX: HandOffOutbox = { take: () => undefined, setActive: () => undefined, deliveredThrough: () => true };

interface OutcomeWaiter {
  resolve(events: readonly EngineEvent[]): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** One partition as the link sees it: its replica, its client, and the outcomes of hand-offs it applied. */
class FollowedPartition {
  private readonly outcomes = new Map<string, readonly EngineEvent[]>();
  private readonly outcomeWaiters = new Map<string, OutcomeWaiter>();
  applied!: AppliedSeqWaiters;

  constructor(
    readonly name: string,
    readonly replica: EnginePartition<ReplicaCore>,
    readonly client: EngineClient,
    private readonly timeoutMs: number,
    private readonly outcomesKept: number,
  ) {
    // Whatever was applied while restoring is nobody's outcome.
    replica.core.handOffAt.clear();
  }

  /** Takes the outcomes of the hand-offs a frame applied (call after the followers saw it). */
  takeOutcomes(frame: EventFrame): void {
    const core = this.replica.core;
    if (core.handOffAt.size === 0) return;
    for (const entry of frame.entries) {
      const key = core.handOffAt.get(entry.seq);
      if (key === undefined) continue;
      core.handOffAt.delete(entry.seq);
      const waiter = this.outcomeWaiters.get(key);
      if (waiter !== undefined) {
        this.outcomeWaiters.delete(key);
        clearTimeout(waiter.timer);
        waiter.resolve(entry.events);
        continue;
      }
      this.outcomes.set(key, entry.events);
      if (this.outcomes.size > this.outcomesKept) this.outcomes.delete(this.outcomes.keys().next().value as string);
    }
    // Frames the replica applied before anyone listened (while the link was being made) are nobody's.
    for (const seq of core.handOffAt.keys()) if (seq <= frame.lastSeq) core.handOffAt.delete(seq);
  }

  /** The events this partition journaled for the hand-off of `source` at `sourceSeq`, once the replica applied it. */
  handOffOutcome(source: string, sourceSeq: number): Promise<readonly EngineEvent[]> {
    const key = handOffKey(source, sourceSeq);
    const kept = this.outcomes.get(key);
    if (kept !== undefined) {
      this.outcomes.delete(key);
      return Promise.resolve(kept);
    }
    if (this.replica.core.inner.appliedFrom(source) >= sourceSeq) {
      return Promise.reject(new ReplicaBehindError(`the outcome of ${key} at ${this.name} is no longer kept`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.outcomeWaiters.delete(key);
        reject(new ReplicaBehindError(`the replica of ${this.name} did not apply ${key} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.outcomeWaiters.set(key, { resolve, reject, timer });
    });
  }

  close(): void {
    for (const waiter of this.outcomeWaiters.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`the link to ${this.name} closed`));
    }
    this.outcomeWaiters.clear();
  }
}

/** The engine view over every partition's replica. */
export class PartitionedView implements EngineView {
  constructor(
    private readonly topology: PartitionTopology,
    private readonly partitions: ReadonlyMap<string, FollowedPartition>,
  ) {}

  private matching(name: string): MatchingStage {
    return ((this.partitions.get(name) as FollowedPartition).replica.core.inner as MatchingPartitionCore).matching;
  }

  private matchingOf(marketId: MarketId): MatchingStage {
    return this.matching(this.topology.matchingOf(marketId));
  }

  risks(): RiskStage[] {
    return this.topology.riskNames.map((name) => ((this.partitions.get(name) as FollowedPartition).replica.core.inner as RiskPartitionCore).risk);
  }

  marketIds(): MarketId[] {
    const ids: MarketId[] = [];
    for (const name of this.topology.matchingNames) {
      for (const marketId of this.matching(name).markets.keys()) if (this.topology.matchingOf(marketId) === name) ids.push(marketId);
    }
    return ids.sort((a, b) => a - b);
  }

  market(marketId: MarketId): EngineMarketView | undefined {
    const matching = this.matchingOf(marketId);
    const view = marketView(matching, marketId);
    const market = matching.markets.get(marketId);
    if (view === undefined || market === undefined) return undefined;
    return { ...view, ladderId: market.ladder.id, delayedOrders: market.delayed.length };
  }

  bookSide(marketId: MarketId, runnerIndex: RunnerIndex, side: Side) {
    return bookSideView(this.matchingOf(marketId), marketId, runnerIndex, side);
  }

  traded(marketId: MarketId) {
    return tradedView(this.matchingOf(marketId), marketId);
  }

  openOrders(): OrderView[] {
    return this.topology.matchingNames.flatMap((name) => openOrderViews(this.matching(name))).sort((a, b) => a.orderId - b.orderId);
  }

  /** Every account from its risk partition; the house once, with its shares summed. */
  accounts(): AccountView[] {
    const views: AccountView[] = [];
    for (const risk of this.risks()) for (const view of accountViews(risk)) if (view.accountId !== HOUSE_ACCOUNT_ID) views.push(view);
    const house = this.house();
    if (house !== undefined) views.push(house);
    return views.sort((a, b) => a.accountId - b.accountId);
  }

  /** The house account: the sum of its shares in the risk partitions. */
  house(): AccountView | undefined {
    let house: AccountView | undefined;
    for (const risk of this.risks()) {
      const share = risk.accounts.get(HOUSE_ACCOUNT_ID);
      if (share === undefined) continue;
      house = {
        accountId: HOUSE_ACCOUNT_ID,
        balanceMinor: (house?.balanceMinor ?? 0) + share.balanceMinor,
        exposureMinor: (house?.exposureMinor ?? 0) + share.exposureMinor,
        availableMinor: (house?.availableMinor ?? 0) + share.availableMinor,
      };
    }
    return house;
  }

  positions(): PositionSource {
    return (marketId) => {
      const risks = this.risks();
      const markets = risks.flatMap((risk) => {
        const market = risk.markets.get(marketId);
        return market === undefined ? [] : [market];
      });
      const first = markets[0];
      if (first === undefined) return undefined;
      const riskIndexOf = (accountId: number): number => this.topology.riskNames.indexOf(this.topology.riskOf(accountId));
      return {
        numberOfWinners: first.numberOfWinners,
        runnerCount: first.runnerCount,
        positions: markets.flatMap((market) => [...market.positions.values()]),
        position: (accountId) => risks[riskIndexOf(accountId)]?.markets.get(marketId)?.positions.get(accountId as AccountId),
      };
    };
  }
}

export class PartitionedLink implements EngineLink {
  private readonly followers = new Set<EngineFollower>();
  readonly view: PartitionedView;

  constructor(
    private readonly topology: PartitionTopology,
    private readonly partitions: ReadonlyMap<string, FollowedPartition>,
  ) {
    this.view = new PartitionedView(topology, partitions);
    for (const partition of partitions.values()) {
      partition.replica.onFrame((frame) => {
        const delivered = partition.name.startsWith('risk-') ? this.withHouseTotals(frame) : frame;
        for (const follower of this.followers) follower.frame(delivered, this.view);
        partition.takeOutcomes(frame);
      });
      // A replica that fell behind its journal's trim jumped to a snapshot: followers start over.
      partition.replica.onReset(() => {
        for (const follower of this.followers) follower.init(this.view, 0);
      });
    }
  }

  /**
   * Sends the command to each partition it is routed to; resolves with their events and the
   * events of every hand-off it caused, once this process's replicas applied them all.
   */
  async submit(command: Command, traceparent: string | null = null): Promise<readonly EngineEvent[]> {
    const answers = await Promise.all(routeCommand(this.topology, command).map((name) => this.answer(this.partition(name), command, traceparent)));
    return answers.flat();
  }

  /** Every follower starts from the replicas' current state (seq 0: there is no one seq across partitions). */
  follow(follower: EngineFollower): () => void {
    follower.init(this.view, 0);
    this.followers.add(follower);
    return () => void this.followers.delete(follower);
  }

  private partition(name: string): FollowedPartition {
    const partition = this.partitions.get(name);
    if (partition === undefined) throw new Error(`no partition ${name} in the topology`);
    return partition;
  }

  private async answer(partition: FollowedPartition, command: Command, traceparent: string | null): Promise<EngineEvent[]> {
    const answer = await partition.client.submitForAnswer(command, traceparent);
    await partition.applied.until(answer.seq);
    const outcomes = await Promise.all(answer.handedTo.map((destination) => this.partition(destination).handOffOutcome(partition.name, answer.seq)));
    return [...answer.events, ...outcomes.flat()];
  }

  /** A risk partition's AccountUpdated of the house names its share; followers are told the house's total. */
  private withHouseTotals(frame: EventFrame): EventFrame {
    const touchesHouse = frame.entries.some((entry) => entry.events.some((event) => event.type === 'AccountUpdated' && event.accountId === HOUSE_ACCOUNT_ID));
    if (!touchesHouse) return frame;
    const house = this.view.house();
    if (house === undefined) return frame;
    return {
      ...frame,
      entries: frame.entries.map((entry) => ({
        ...entry,
        events: entry.events.map((event) =>
          event.type === 'AccountUpdated' && event.accountId === HOUSE_ACCOUNT_ID
            ? { ...event, balanceMinor: house.balanceMinor, exposureMinor: house.exposureMinor, availableMinor: house.availableMinor }
            : event,
        ),
      })),
    };
  }
}

export async function connectPartitionedLink(options: PartitionedLinkOptions): Promise<PartitionedLinkHandle> {
  const answerTimeoutMs = options.answerTimeoutMs ?? 10_000;
  const topology = new PartitionTopology(options.topology);
  const redis = await connectReplicaRedis(options.redisUrl, options.logger);
  const writer = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
  writer.on('error', (error) => options.logger.warn({ err: error }, 'redis'));
  const readers: Redis[] = [];
  const partitions = new Map<string, FollowedPartition>();
  for (const name of [...topology.riskNames, ...topology.matchingNames]) {
    const riskIndex = topology.riskNames.indexOf(name);
    const matchingIndex = topology.matchingNames.indexOf(name);
    const replica = await startReplica<ReplicaCore>(redis, name, options.logger, options.pollMs, {
      outbox: REPLICA_OUTBOX,
      createCore: () => new ReplicaCore(riskIndex >= 0 ? new RiskPartitionCore(topology, riskIndex) : new MatchingPartitionCore(topology, matchingIndex)),
      restoreCore: (snapshot) =>
        new ReplicaCore(
          riskIndex >= 0
            ? RiskPartitionCore.fromSnapshot(snapshot as RiskPartitionSnapshot, topology)
            : MatchingPartitionCore.fromSnapshot(snapshot as MatchingPartitionSnapshot, topology),
        ),
    });
    // Each client reads its events stream with blocking reads: a connection of its own.
    const reader = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
    reader.on('error', (error) => options.logger.warn({ err: error }, 'redis'));
    readers.push(reader);
    const client = new EngineClient(writer, reader, name, answerTimeoutMs);
    await client.start();
    partitions.set(name, new FollowedPartition(name, replica, client, answerTimeoutMs, options.outcomesKept ?? 32_768));
  }
  const link = new PartitionedLink(topology, partitions);
  // Made after the link's listeners: when an answer's wait ends, the read models have the frame.
  for (const partition of partitions.values()) partition.applied = new AppliedSeqWaiters(partition.replica, partition.name, answerTimeoutMs);
  return {
    link,
    topology,
    replicas: new Map([...partitions].map(([name, partition]) => [name, partition.replica])),
    positions: link.view.positions(),
    async close() {
      for (const partition of partitions.values()) {
        partition.close();
        await partition.client.close();
        await partition.replica.stop();
      }
      for (const connection of [writer, ...readers]) connection.disconnect();
      redis.close();
    },
  };
}
