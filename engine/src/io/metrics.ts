// The engine process's Prometheus metrics (prefix exch_, base units, no per-order labels).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface EngineMetrics {
  readonly registry: Registry;
  readonly commands: Counter;
  readonly applySeconds: Histogram;
  readonly appendSeconds: Histogram;
  readonly journalLagCommands: Gauge;
  readonly snapshotSeq: Gauge;
  readonly snapshotTimestamp: Gauge;
  readonly leader: Gauge;
}

export function createEngineMetrics(partition: string): EngineMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ partition });
  collectDefaultMetrics({ register: registry, prefix: 'exch_engine_' });
  return {
    registry,
    commands: new Counter({ name: 'exch_engine_commands_total', help: 'Commands applied and journaled', registers: [registry] }),
    applySeconds: new Histogram({
      name: 'exch_engine_apply_duration_seconds',
      help: 'Time to apply one command to the core',
      buckets: [1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 5e-5, 1e-4, 1e-3],
      registers: [registry],
    }),
    appendSeconds: new Histogram({
      name: 'exch_engine_journal_append_duration_seconds',
      help: 'Time to make one journal frame durable',
      buckets: [5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2, 0.1, 0.5],
      registers: [registry],
    }),
    journalLagCommands: new Gauge({ name: 'exch_engine_journal_lag_commands', help: 'Journaled commands not yet applied by this instance', registers: [registry] }),
    snapshotSeq: new Gauge({ name: 'exch_engine_snapshot_seq', help: 'Seq of the last snapshot taken', registers: [registry] }),
    snapshotTimestamp: new Gauge({ name: 'exch_engine_snapshot_timestamp_seconds', help: 'When the last snapshot was taken', registers: [registry] }),
    leader: new Gauge({ name: 'exch_engine_leader', help: '1 while this instance leads its partition', registers: [registry] }),
  };
}
