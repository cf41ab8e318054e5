// A fresh database on a test PostgreSQL server, so each test file starts from an empty schema.

import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Creates `settlement_<random>` on the server of `serverUrl`; returns its URL. */
export async function freshDatabase(serverUrl: string): Promise<string> {
  const url = new URL(serverUrl);
  const name = `settlement_${randomBytes(6).toString('hex')}`;
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}
