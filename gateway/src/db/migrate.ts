// Applies the gateway's migrations (gateway/migrations, plain SQL through node-pg-migrate on `pg`).
// The gateway keeps its own migrations table, so it can share a database with the settlement worker.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
export const MIGRATIONS_TABLE = 'gateway_pgmigrations';

export type MigrationDirection = 'up' | 'down';

/** Runs every pending migration up, or `count` down (all by default); returns the names run. */
export async function migrate(databaseUrl: string, direction: MigrationDirection = 'up', count = Infinity): Promise<string[]> {
  const ran = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    direction,
    count,
    checkOrder: true,
    singleTransaction: true,
    log: () => undefined,
  });
  return ran.map((migration) => migration.name);
}
