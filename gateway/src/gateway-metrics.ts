// The gateway's Prometheus metrics (prefix exch_gateway_, base units, no per-account labels):
// connections, messages and errors of the WebSocket API, slow consumers dropped, the time from an
// order message to its durable answer, and REST request durations by route and status.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly wsConnections: Gauge<'kind'>;
  readonly wsMessages: Counter<'type'>;
  readonly wsErrors: Counter<'code'>;
  readonly wsSlowConsumersDropped: Counter;
  readonly orderAnswerSeconds: Histogram;
  readonly httpRequestSeconds: Histogram<'method' | 'route' | 'status_code'>;
  /** Commands the engine applied that the in-process settlement has not yet posted to the ledger. */
  readonly settlementLagCommands: Gauge;
}

export function createGatewayMetrics(registry = new Registry()): GatewayMetrics {
  collectDefaultMetrics({ register: registry, prefix: 'exch_gateway_' });
  return {
    registry,
    wsConnections: new Gauge({
      name: 'exch_gateway_ws_connections',
      help: 'Open WebSocket connections, by kind (account or anonymous)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    wsMessages: new Counter({ name: 'exch_gateway_ws_messages_total', help: 'WebSocket messages received, by type', labelNames: ['type'], registers: [registry] }),
    wsErrors: new Counter({ name: 'exch_gateway_ws_errors_total', help: 'WebSocket error answers, by code', labelNames: ['code'], registers: [registry] }),
    wsSlowConsumersDropped: new Counter({
      name: 'exch_gateway_ws_slow_consumers_dropped_total',
      help: 'Connections closed because their send queue passed the backpressure limit',
      registers: [registry],
    }),
    orderAnswerSeconds: new Histogram({
      name: 'exch_gateway_order_answer_duration_seconds',
      help: 'From an order message to its answer after the durable journal frame',
      buckets: [2.5e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.5, 1],
      registers: [registry],
    }),
    settlementLagCommands: new Gauge({
      name: 'exch_gateway_settlement_lag_commands',
      help: 'Commands the engine applied that the in-process settlement has not yet posted to the ledger',
      registers: [registry],
    }),
    httpRequestSeconds: new Histogram({
      name: 'exch_gateway_http_request_duration_seconds',
      help: 'REST request durations, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
