// The embedded default's PostgreSQL: PGlite (real PostgreSQL compiled to WASM) served over the
// PostgreSQL wire protocol by its socket server, so `pg` and the migrations talk to it exactly as
// to a server. Used only when DATABASE_URL is unset; data lives in `<dataDir>/pglite`.
//
// PGlite is one session: the socket server accepts several connections but interleaves their
// extended-protocol messages (one connection's Bind can land on another's Parse), so its users
// must not query concurrently over separate connections. The gateway process therefore shares one
// pool of a single connection (gateway/src/main.ts); the extra connections the server accepts are
// for sequential users such as the migrations at start.

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
