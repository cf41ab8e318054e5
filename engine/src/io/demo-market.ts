// A demo market and a market maker that requotes it, so a newcomer running the embedded default
// sees a live book. It is a client like any other: it only submits commands.

import { STANDARD_LADDER, tickOfDecimalOdds, type Command, type EngineEvent, type Instruction } from '@playchacha/protocol';

const MARKET_ID = 1;
const MAKER_ID = 1;
const BETTOR_ID = 2;
const RUNNERS = 3;

export class DemoMarketMaker {
  private round = 0;
  private quoted: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly centreTicks = tickOfDecimalOdds(STANDARD_LADDER, '2.5');

  constructor(private readonly submit: (command: Command) => Promise<readonly EngineEvent[]>) {}

  /** Opens the demo accounts and market unless they exist, then requotes every `everyMs`. */
  async start(everyMs: number, alreadySeeded: boolean): Promise<void> {
    if (!alreadySeeded) {
      await this.submit({ type: 'OpenAccount', accountId: MAKER_ID });
      await this.submit({ type: 'OpenAccount', accountId: BETTOR_ID });
      await this.submit({ type: 'Deposit', accountId: MAKER_ID, transferId: 'demo-maker', amountMinor: 100_000_00 });
      await this.submit({ type: 'Deposit', accountId: BETTOR_ID, transferId: 'demo-bettor', amountMinor: 1_000_00 });
      await this.submit({ type: 'CreateMarket', marketId: MARKET_ID, runnerCount: RUNNERS });
    }
    await this.submit({ type: 'MassCancel', accountId: MAKER_ID, marketId: MARKET_ID });
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
  }
}
