// `npm run migrate -w gateway -- [up|down] [count]`: applies or rolls back the gateway's migrations
// on DATABASE_URL.

import { migrate, type MigrationDirection } from './migrate.js';

const databaseUrl = process.env['DATABASE_URL'];
if (databaseUrl === undefined || databaseUrl === '') {
  console.error('DATABASE_URL is required');
  process.exit(2);
}
const direction = (process.argv[2] ?? 'up') as MigrationDirection;
if (direction !== 'up' && direction !== 'down') {
  console.error('usage: migrate [up|down] [count]');
  process.exit(2);
}
const count = process.argv[3] === undefined ? (direction === 'down' ? 1 : Infinity) : Number(process.argv[3]);
const ran = await migrate(databaseUrl, direction, count);
console.log(`${direction}: ${ran.length === 0 ? 'nothing to run' : ran.join(', ')}`);
