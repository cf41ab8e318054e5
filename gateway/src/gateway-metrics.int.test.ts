// The gateway's WebSocket metrics against a real server and real clients: connections by kind,
// messages by type, error answers by code, and the order answer histogram; served as Prometheus
// text on the metrics listener of their own.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics.js';
import { startMetricsHttp } from './metrics-http.js';
import { seed, sleep, startHarness, TestClient, type Harness } from './testing/ws-harness.js';

let h: Harness;
let metrics: GatewayMetrics;

beforeAll(async () => {
  metrics = createGatewayMetrics();
  h = await startHarness({ metrics });
  await seed(h, [2], [{ marketId: 4, runnerCount: 2 }]);
});
afterAll(async () => h.stop());

async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
  const matching = values.filter((v) => Object.entries(labels).every(([key, wanted]) => String(v.labels[key]) === wanted));
  return matching.reduce((sum, v) => sum + v.value, 0);
}

describe('gateway metrics', () => {
  it('count connections by kind, messages by type, errors by code and order answers', async () => {
    const viewer = await TestClient.open(h.url);
    const trader = await TestClient.token(h.url, 2);
    expect(await value('exch_gateway_ws_connections', { kind: 'anonymous' })).toBe(1);
    expect(await value('exch_gateway_ws_connections', { kind: 'account' })).toBe(1);

    await viewer.request({ type: 'subscribe_market', marketId: 4 });
    await viewer.request({ type: 'subscribe_orders' });
    await trader.request({ type: 'place', clientOrderId: 'm1', marketId: 4, runnerIndex: 0, side: 'back', priceTicks: 30, stakeMinor: 500 });
    await trader.request({ type: 'place', clientOrderId: 'm2', marketId: 4, runnerIndex: 0, side: 'back', priceTicks: 30, stakeMinor: -1 });
    expect(await value('exch_gateway_ws_messages_total', { type: 'subscribe_market' })).toBe(1);
    expect(await value('exch_gateway_ws_messages_total', { type: 'place' })).toBe(1);
    expect(await value('exch_gateway_ws_errors_total', { code: 'login_required' })).toBe(1);
    expect(await value('exch_gateway_ws_errors_total', { code: 'invalid_field' })).toBe(1);
    const answered = (await metrics.registry.getSingleMetric('exch_gateway_order_answer_duration_seconds')?.get())?.values.find((v) => (v as { metricName?: string }).metricName === 'exch_gateway_order_answer_duration_seconds_count');
    expect(answered?.value).toBe(1);

    await viewer.close();
    await trader.close();
    for (let i = 0; i < 100 && (await value('exch_gateway_ws_connections')) > 0; i++) await sleep(5);
    expect(await value('exch_gateway_ws_connections')).toBe(0);
    expect(await metrics.registry.metrics()).toMatch(/^exch_gateway_ws_messages_total\{type="place"\} 1$/m);
  });

  it('are served at /metrics on their own listener, and nothing else is', async () => {
    const server = await startMetricsHttp({ metrics, host: '127.0.0.1', port: 0 });
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const scraped = await fetch(`${base}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toContain('text/plain');
      expect(await scraped.text()).toMatch(/^# TYPE exch_gateway_ws_connections gauge$/m);
      expect((await fetch(`${base}/`)).status).toBe(404);
      expect((await fetch(`${base}/metrics/../healthz`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
