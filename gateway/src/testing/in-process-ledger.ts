// The ledger as the embedded default keeps it, for REST integration tests: the ledger migrations
// in the harness's database and the settlement worker following the partition's events log in
// process (the harness must be started with `{ eventLog: true }`).

import { pino } from 'pino';
import { connectDatabase, type Db } from '../../../settlement/src/db/database.js';
import { migrate as migrateLedger } from '../../../settlement/src/db/migrate.js';
import { LogSettlement } from '../../../settlement/src/log-settlement.js';
import type { RestHarness } from './rest-harness.js';

export interface InProcessLedger {
  readonly sql: Db;
  /** Resolves once the ledger has applied every command the partition applied; throws if it does not within 10 s. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

export async function startInProcessLedger(h: RestHarness): Promise<InProcessLedger> {
  const eventLog = h.engine.eventLog;
  if (eventLog === null) throw new Error('start the harness with { eventLog: true }');
  await migrateLedger(h.databaseUrl, 'up');
  const sql = connectDatabase(h.databaseUrl);
  const worker = new LogSettlement({ sql, source: eventLog, partition: 'p0', logger: pino({ level: 'silent' }), idleMs: 10, onFatal: (error) => { throw error; } });
  h.engine.partition.onFrame(() => worker.wake());
  void worker.run();
  return {
    sql,
    async caughtUp() {
      for (let i = 0; i < 2_000 && worker.ledgerSeq < h.engine.partition.appliedSeq; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      if (worker.ledgerSeq !== h.engine.partition.appliedSeq) throw new Error(`the ledger is at seq ${worker.ledgerSeq}, the partition at ${h.engine.partition.appliedSeq}`);
    },
    async stop() {
      await worker.stop();
      await sql.end();
    },
  };
}
