// An example market maker on the typed client: it quotes a back and a lay on every runner of one
// market around a centre price, requotes with one all-or-none batch per round (cancel the old
// quotes, place the new ones), follows its fills on the order stream, and opts in to
// cancel-on-disconnect so its quotes do not outlive its connection.
//
//   npx tsx gateway/src/examples/market-maker-bot.ts ws://127.0.0.1:9001/v1/ws <api-key> <marketId>

import WebSocket from 'ws';
import { STANDARD_LADDER, tickOfDecimalOdds, type MarketId, type OrderId } from '@playchacha/protocol';
import { WsClient, type MarketFeed, type WebSocketFactory } from '../ws-client.js';
import type { BatchInstruction, OrderUpdate } from '../ws-messages.js';

export interface BotOptions {
  readonly url: string;
  readonly apiKey: string;
  readonly marketId: MarketId;
  /** Decimal odds text of the centre price, e.g. "2.5". */
  readonly centreOdds?: string;
  /** Ticks between the centre and each quote. */
  readonly halfSpreadTicks?: number;
  readonly stakeMinor?: number;
  readonly requoteMs?: number;
  readonly cancelOnDisconnectMs?: number;
}

export class MarketMakerBot {
  rounds = 0;
  readonly fills: Array<Extract<OrderUpdate, { kind: 'matched' }>> = [];
  private quotes: OrderId[] = [];
  private timer: NodeJS.Timeout | null = null;
  private feed: MarketFeed | null = null;

  private constructor(
    readonly client: WsClient,
    private readonly options: BotOptions,
  ) {}

  static async start(options: BotOptions): Promise<MarketMakerBot> {
    const client = await WsClient.connect({
      url: options.url,
      apiKey: options.apiKey,
      encoding: 'msgpack',
      cancelOnDisconnectMs: options.cancelOnDisconnectMs ?? 2_000,
      WebSocket: WebSocket as unknown as WebSocketFactory,
    });
    const bot = new MarketMakerBot(client, options);
    client.onOrderUpdates((updates) => {
      for (const update of updates) if (update.kind === 'matched') bot.fills.push(update);
    });
    await client.subscribeOrders();
    bot.feed = await client.subscribeMarket(options.marketId);
    await bot.requote();
    bot.timer = setInterval(() => void bot.requote().catch(() => undefined), options.requoteMs ?? 1_000);
    return bot;
  }

  /** Cancels the last round's quotes and places new ones, all or none. */
  async requote(): Promise<void> {
    const { marketId } = this.options;
    const runnerCount = this.feed?.header?.runnerCount ?? 0;
    if (this.feed?.header?.status !== 'open') return;
    const centre = tickOfDecimalOdds(STANDARD_LADDER, this.options.centreOdds ?? '2.5');
    const half = this.options.halfSpreadTicks ?? 2;
    const stakeMinor = this.options.stakeMinor ?? 10_00;
    const round = ++this.rounds;
    const instructions: BatchInstruction[] = this.quotes.map((orderId) => ({ kind: 'cancel', marketId, orderId }));
    for (let runnerIndex = 0; runnerIndex < runnerCount; runnerIndex++) {
      // Leave room in the 200-instruction batch for the cancels.
      if (instructions.length + 2 > 200) break;
      const skew = (round + runnerIndex) % 3 - 1;
      instructions.push(
        { kind: 'place', clientOrderId: `${this.client.hello.sessionId.slice(0, 8)}-${round}-${runnerIndex}b`, marketId, runnerIndex, side: 'back', priceTicks: centre + half + skew, stakeMinor, postOnly: true },
        { kind: 'place', clientOrderId: `${this.client.hello.sessionId.slice(0, 8)}-${round}-${runnerIndex}l`, marketId, runnerIndex, side: 'lay', priceTicks: centre - half + skew, stakeMinor, postOnly: true },
      );
    }
    const reply = await this.client.batch('best_effort', instructions);
    const placed: OrderId[] = [];
    for (const result of reply.results) {
      if (result.status === 'accepted' && result.remainingMinor > 0) placed.push(result.orderId);
    }
    // Quotes whose cancel was rejected (already filled or closed) are simply forgotten.
    this.quotes = placed;
  }

  get openQuotes(): readonly OrderId[] {
    return this.quotes;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.client.close();
  }
}

const isMain = process.argv[1]?.endsWith('market-maker-bot.ts') === true;
if (isMain) {
  const [url, apiKey, marketId] = process.argv.slice(2);
  if (url === undefined || apiKey === undefined || marketId === undefined) {
    process.stderr.write('usage: market-maker-bot.ts <ws-url> <api-key> <marketId>\n');
    process.exit(2);
  }
  const bot = await MarketMakerBot.start({ url, apiKey, marketId: Number(marketId) });
  process.stdout.write(`quoting market ${marketId} as account ${bot.client.hello.accountId}\n`);
  process.on('SIGINT', () => {
    bot.stop();
    process.exit(0);
  });
}
