// REST load: autocannon against the real gateway process (engine partition in process journaling
// to Redis, accounts in PostgreSQL): the market catalog, and authenticated order placement with a
// fresh Idempotency-Key per request (each acked after its journal frame is durable). Loopback only,
// bounded in time; `--json` prints one JSON object on the last line.

import autocannon from 'autocannon';
import { startStack } from './stack.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const option = (name: string, fallback: number): number => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const SECONDS = option('--seconds', 10);
const CONNECTIONS = option('--connections', 50);
const MARKET_ID = 1;
const ACCOUNTS = 20;

interface Figures {
  requestsPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  requests: number;
}

function figures(result: autocannon.Result): Figures {
  return {
    requestsPerSec: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    requests: result.requests.total,
  };
}

async function main(): Promise<void> {
  const stack = await startStack({ appendfsync: args.includes('--everysec') ? 'everysec' : 'always' });
  try {
    const admin = await stack.account('admin@bench.test');
    await stack.post('/v1/admin/markets', { marketId: MARKET_ID, runnerCount: 3 }, admin.token);
    // Orders rest, so they are spread over accounts to stay under the per-account open-order cap.
    const bettors: Array<{ token: string }> = [];
    for (let i = 0; i < ACCOUNTS; i++) bettors.push(await stack.account(`bettor${i}@bench.test`, 1_000_000_000));
    const headersOf = (i: number): Record<string, string> => ({
      authorization: `Bearer ${(bettors[i % bettors.length] as { token: string }).token}`,
      'content-type': 'application/json',
    });
    const headers = headersOf(0);

    process.stderr.write(`catalog: GET /v1/markets, ${CONNECTIONS} connections, ${SECONDS} s\n`);
    const catalog = figures(await autocannon({ url: `${stack.api}/v1/markets`, connections: CONNECTIONS, duration: SECONDS, headers }));

    process.stderr.write(`orders: POST /v1/orders, ${CONNECTIONS} connections, ${SECONDS} s\n`);
    let sequence = 0;
    const orders = figures(
      await autocannon({
        url: `${stack.api}/v1/orders`,
        connections: CONNECTIONS,
        duration: SECONDS,
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => {
              sequence++;
              const back = sequence % 2 === 0;
              return {
                ...request,
                headers: { ...headersOf(sequence), 'idempotency-key': `rest-bench-${sequence}` },
                body: JSON.stringify({
                  marketId: MARKET_ID,
                  runnerIndex: sequence % 3,
                  side: back ? 'back' : 'lay',
                  priceTicks: back ? 121 + (sequence % 10) : 99 - (sequence % 10),
                  stakeMinor: 200 + (sequence % 1_000),
                }),
              };
            },
          },
        ],
      }),
    );
    const summary = { catalog, orders, connections: CONNECTIONS, seconds: SECONDS };
    const line = (name: string, f: Figures): string =>
      `  ${name}: ${f.requestsPerSec} req/s, p50 ${f.latencyP50Ms} ms, p99 ${f.latencyP99Ms} ms, ${f.requests} requests, non-2xx ${f.non2xx}, errors ${f.errors}\n`;
    process.stdout.write(`REST load (autocannon, ${CONNECTIONS} connections, ${SECONDS} s each, loopback, shared 2 cores)\n`);
    process.stdout.write(line('GET /v1/markets', catalog));
    process.stdout.write(line('POST /v1/orders', orders));
    if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await stack.stop();
  }
}

await main();
