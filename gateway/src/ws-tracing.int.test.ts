// Order messages over the WebSocket API, traced: each order message (place, cancel, replace,
// batch, mass cancel) is one server span, ended when its answer is sent, and the span's
// traceparent reaches the engine with the command (the durable frame carries it beside the
// command). Other messages make no span; without a tracer no frame carries a traceparent.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { EventFrame } from './engine-link.js';
import { seed, startHarness, TestClient, type Harness } from './testing/ws-harness.js';

const MARKET = 7;
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let traced: Harness;
let untraced: Harness;
const tracedFrames: EventFrame[] = [];
const untracedFrames: EventFrame[] = [];

beforeAll(async () => {
  traced = await startHarness({ tracer: provider.getTracer('test') });
  untraced = await startHarness();
  for (const h of [traced, untraced]) await seed(h, [1, 2], [{ marketId: MARKET, runnerCount: 2 }]);
  traced.partition.onFrame((frame) => tracedFrames.push(frame));
  untraced.partition.onFrame((frame) => untracedFrames.push(frame));
});
afterAll(async () => {
  await traced?.stop();
  await untraced?.stop();
  await provider.shutdown();
});

/** The traceparent the engine journaled with the command of seq `seq`, or null. */
function traceparentOfSeq(frames: readonly EventFrame[], seq: number): string | null {
  for (const frame of frames) {
    const index = frame.entries.findIndex((entry) => entry.seq === seq);
    if (index >= 0) return frame.traceparents?.[index] ?? null;
  }
  throw new Error(`no frame has seq ${seq}`);
}

describe('order messages over the WebSocket API', () => {
  it('each order message is one span whose traceparent the engine journals with its command', async () => {
    const client = await TestClient.token(traced.url, 1);
    const messages = [
      { type: 'place', clientOrderId: 'tr-1', marketId: MARKET, runnerIndex: 0, side: 'back', priceTicks: 100, stakeMinor: 10_00 },
      { type: 'batch', mode: 'best_effort', instructions: [{ kind: 'place', clientOrderId: 'tr-2', marketId: MARKET, runnerIndex: 1, side: 'lay', priceTicks: 50, stakeMinor: 5_00 }] },
      { type: 'mass_cancel' },
    ];
    for (const message of messages) {
      exporter.reset();
      const seqBefore = traced.partition.appliedSeq;
      const reply = await client.request(message);
      expect(reply.type).not.toBe('error');
      const spans = exporter.getFinishedSpans();
      expect(spans.map((span) => span.name)).toEqual([`ws ${message.type}`]);
      const { traceId, spanId } = (spans[0] as (typeof spans)[number]).spanContext();
      expect(traced.partition.appliedSeq).toBe(seqBefore + 1);
      expect(traceparentOfSeq(tracedFrames, seqBefore + 1)).toBe(`00-${traceId}-${spanId}-01`);
    }
    exporter.reset();
    await client.request({ type: 'ping' });
    await client.request({ type: 'subscribe_market', marketId: MARKET });
    expect(exporter.getFinishedSpans()).toEqual([]);
    await client.close();
  });

  it('without a tracer, commands reach the engine with no traceparent', async () => {
    const client = await TestClient.token(untraced.url, 2);
    const seqBefore = untraced.partition.appliedSeq;
    const reply = await client.request({ type: 'place', clientOrderId: 'un-1', marketId: MARKET, runnerIndex: 0, side: 'lay', priceTicks: 90, stakeMinor: 2_00 });
    expect(reply.type).toBe('result');
    expect(traceparentOfSeq(untracedFrames, seqBefore + 1)).toBeNull();
    expect(untracedFrames.every((frame) => frame.traceparents === undefined)).toBe(true);
    await client.close();
  });
});
