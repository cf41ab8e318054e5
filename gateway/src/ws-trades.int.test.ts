// Last traded price and matched volume through the WebSocket server: in the snapshot, in the
// delta of the frame that matched, merged by conflation, and after a resume from an older seq the
// same as a fresh snapshot shows. They are engine state: a server started on a partition that
// already traded, or on a read-only replica restored from a snapshot, shows the earlier trades.

import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Side } from '@playchacha/protocol';
import { FileJournal, FileLeadership } from '../../engine/src/io/file-journal.js';
import { EnginePartition } from '../../engine/src/io/partition.js';
import { FileSnapshotStore } from '../../engine/src/io/snapshot-stores.js';
import { TokenOrApiKeyAuthenticator } from './auth.js';
import { PartitionLink } from './partition-link.js';
import type { RunnerTraded, ServerMessageOf } from './ws-messages.js';
import { WS_PATH, WsServer } from './ws-server.js';
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, seed, startHarness, TestClient, type Harness } from './testing/ws-harness.js';

const MARKET = 21;
let h: Harness;
let clientOrderIdNext = 1;

beforeAll(async () => {
  h = await startHarness({ messagesPerSecond: 1000, messageBurst: 1000 });
  await seed(h, [1, 2], [MARKET, MARKET + 1, MARKET + 2, MARKET + 3].map((marketId) => ({ marketId, runnerCount: 2 })));
});
afterAll(async () => h.stop());

async function place(accountId: number, marketId: number, runnerIndex: number, side: Side, priceTicks: number, stakeMinor: number): Promise<void> {
  await h.submit({ type: 'PlaceOrder', accountId, clientOrderId: `t${clientOrderIdNext++}`, marketId, runnerIndex, side, priceTicks, stakeMinor });
}

/** A lay resting from account 1 taken in full by a back from account 2. */
async function trade(marketId: number, runnerIndex: number, priceTicks: number, stakeMinor: number): Promise<void> {
  await place(1, marketId, runnerIndex, 'lay', priceTicks, stakeMinor);
  await place(2, marketId, runnerIndex, 'back', priceTicks, stakeMinor);
}

async function snapshot(marketId: number, url = h.url): Promise<ServerMessageOf<'market_snapshot'>> {
  const client = await TestClient.token(url, 2);
  const reply = await client.request({ type: 'subscribe_market', marketId });
  await client.close();
  if (reply.type !== 'market_snapshot') throw new Error(JSON.stringify(reply));
  return reply;
}

type Delta = ServerMessageOf<'market_delta'>;
const deltasOf = (client: TestClient, marketId: number): Delta[] =>
  client.messages.filter((m): m is Delta => m.type === 'market_delta' && m.marketId === marketId);

/** Applies deltas' trades on top of a starting copy. */
function follow(traded: readonly RunnerTraded[], matchedMinor: number, deltas: readonly Delta[]): { traded: RunnerTraded[]; matchedMinor: number } {
  const copy = [...traded];
  let total = matchedMinor;
  for (const delta of deltas) {
    for (const runner of delta.traded ?? []) copy[runner.runnerIndex] = runner;
    total = delta.matchedMinor ?? total;
  }
  return { traded: copy, matchedMinor: total };
}

