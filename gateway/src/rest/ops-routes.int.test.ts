// The REST port's operations routes: liveness, readiness with the names of what fails, and no
// metrics (those have a listener of their own that the load balancer never reaches).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayMetrics } from '../gateway-metrics.js';
import { startRestHarness, type RestHarness } from '../testing/rest-harness.js';

let h: RestHarness;
const failing: string[] = [];

beforeAll(async () => {
  h = await startRestHarness({ metrics: createGatewayMetrics(), readiness: async () => [...failing] });
});
afterAll(async () => h?.stop());

describe('operations routes', () => {
  it('answer liveness, readiness by its failing checks, and serve no metrics on the REST port', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ready', failing: [] }]);
    failing.push('database');
    const notReady = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect([notReady.statusCode, notReady.json()]).toEqual([503, { status: 'not_ready', failing: ['database'] }]);
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(404);
    expect(metrics.body).not.toContain('exch_gateway');
  });
});
