// A demo market and a market maker that requotes it, so a newcomer running the embedded default
// sees a live book. It is a client like any other: it only submits commands. Given a list of more
// markets with a fair price per runner (the gateway's catalog), it quotes those too: a back one tick
// above and a lay one tick below each fair price, requoting a few markets each round.

import { STANDARD_LADDER, liabilityMinor, tickOfDecimalOdds, type Command, type EngineEvent, type Instruction, type MarketId } from '@playchacha/protocol';

const MARKET_ID = 1;
const MAKER_ID = 1;
const BETTOR_ID = 2;
const RUNNERS = 3;

/** A market to quote: the ladder tick of each runner's fair price. */
export interface DemoQuote {
  readonly marketId: MarketId;
  readonly fairTicks: readonly number[];
}

export interface DemoMarketMakerOptions {
  /** More markets to quote, read at each round. */
  readonly markets?: () => readonly DemoQuote[];
  /** Each market is requoted once every this many rounds. */
  readonly roundsPerRequote?: number;
  /** The largest stake of one quote, and the largest liability of one lay quote. */
  readonly stakeMinor?: number;
  readonly layLiabilityMinorMax?: number;
}

export class DemoMarketMaker {
  private round = 0;
  private quoted: number[] = [];
  private readonly quotedByMarket = new Map<MarketId, number[]>();
  private timer: NodeJS.Timeout | null = null;
  private readonly centreTicks = tickOfDecimalOdds(STANDARD_LADDER, '2.5');

  constructor(
    private readonly submit: (command: Command) => Promise<readonly EngineEvent[]>,
    private readonly options: DemoMarketMakerOptions = {},
  ) {}

  /** Opens the demo accounts and market unless they exist, then requotes every `everyMs`. */
  async start(everyMs: number, alreadySeeded: boolean): Promise<void> {
    if (!alreadySeeded) {
      await this.submit({ type: 'OpenAccount', accountId: MAKER_ID });
      await this.submit({ type: 'OpenAccount', accountId: BETTOR_ID });
      await this.submit({ type: 'Deposit', accountId: MAKER_ID, transferId: 'demo-maker', amountMinor: 100_000_00 });
      await this.submit({ type: 'Deposit', accountId: BETTOR_ID, transferId: 'demo-bettor', amountMinor: 1_000_00 });
      await this.submit({ type: 'CreateMarket', marketId: MARKET_ID, runnerCount: RUNNERS });
    }
    if (this.options.markets !== undefined) {
      // Enough to quote a few hundred markets; a repeat of the transfer id changes nothing.
      await this.submit({ type: 'Deposit', accountId: MAKER_ID, transferId: 'demo-maker-catalog', amountMinor: 10_000_000_00 });
    }
    await this.submit({ type: 'MassCancel', accountId: MAKER_ID });
    await this.requote();
    this.timer = setInterval(() => void this.requote().catch(() => undefined), everyMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }

  private async requote(): Promise<void> {
    this.round++;
    const round = this.round;
    const instructions: Instruction[] = this.quoted.map((orderId) => ({ kind: 'cancel', marketId: MARKET_ID, orderId }));
    for (let runnerIndex = 0; runnerIndex < RUNNERS; runnerIndex++) {
      const centre = this.centreTicks + runnerIndex * 20 + ((round + runnerIndex) % 5) - 2;
      instructions.push(
        { kind: 'place', clientOrderId: `demo-${Date.now()}-${round}-${runnerIndex}-b`, marketId: MARKET_ID, runnerIndex, side: 'back', priceTicks: centre + 1, stakeMinor: 50_00 },
        { kind: 'place', clientOrderId: `demo-${Date.now()}-${round}-${runnerIndex}-l`, marketId: MARKET_ID, runnerIndex, side: 'lay', priceTicks: centre - 1, stakeMinor: 50_00 },
      );
    }
    const events = await this.submit({ type: 'Batch', accountId: MAKER_ID, mode: 'best_effort', instructions });
    this.quoted = events.flatMap((event) => (event.type === 'OrderAccepted' ? [event.orderId] : []));
    await this.requoteMarkets(round);
  }

  private async requoteMarkets(round: number): Promise<void> {
    const markets = this.options.markets?.() ?? [];
    const every = this.options.roundsPerRequote ?? 10;
    const stakeMax = this.options.stakeMinor ?? 40_00;
    const liabilityMax = this.options.layLiabilityMinorMax ?? 100_00;
    const live = new Set(markets.map((market) => market.marketId));
    for (const marketId of [...this.quotedByMarket.keys()]) if (!live.has(marketId)) this.quotedByMarket.delete(marketId);
    const lastTick = STANDARD_LADDER.pricesX100.length - 1;
    for (const [index, market] of markets.entries()) {
      if (this.quotedByMarket.has(market.marketId) && (index + round) % every !== 0) continue;
      const instructions: Instruction[] = (this.quotedByMarket.get(market.marketId) ?? []).map((orderId) => ({ kind: 'cancel', marketId: market.marketId, orderId }));
      market.fairTicks.forEach((fair, runnerIndex) => {
        const wiggle = ((round + runnerIndex + index) % 3) - 1;
        const back = Math.min(lastTick, Math.max(1, fair + wiggle) + 1);
        const lay = Math.max(0, back - 2);
        const layPriceX100 = STANDARD_LADDER.pricesX100[lay] as number;
        // Lay stakes shrink at long odds so that each lay risks at most liabilityMax.
        let layStake = stakeMax;
        while (layStake > 1_00 && liabilityMinor(layStake, layPriceX100) > liabilityMax) layStake = Math.floor(layStake / 2);
        const id = `q${Date.now().toString(36)}-${market.marketId}-${runnerIndex}`;
        instructions.push(
          { kind: 'place', clientOrderId: `${id}-b`, marketId: market.marketId, runnerIndex, side: 'back', priceTicks: back, stakeMinor: stakeMax, persistence: 'persist' },
          { kind: 'place', clientOrderId: `${id}-l`, marketId: market.marketId, runnerIndex, side: 'lay', priceTicks: lay, stakeMinor: layStake, persistence: 'persist' },
        );
      });
      const events = await this.submit({ type: 'Batch', accountId: MAKER_ID, mode: 'best_effort', instructions });
      this.quotedByMarket.set(market.marketId, events.flatMap((event) => (event.type === 'OrderAccepted' ? [event.orderId] : [])));
    }
  }
}