describe('market data: trades', () => {
  it('sends each match\'s runner totals in its delta, and the totals in later snapshots', async () => {
    const client = await TestClient.token(h.url, 1);
    const first = await client.request({ type: 'subscribe_market', marketId: MARKET });
    if (first.type !== 'market_snapshot') throw new Error(JSON.stringify(first));
    expect(first.traded).toEqual([{ runnerIndex: 0, lastPriceTicks: null, matchedMinor: 0 }, { runnerIndex: 1, lastPriceTicks: null, matchedMinor: 0 }]);
    expect(first.matchedMinor).toBe(0);

    await place(1, MARKET, 1, 'lay', 90, 12_00);
    await place(2, MARKET, 1, 'back', 80, 5_00);
    const seq = h.partition.core.market(MARKET)?.seq ?? -1;
    const matched = await client.next((m) => m.type === 'market_delta' && m.seq === seq) as Delta;
    expect(matched.traded).toEqual([{ runnerIndex: 1, lastPriceTicks: 90, matchedMinor: 5_00 }]);
    expect(matched.matchedMinor).toBe(5_00);
    const resting = deltasOf(client, MARKET).filter((delta) => delta.seq < seq);
    expect(resting.length).toBeGreaterThan(0);
    for (const delta of resting) expect(delta.traded).toBeUndefined();

    await trade(MARKET, 0, 150, 3_00);
    const later = await snapshot(MARKET);
    expect(later.traded).toEqual([{ runnerIndex: 0, lastPriceTicks: 150, matchedMinor: 3_00 }, { runnerIndex: 1, lastPriceTicks: 90, matchedMinor: 5_00 }]);
    expect(later.matchedMinor).toBe(8_00);
    await client.close();
  });

  it('merges trades of conflated deltas to the latest totals', async () => {
    const before = await snapshot(MARKET + 1);
    const client = await TestClient.token(h.url, 1);
    await client.request({ type: 'subscribe_market', marketId: MARKET + 1, conflateMs: 4_000 });
    await trade(MARKET + 1, 0, 120, 2_00);
    await trade(MARKET + 1, 0, 110, 1_00);
    await trade(MARKET + 1, 1, 200, 4_00);
    const seq = h.partition.core.market(MARKET + 1)?.seq ?? -1;
    await client.next((m) => m.type === 'market_delta' && m.seq === seq);
    const deltas = deltasOf(client, MARKET + 1);
    expect(deltas.some((delta) => delta.conflated === true)).toBe(true);
    const followed = follow(before.traded, before.matchedMinor, deltas);
    const after = await snapshot(MARKET + 1);
    expect(followed).toEqual({ traded: after.traded, matchedMinor: after.matchedMinor });
    expect(after.traded).toEqual([{ runnerIndex: 0, lastPriceTicks: 110, matchedMinor: 3_00 }, { runnerIndex: 1, lastPriceTicks: 200, matchedMinor: 4_00 }]);
    expect(after.matchedMinor).toBe(7_00);
    await client.close();
  });

  it('continues a client resuming from its last seq to the totals of a fresh snapshot', async () => {
    const before = await snapshot(MARKET);
    await trade(MARKET, 1, 95, 7_00);
    await trade(MARKET, 0, 140, 1_50);
    const client = await TestClient.token(h.url, 1);
    const resumed = await client.request({ type: 'subscribe_market', marketId: MARKET, fromSeq: before.seq });
    expect(resumed.type).toBe('market_resumed');
    const seq = h.partition.core.market(MARKET)?.seq ?? -1;
    await client.next((m) => m.type === 'market_delta' && m.seq === seq);
    const followed = follow(before.traded, before.matchedMinor, deltasOf(client, MARKET));
    const after = await snapshot(MARKET);
    expect(followed).toEqual({ traded: after.traded, matchedMinor: after.matchedMinor });
    expect(after.matchedMinor).toBe(before.matchedMinor + 8_50);
    expect(after.traded[1]).toEqual({ runnerIndex: 1, lastPriceTicks: 95, matchedMinor: (before.traded[1]?.matchedMinor ?? 0) + 7_00 });
    await client.close();
  });

  it('shows the trades of a partition that traded before the server started', async () => {
    await trade(MARKET + 2, 1, 130, 6_00);
    await trade(MARKET + 2, 1, 125, 2_00);
    const late = await WsServer.start({ link: h.link, authenticator: authenticator(), port: 0 });
    try {
      const url = `ws://127.0.0.1:${late.port}${WS_PATH}`;
      const first = await snapshot(MARKET + 2, url);
      expect(first.traded).toEqual([{ runnerIndex: 0, lastPriceTicks: null, matchedMinor: 0 }, { runnerIndex: 1, lastPriceTicks: 125, matchedMinor: 8_00 }]);
      expect(first.matchedMinor).toBe(8_00);
      expect(first).toEqual(await snapshot(MARKET + 2));

      const client = await TestClient.token(url, 1);
      await client.request({ type: 'subscribe_market', marketId: MARKET + 2 });
      await trade(MARKET + 2, 0, 300, 1_00);
      const seq = h.partition.core.market(MARKET + 2)?.seq ?? -1;
      const matched = await client.next((m) => m.type === 'market_delta' && m.seq === seq) as Delta;
      expect(matched.traded).toEqual([{ runnerIndex: 0, lastPriceTicks: 300, matchedMinor: 1_00 }]);
      expect(matched.matchedMinor).toBe(9_00);
      await client.close();
    } finally {
      await late.close();
    }
  });

  it('shows the trades on a read-only replica restored from a snapshot of the trimmed journal', async () => {
    await trade(MARKET + 3, 0, 140, 4_00);
    const tradedAtSeq = h.partition.appliedSeq;
    // The journal keeps its last frame at a trim: one more command, so the trade's frames go.
    await h.submit({ type: 'Clock' });
    await h.partition.snapshotNow();
    const journal = await FileJournal.open(join(h.dir, 'journal'), 'p0');
    const replica = new EnginePartition({
      partition: 'p0',
      journal,
      leadership: new FileLeadership(join(h.dir, 'journal'), 'p0', { leaseMs: 5_000 }),
      snapshots: new FileSnapshotStore(join(h.dir, 'snapshots')),
      logger: pino({ level: 'silent' }),
      standbyPollMs: 5,
      follower: true,
    });
    let server: WsServer | null = null;
    try {
      // The frames of the trade are gone from the journal: only the snapshot holds them.
      expect(await journal.firstSeq()).toBeGreaterThan(tradedAtSeq);
      await replica.start();
      expect(replica.appliedSeq).toBe(h.partition.appliedSeq);
      server = await WsServer.start({ link: new PartitionLink(replica), authenticator: authenticator(), port: 0 });
      const restored = await snapshot(MARKET + 3, `ws://127.0.0.1:${server.port}${WS_PATH}`);
      expect(restored.traded).toEqual([{ runnerIndex: 0, lastPriceTicks: 140, matchedMinor: 4_00 }, { runnerIndex: 1, lastPriceTicks: null, matchedMinor: 0 }]);
      expect(restored.matchedMinor).toBe(4_00);
      expect(restored).toEqual(await snapshot(MARKET + 3));
    } finally {
      await server?.close();
      await replica.stop();
      await journal.close();
    }
  });
});

function authenticator(): TokenOrApiKeyAuthenticator {
  return new TokenOrApiKeyAuthenticator({ secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE }, new Map());
}
