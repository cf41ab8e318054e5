// The settlement worker's Prometheus metrics (prefix exch_settlement_, base units): what it
// applied, its batches and their durations, how far the ledger is behind the events stream, and
// the failures it retried or could not.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface SettlementMetrics {
  readonly registry: Registry;
  readonly eventsApplied: Counter;
  readonly entriesApplied: Counter;
  readonly entriesSkipped: Counter;
  readonly batches: Counter;
  readonly batchSeconds: Histogram;
  readonly ledgerSeq: Gauge;
  readonly consumerLagCommands: Gauge;
  readonly retries: Counter<'operation'>;
  readonly errors: Counter<'kind'>;
}

export function createSettlementMetrics(partition: string, registry = new Registry()): SettlementMetrics {
  registry.setDefaultLabels({ partition });
  collectDefaultMetrics({ register: registry, prefix: 'exch_settlement_' });
  return {
    registry,
    eventsApplied: new Counter({ name: 'exch_settlement_events_applied_total', help: 'Engine events posted to the ledger', registers: [registry] }),
    entriesApplied: new Counter({ name: 'exch_settlement_entries_applied_total', help: 'Events stream entries (frames) applied to the ledger', registers: [registry] }),
    entriesSkipped: new Counter({
      name: 'exch_settlement_entries_skipped_total',
      help: 'Redelivered entries the ledger had already applied (acknowledged, not applied again)',
      registers: [registry],
    }),
    batches: new Counter({ name: 'exch_settlement_batches_total', help: 'Batches committed (one database transaction each)', registers: [registry] }),
    batchSeconds: new Histogram({
      name: 'exch_settlement_batch_duration_seconds',
      help: 'From applying a batch to its acknowledgement, retries included',
      buckets: [1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    ledgerSeq: new Gauge({ name: 'exch_settlement_ledger_seq', help: 'The last engine seq the ledger has applied', registers: [registry] }),
    consumerLagCommands: new Gauge({
      name: 'exch_settlement_consumer_lag_commands',
      help: 'Commands on the events stream the ledger has not applied yet',
      registers: [registry],
    }),
    retries: new Counter({
      name: 'exch_settlement_retries_total',
      help: 'Failed attempts retried (transient database or Redis failures), by operation',
      labelNames: ['operation'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'exch_settlement_errors_total',
      help: 'Failures not retried, by kind: gap (entries missing before a batch), fatal (the worker stops)',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}
