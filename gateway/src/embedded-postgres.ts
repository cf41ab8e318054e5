// The embedded default's PostgreSQL: PGlite (real PostgreSQL compiled to WASM) served over the
// PostgreSQL wire protocol by its socket server, so `pg` and the migrations talk to it exactly as
// to a server. Used only when DATABASE_URL is unset; data lives in `<dataDir>/pglite`.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string, options: { port?: number; maxConnections?: number } = {}): Promise<EmbeddedPostgres> {
  const directory = join(dataDir, 'pglite');
  mkdirSync(directory, { recursive: true });
  const db = await PGlite.create(directory);
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 16,
  });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres@${address}/postgres?sslmode=disable`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
