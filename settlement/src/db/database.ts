// The worker's PostgreSQL access: a `pg` Pool (the same driver node-pg-migrate uses), transactions
// on one pooled client, and what counts as a transient failure.
//
// A connection can die while idle in the pool or while checked out between two statements (a
// PostgreSQL restart). Either way `pg` emits 'error' on the pool or the client, and an 'error'
// event with no listener crashes the process; both get a listener here, and the broken client is
// destroyed rather than returned to the pool.

import pg from 'pg';

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;
export type Row = Record<string, unknown>;

export function connectDatabase(
  databaseUrl: string,
  options: { maxConnections?: number; applicationName?: string; onIdleError?: (error: Error) => void } = {},
): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.maxConnections ?? 2,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'settlement',
  });
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}

export async function query(db: Db | DbClient, text: string, values: readonly unknown[] = []): Promise<Row[]> {
  const result = await db.query(text, values as unknown[]);
  return result.rows as Row[];
}

/** Runs `work` between BEGIN and COMMIT on one client; rolls back on any error. */
export async function inTransaction<T>(db: Db, work: (client: DbClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (broken === undefined) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    }
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken ?? false);
  }
}

/** A BIGINT from the database (`pg` returns int8 and numeric as strings) as a safe integer. */
export function toMinor(value: unknown): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(number)) throw new RangeError(`not a safe integer: ${String(value)}`);
  return number;
}

const RETRYABLE_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown (a restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up or shutting down)
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
]);

const RETRYABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** `pg` reports a lost connection by message only. */
const LOST_CONNECTION = /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|terminating connection/i;

/** True for failures after which the same transaction may simply be tried again. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (RETRYABLE_SQLSTATES.has(code) || RETRYABLE_SOCKET_CODES.has(code))) return true;
  return LOST_CONNECTION.test(error.message);
}
