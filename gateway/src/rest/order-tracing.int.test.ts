// Order requests over REST, traced: placing and cancelling an order are one server span each,
// ended with the response's status code, and the span's traceparent reaches the engine with the
// command. A refused request ends its span too; other routes make no span.

import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventFrame } from '../engine-link.js';
import { ADMIN_EMAIL, registerAndLogin, startRestHarness, type RestHarness, type Session } from '../testing/rest-harness.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const frames: EventFrame[] = [];
let h: RestHarness;
let bettor: Session;

beforeAll(async () => {
  h = await startRestHarness({ tracer: provider.getTracer('test') });
  h.engine.partition.onFrame((frame) => frames.push(frame));
  const admin = await registerAndLogin(h.app, ADMIN_EMAIL);
  expect((await h.app.inject({ method: 'POST', url: '/v1/admin/markets', headers: admin.headers, payload: { marketId: 31, runnerCount: 2 } })).statusCode).toBe(201);
  bettor = await registerAndLogin(h.app, 'traced.bettor@example.com');
  const deposit = await h.app.inject({ method: 'POST', url: '/v1/deposits/test', headers: { ...bettor.headers, 'idempotency-key': 'traced-deposit' }, payload: { amountMinor: 50_00 } });
  expect(deposit.statusCode).toBe(201);
});
afterAll(async () => {
  await h?.stop();
  await provider.shutdown();
});

/** The finished spans, once there are `count` (fastify's onResponse hook runs as the response ends). */
async function finishedSpans(count: number): Promise<ReturnType<InMemorySpanExporter['getFinishedSpans']>> {
  for (let i = 0; i < 200 && exporter.getFinishedSpans().length < count; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  return exporter.getFinishedSpans();
}

function traceparentOfSeq(seq: number): string | null {
  for (const frame of frames) {
    const index = frame.entries.findIndex((entry) => entry.seq === seq);
    if (index >= 0) return frame.traceparents?.[index] ?? null;
  }
  throw new Error(`no frame has seq ${seq}`);
}

describe('order requests over REST', () => {
  it('placing and cancelling are one span each, whose traceparent the engine journals with the command', async () => {
    exporter.reset();
    const placeSeq = h.engine.partition.appliedSeq + 1;
    const placed = await h.app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { ...bettor.headers, 'idempotency-key': 'traced-order' },
      payload: { marketId: 31, runnerIndex: 0, side: 'back', priceTicks: 99, stakeMinor: 5_00 },
    });
    expect(placed.statusCode, placed.body).toBe(201);
    const [place] = await finishedSpans(1);
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['POST /v1/orders']);
    expect(place?.attributes['http.response.status_code']).toBe(201);
    expect(traceparentOfSeq(placeSeq)).toBe(`00-${place?.spanContext().traceId}-${place?.spanContext().spanId}-01`);

    exporter.reset();
    const cancelSeq = h.engine.partition.appliedSeq + 1;
    const orderId = (placed.json() as { orderId: number }).orderId;
    const cancelled = await h.app.inject({ method: 'DELETE', url: `/v1/orders/${orderId}`, headers: bettor.headers });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    const [cancel] = await finishedSpans(1);
    expect(cancel?.name).toBe('DELETE /v1/orders/:orderId');
    expect(traceparentOfSeq(cancelSeq)).toBe(`00-${cancel?.spanContext().traceId}-${cancel?.spanContext().spanId}-01`);
  });

  it('a refused request ends its span with its status; other routes make none', async () => {
    exporter.reset();
    const refused = await h.app.inject({ method: 'DELETE', url: '/v1/orders/999999', headers: bettor.headers });
    expect(refused.statusCode).toBe(404);
    expect((await finishedSpans(1)).map((span) => [span.name, span.attributes['http.response.status_code']])).toEqual([['DELETE /v1/orders/:orderId', 404]]);
    exporter.reset();
    expect((await h.app.inject({ method: 'GET', url: '/v1/orders', headers: bettor.headers })).statusCode).toBe(200);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
