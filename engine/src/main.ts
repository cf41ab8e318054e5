// The engine process on its embedded defaults: one in-process core, a sequencer that stamps each
// command with its sequence number and time, a clock that moves time on once a second, a demo
// market with a quoting market maker, and an HTTP status endpoint. Journaling, partitions and
// failover live in the engine's I/O adapters.

import { createServer } from 'node:http';
import { STANDARD_LADDER, tickOfDecimalOdds, type Command, type EngineEvent } from '@playchacha/protocol';
import { ExchangeCore } from './core/index.js';

const portHttp = Number(process.env['ENGINE_HTTP_PORT'] ?? 8081);
const core = new ExchangeCore();
let seq = 0;
let commandsApplied = 0;
let fillsSeen = 0;

function submit(command: Command): readonly EngineEvent[] {
  const events = core.apply({ seq: ++seq, timestampMs: Date.now(), command });
  commandsApplied++;
  for (const event of events) if (event.type === 'OrderMatched') fillsSeen++;
  return events;
}

const MARKET_ID = 1;
const MAKER_ID = 1;
const BETTOR_ID = 2;
const centreTicks = tickOfDecimalOdds(STANDARD_LADDER, '2.5');

function seedDemo(): void {
  submit({ type: 'OpenAccount', accountId: MAKER_ID });
  submit({ type: 'OpenAccount', accountId: BETTOR_ID });
  submit({ type: 'Deposit', accountId: MAKER_ID, transferId: 'seed-maker', amountMinor: 100_000_00 });
  submit({ type: 'Deposit', accountId: BETTOR_ID, transferId: 'seed-bettor', amountMinor: 1_000_00 });
  submit({ type: 'CreateMarket', marketId: MARKET_ID, runnerCount: 3 });
}

let quoteRound = 0;
const quoted: number[] = [];

/** The demo market maker requotes both sides of every runner around a drifting centre. */
function requote(): void {
  quoteRound++;
  const instructions: Parameters<typeof submit>[0] & { type: 'Batch' } = {
    type: 'Batch',
    accountId: MAKER_ID,
    mode: 'best_effort',
    instructions: [
      ...quoted.map((orderId) => ({ kind: 'cancel' as const, marketId: MARKET_ID, orderId })),
      ...[0, 1, 2].flatMap((runnerIndex) => {
        const centre = centreTicks + runnerIndex * 20 + ((quoteRound + runnerIndex) % 5) - 2;
        return [
          { kind: 'place' as const, clientOrderId: `q${quoteRound}-${runnerIndex}-b`, marketId: MARKET_ID, runnerIndex, side: 'back' as const, priceTicks: centre + 1, stakeMinor: 50_00 },
          { kind: 'place' as const, clientOrderId: `q${quoteRound}-${runnerIndex}-l`, marketId: MARKET_ID, runnerIndex, side: 'lay' as const, priceTicks: centre - 1, stakeMinor: 50_00 },
        ];
      }),
    ],
  };
  quoted.length = 0;
  for (const event of submit(instructions)) {
    if (event.type === 'OrderAccepted') quoted.push(event.orderId);
  }
}

function status(): unknown {
  const market = core.market(MARKET_ID);
  return {
    seq,
    commandsApplied,
    fillsSeen,
    stateHash: core.stateHash(),
    market,
    runners: [0, 1, 2].map((runnerIndex) => ({
      runnerIndex,
      bestBack: core.bookSide(MARKET_ID, runnerIndex, 'back')[0] ?? null,
      bestLay: core.bookSide(MARKET_ID, runnerIndex, 'lay')[0] ?? null,
    })),
    accounts: core.accounts(),
  };
}

seedDemo();
requote();
const timer = setInterval(() => {
  submit({ type: 'Clock' });
  requote();
}, 1000);

const server = createServer((request, response) => {
  if (request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    return;
  }
  if (request.url === '/' || request.url === '/status') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status(), null, 2));
    return;
  }
  response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
});

server.listen(portHttp, '127.0.0.1', () => {
  console.log(`READY engine=http://127.0.0.1:${portHttp}/status`);
});

function shutdown(): void {
  clearInterval(timer);
  server.close(() => process.exit(0));
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
