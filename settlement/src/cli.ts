// Commands on the ledger (DATABASE_URL; REDIS_URL for reconcile):
//   migrate up | migrate down [count]   apply or revert migrations (down reverts all by default)
//   invariants                          print every violation of I1, I2, I3, I5, I8; exit 1 if any
//   reconcile [partition]               compare the engine's balances (its AccountUpdated events up
//                                       to the applied seq) with the ledger; exit 1 on any difference.
//                                       With RISK_PARTITIONS and MATCHING_PARTITIONS set: every risk
//                                       partition's, the house's shares summed

import { Redis } from 'ioredis';
import { connectDatabase } from './db/database.js';
import { migrate } from './db/migrate.js';
import { checkInvariants } from './invariants.js';
import { PartitionTopology } from '../../engine/src/core/partition-topology.js';
import { partitionTopologyFromEnv } from '../../engine/src/io/engine-config.js';
import { appliedSeq, compareFigures, engineFiguresFromStream, engineFiguresFromStreams, formatDifference, ledgerFigures } from './reconcile.js';

function databaseUrl(): string {
  const url = process.env['DATABASE_URL'];
  if (url === undefined || url === '') throw new Error('DATABASE_URL is required');
  return url;
}

async function run(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'migrate': {
      const direction = rest[0];
      if (direction !== 'up' && direction !== 'down') throw new Error('usage: migrate up | migrate down [count]');
      const count = rest[1] === undefined ? Infinity : Number(rest[1]);
      const ran = await migrate(databaseUrl(), direction, count);
      console.log(ran.length === 0 ? 'nothing to migrate' : ran.map((name) => `${direction} ${name}`).join('\n'));
      return 0;
    }
    case 'invariants': {
      const sql = connectDatabase(databaseUrl());
      try {
        const violations = await checkInvariants(sql);
        for (const v of violations) console.log(`${v.invariant} ${v.message}`);
        console.log(violations.length === 0 ? 'invariants hold' : `${violations.length} violation(s)`);
        return violations.length === 0 ? 0 : 1;
      } finally {
        await sql.end();
      }
    }
    case 'reconcile': {
      const partition = rest[0] ?? process.env['PARTITION'] ?? 'p0';
      const redisUrl = process.env['REDIS_URL'];
      if (redisUrl === undefined || redisUrl === '') throw new Error('REDIS_URL is required');
      const sql = connectDatabase(databaseUrl());
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
      try {
        if ((process.env['RISK_PARTITIONS'] ?? '') !== '') {
          const risk = new PartitionTopology(partitionTopologyFromEnv(process.env, 'a partitioned engine')).riskNames;
          const seqs = (await Promise.all(risk.map(async (name) => `${name} ${await appliedSeq(sql, name)}`))).join(', ');
          const differences = compareFigures(await engineFiguresFromStreams(redis, sql, risk), await ledgerFigures(sql));
          for (const d of differences) console.log(formatDifference(d));
          console.log(differences.length === 0 ? `ledger matches the engine up to seqs ${seqs}` : `${differences.length} difference(s) at seqs ${seqs}`);
          return differences.length === 0 ? 0 : 1;
        }
        const seq = await appliedSeq(sql, partition);
        const differences = compareFigures(await engineFiguresFromStream(redis, partition, seq), await ledgerFigures(sql));
        for (const d of differences) console.log(formatDifference(d));
        console.log(differences.length === 0 ? `ledger matches the engine up to seq ${seq}` : `${differences.length} difference(s) at seq ${seq}`);
        return differences.length === 0 ? 0 : 1;
      } finally {
        redis.disconnect();
        await sql.end();
      }
    }
    default:
      throw new Error('usage: cli.ts migrate up|down [count] | invariants | reconcile [partition]');
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
