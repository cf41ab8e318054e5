// Applies the ledger's migrations (settlement/migrations, plain SQL through node-pg-migrate on `pg`).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

export type MigrationDirection = 'up' | 'down';

/**
 * Runs every pending migration up, or `count` migrations down (all of them by default). Returns
 * the names of the migrations run.
 */
export async function migrate(databaseUrl: string, direction: MigrationDirection, count = Infinity): Promise<string[]> {
  const ran = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    migrationsTable: 'pgmigrations',
    direction,
    count,
    checkOrder: true,
    singleTransaction: true,
    log: () => undefined,
  });
  return ran.map((migration) => migration.name);
}
