// `npm run import-feed -w gateway -- <file> [--format json|csv] [--check]`: imports a fixtures and
// results feed (the JSON format or the football-data CSV layout) into the catalog on DATABASE_URL,
// in one transaction, audited as the system. The running gateway's scheduler creates the new
// markets in the engine, and settles or voids those with results, within a second. `--check`
// only parses the file and reports its bad rows. Exit status: 0 imported (or valid), 1 refused,
// 2 usage.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pino } from 'pino';
import { AuditLog } from '../accounts/audit-log.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { FeedRejectedError, importIntoCatalog, SYSTEM_ACTOR } from './catalog-service.js';
import { CatalogStore } from './catalog-store.js';
import { parseFeed, type FeedRowError } from './feed.js';

const USAGE = 'usage: import-feed <file> [--format json|csv] [--check]';

function fail(rows: readonly FeedRowError[]): never {
  console.error(`refused: ${rows.length} bad row${rows.length === 1 ? '' : 's'}; nothing was imported`);
  for (const row of rows) console.error(`  ${row.row}: ${row.message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
const file = args.find((arg, index) => !arg.startsWith('--') && args[index - 1] !== '--format');
const formatIndex = args.indexOf('--format');
const format = formatIndex === -1 ? undefined : args[formatIndex + 1];
if (file === undefined || (format !== undefined && format !== 'json' && format !== 'csv')) {
  console.error(USAGE);
  process.exit(2);
}
let text: string;
try {
  text = readFileSync(file, 'utf8');
} catch (error) {
  console.error(`cannot read ${file}: ${(error as Error).message}`);
  process.exit(2);
}
const parsed = parseFeed(text, format);
if (!parsed.ok) fail(parsed.errors);
const { feed } = parsed;
if (args.includes('--check')) {
  console.log(`valid: ${feed.fixtures.length} fixtures, ${feed.results.length} results`);
  process.exit(0);
}
const databaseUrl = process.env['DATABASE_URL'];
if (databaseUrl === undefined || databaseUrl === '') {
  console.error('DATABASE_URL is required (on the embedded default, import through POST /v1/admin/catalog/feeds instead)');
  process.exit(2);
}
await migrate(databaseUrl);
const pool = createPool(databaseUrl, pino({ level: 'silent' }), 2);
try {
  const report = await importIntoCatalog(new CatalogStore(pool), feed);
  await new AuditLog(pool).record({ actorAccountId: SYSTEM_ACTOR, action: 'ImportFeed', target: 'catalog', reason: `import-feed ${basename(file)}`, details: { ...report }, outcome: 'ok' });
  console.log(JSON.stringify(report));
} catch (error) {
  if (error instanceof FeedRejectedError) fail(error.rows);
  throw error;
} finally {
  await pool.end();
}
