// The gateway's link to separate engine processes over Redis: commands through the inbox, answers
// from the events stream, state from a read-only replica tailing the journal. Real engine
// processes (a leader and a hot standby) and a real Redis; the leader is killed with -9 midway.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Command, EngineEvent } from '@playchacha/protocol';
import { EngineProcess, sleep } from '@playchacha/engine/testing';
import { sharedRedis, type SharedServer } from '../../scripts/test-context.js';
import type { EngineFollower, EngineView, EventFrame } from './engine-link.js';
import { connectRedisLink, type RedisLinkHandle } from './redis-link.js';
import { GatewayReadModels } from './read-models.js';

let redis: SharedServer;
const engines: EngineProcess[] = [];
const links: RedisLinkHandle[] = [];

beforeAll(async () => {
  redis = await sharedRedis();
});
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') for (const engine of engines) console.error(`--- engine ---\n${engine.output.slice(-5_000)}`);
  for (const link of links.splice(0)) await link.close();
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
});
afterAll(async () => {
  await redis?.release();
});

async function engine(partition: string): Promise<EngineProcess> {
  const process = await EngineProcess.spawn({ REDIS_URL: redis.url, PARTITION: partition, LEASE_MS: '500', SNAPSHOT_EVERY_COMMANDS: '50' });
  engines.push(process);
  return process;
}

async function link(partition: string): Promise<RedisLinkHandle> {
  const handle = await connectRedisLink({ redisUrl: redis.url, partition, logger: pino({ level: 'silent' }), answerTimeoutMs: 2_000 });
  links.push(handle);
  return handle;
}

/** Records init and every frame; checks that frames follow each other without a gap. */
class Recorder implements EngineFollower {
  initSeq = -1;
  lastSeq = -1;
  readonly events: EngineEvent[] = [];
  init(_view: EngineView, seq: number): void {
    this.initSeq = seq;
    this.lastSeq = seq;
  }
  frame(frame: EventFrame): void {
    const first = frame.entries[0]?.seq ?? frame.firstSeq;
    expect(first, 'frames follow each other').toBe(this.lastSeq + 1);
    this.lastSeq = frame.lastSeq;
    for (const entry of frame.entries) this.events.push(...entry.events);
  }
}

async function submitUntilAnswered(handle: RedisLinkHandle, command: Command): Promise<readonly EngineEvent[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await handle.link.submit(command);
    } catch (error) {
      if (attempt > 30) throw error;
      await sleep(100);
    }
  }
}

function setup(accounts: number): Command[] {
  const commands: Command[] = [{ type: 'CreateMarket', marketId: 1, runnerCount: 2 }];
  for (let accountId = 1; accountId <= accounts; accountId++) {
    commands.push({ type: 'OpenAccount', accountId }, { type: 'Deposit', accountId, transferId: `d${accountId}`, amountMinor: 1_000_000 });
  }
  return commands;
}

describe('RedisLink', () => {
  it('answers a command only once the replica has applied it, and the read models show it', async () => {
    const partition = `redis-link-${Date.now()}`;
    const leader = await engine(partition);
    await leader.waitForRole('leader');
    const handle = await link(partition);
    const recorder = new Recorder();
    handle.link.follow(recorder);
    const readModels = new GatewayReadModels(handle.link);
    for (const command of setup(2)) expect((await handle.link.submit(command)).map((e) => e.type)).not.toContain('CommandRejected');

    const placed = await handle.link.submit({ type: 'PlaceOrder', accountId: 1, clientOrderId: 'a', marketId: 1, runnerIndex: 0, side: 'back', priceTicks: 50, stakeMinor: 1_000 });
    const accepted = placed.find((e) => e.type === 'OrderAccepted');
    expect(accepted).toBeDefined();
    // At the moment the answer arrives, the replica and the read models already hold the order.
    expect(handle.replica.core.openOrders().map((o) => o.orderId)).toEqual([accepted?.type === 'OrderAccepted' ? accepted.orderId : -1]);
    expect(readModels.markets.snapshot(1)?.runners[0]?.back).toEqual([[50, 1_000]]);
    expect(recorder.events.map((e) => e.type)).toContain('OrderAccepted');
    // A rejection is answered the same way.
    const refused = await handle.link.submit({ type: 'PlaceOrder', accountId: 2, clientOrderId: 'b', marketId: 1, runnerIndex: 0, side: 'lay', priceTicks: 50, stakeMinor: 10_000_000 });
    expect(refused).toEqual([expect.objectContaining({ type: 'OrderRejected', code: 'insufficient_funds' })]);
    const status = await leader.status();
    expect(handle.replica.appliedSeq).toBe(status.seq);
    expect(handle.replica.core.stateHash()).toBe(status.stateHash);
  });

  it('a replica started later restores from the snapshot and journal, and follows a failover', async () => {
    const partition = `redis-link-failover-${Date.now()}`;
    const first = await engine(partition);
    await first.waitForRole('leader');
    const second = await engine(partition);
    await second.waitForRole('standby');
    const early = await link(partition);
    for (const command of setup(4)) await early.link.submit(command);
    for (let i = 0; i < 120; i++) {
      await early.link.submit({ type: 'PlaceOrder', accountId: 1 + (i % 4), clientOrderId: `o${i}`, marketId: 1, runnerIndex: i % 2, side: i % 3 === 0 ? 'lay' : 'back', priceTicks: 40 + (i % 7), stakeMinor: 500 });
    }
    // Snapshots every 50 commands trimmed the journal: a new replica starts from a snapshot.
    const late = await link(partition);
    expect(late.replica.appliedSeq).toBe(early.replica.appliedSeq);
    expect(late.replica.core.stateHash()).toBe(early.replica.core.stateHash());
    const recorder = new Recorder();
    late.link.follow(recorder);

    first.kill9();
    const events = await submitUntilAnswered(late, { type: 'Deposit', accountId: 1, transferId: 'after-failover', amountMinor: 7 });
    expect(events.map((e) => e.type)).toContain('FundsDeposited');
    const status = await second.waitForRole('leader');
    expect(status.epoch).toBeGreaterThan(0);
    const leaderStatus = await second.status();
    expect(late.replica.appliedSeq).toBe(leaderStatus.seq);
    expect(late.replica.core.stateHash()).toBe(leaderStatus.stateHash);
    expect(recorder.events.map((e) => e.type)).toContain('FundsDeposited');
    // The earlier replica followed the same journal to the same state.
    for (let i = 0; i < 200 && early.replica.appliedSeq < leaderStatus.seq; i++) await sleep(10);
    expect(early.replica.core.stateHash()).toBe(leaderStatus.stateHash);
  });
});
