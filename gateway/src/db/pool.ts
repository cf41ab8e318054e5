// A pg pool that survives a PostgreSQL restart: without an 'error' listener an idle client's error
// would crash the process.

import pg from 'pg';
import type { Logger } from 'pino';

export function createPool(databaseUrl: string, logger: Logger, maxConnections = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: maxConnections });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL client failed'));
  return pool;
}
