// A small given/when/then harness over any ExchangeModel. It stamps envelopes (seq 1, 2, 3, ...;
// a timestamp that only moves when a test moves it), keeps the events of the last command (the
// "when") and of the whole run, and offers short helpers for the common setup steps.
//
//   const h = new Harness(new ExchangeCore());
//   h.openFundedAccount(1, 100_00);                       // given
//   h.createMarket(7);
//   const lay = h.lay(2, '2.0', 10_00).orderId;
//   h.back(1, '2.0', 4_00);                               // when
//   expect(h.events('OrderMatched')).toHaveLength(1);     // then

import {
  STANDARD_LADDER,
  tickOfDecimalOdds,
  type AccountId,
  type AccountLimits,
  type Command,
  type DeadHeat,
  type EngineEvent,
  type EngineEventType,
  type Instruction,
  type MarketId,
  type OrderId,
  type Persistence,
  type PlaceInstruction,
  type RejectCode,
  type RunnerIndex,
  type SelfTradePrevention,
  type Side,
  type TimeInForce,
} from '@playchacha/protocol';
import type { AccountView, ExchangeModel, LevelView, MarketTradedView, MarketView, OrderView } from '../core/model.js';

export type ModelFactory = () => ExchangeModel;
export type EventOf<T extends EngineEventType> = Extract<EngineEvent, { readonly type: T }>;

/** The default market of the order helpers. */
export const MARKET_ID: MarketId = 1;
/** The timestamp of the first command. */
export const START_MS = 1_700_000_000_000;

/** The tick of decimal odds written as text on the standard ladder ('2.5' → 124). */
export function tick(oddsText: string): number {
  const priceTicks = tickOfDecimalOdds(STANDARD_LADDER, oddsText);
  if (priceTicks < 0) throw new Error(`${oddsText} is not on the standard ladder`);
  return priceTicks;
}

export interface OrderOptions {
  readonly marketId?: MarketId;
  readonly runnerIndex?: RunnerIndex;
  readonly clientOrderId?: string;
  readonly persistence?: Persistence;
  readonly timeInForce?: TimeInForce;
  readonly minFillMinor?: number;
  readonly postOnly?: boolean;
  readonly selfTrade?: SelfTradePrevention;
}

export interface MarketOptions {
  readonly runnerCount?: number;
  readonly ladderId?: string;
  readonly minStakeMinor?: number;
  readonly commissionBps?: number;
  readonly numberOfWinners?: number;
  readonly persistenceAllowed?: boolean;
}

let clientOrderIdCounter = 0;
function nextClientOrderId(): string {
  clientOrderIdCounter += 1;
  return `c${clientOrderIdCounter}`;
}

/** A place instruction for a batch. */
export function placeInstruction(
  side: Side,
  oddsText: string,
  stakeMinor: number,
  options: OrderOptions = {},
): PlaceInstruction {
  const { marketId = MARKET_ID, runnerIndex = 0, clientOrderId = nextClientOrderId(), ...rest } = options;
  return { kind: 'place', clientOrderId, marketId, runnerIndex, side, priceTicks: tick(oddsText), stakeMinor, ...rest };
}

/** A cancel instruction for a batch (a reduction when reduceByMinor is given). */
export function cancelInstruction(orderId: OrderId, reduceByMinor?: number, marketId: MarketId = MARKET_ID): Instruction {
  return reduceByMinor === undefined
    ? { kind: 'cancel', marketId, orderId }
    : { kind: 'cancel', marketId, orderId, reduceByMinor };
}

export interface Fill {
  readonly priceTicks: number;
  readonly stakeMinor: number;
  readonly liabilityMinor: number;
  readonly backOrderId: OrderId;
  readonly layOrderId: OrderId;
}

/** The events of one command, with the id of the order it accepted (place, replace). */
export class PlaceResult {
  constructor(readonly events: readonly EngineEvent[]) {}

  get accepted(): boolean {
    return this.events.some((e) => e.type === 'OrderAccepted');
  }

  /** The id of the accepted order; throws when the command accepted none. */
  get orderId(): OrderId {
    const accepted = this.events.find((e): e is EventOf<'OrderAccepted'> => e.type === 'OrderAccepted');
    if (accepted === undefined) throw new Error(`no order was accepted: ${JSON.stringify(this.events)}`);
    return accepted.orderId;
  }
}

export class Harness {
  private seq = 0;
  /** The timestamp of the next command. */
  nowMs = START_MS;
  /** The events of the last command. */
  last: readonly EngineEvent[] = [];
  /** Every event since the harness was made. */
  readonly log: EngineEvent[] = [];
  /** Every market a command tried to create. */
  private readonly marketIds = new Set<MarketId>();

  constructor(readonly model: ExchangeModel) {}

  /** The seq of the last envelope applied. */
  get lastSeq(): number {
    return this.seq;
  }

  // ---- time ----------------------------------------------------------------------------------

  at(timestampMs: number): this {
    this.nowMs = timestampMs;
    return this;
  }

  advance(ms: number): this {
    this.nowMs += ms;
    return this;
  }

  // ---- applying commands ---------------------------------------------------------------------

  /** Applies one command in the next envelope and returns its events. */
  apply(command: Command): readonly EngineEvent[] {
    this.seq += 1;
    if (command.type === 'CreateMarket') this.marketIds.add(command.marketId);
    this.last = this.model.apply({ seq: this.seq, timestampMs: this.nowMs, command });
    this.log.push(...this.last);
    return this.last;
  }

  /** The command under test. */
  when(command: Command): readonly EngineEvent[] {
    return this.apply(command);
  }

  /** Setup commands; each one must be accepted. */
  given(...commands: Command[]): this {
    for (const command of commands) this.applyAccepted(command);
    return this;
  }

  private applyAccepted(command: Command): readonly EngineEvent[] {
    const events = this.apply(command);
    const codes = this.rejectCodes();
    if (codes.length > 0 || events.some((e) => e.type === 'OrderDuplicate')) {
      throw new Error(`setup command ${command.type} was rejected: ${JSON.stringify(events)}`);
    }
    return events;
  }

  // ---- setup helpers -------------------------------------------------------------------------

  openAccount(accountId: AccountId, limits?: AccountLimits): this {
    this.applyAccepted(limits === undefined ? { type: 'OpenAccount', accountId } : { type: 'OpenAccount', accountId, limits });
    return this;
  }

  openFundedAccount(accountId: AccountId, amountMinor: number, limits?: AccountLimits): this {
    this.openAccount(accountId, limits);
    this.applyAccepted({ type: 'Deposit', accountId, transferId: `open-${accountId}`, amountMinor });
    return this;
  }

  createMarket(marketId: MarketId = MARKET_ID, options: MarketOptions = {}): this {
    this.applyAccepted({ type: 'CreateMarket', marketId, runnerCount: 2, ...options });
    return this;
  }

  // ---- account commands ----------------------------------------------------------------------

  deposit(accountId: AccountId, amountMinor: number, transferId = `d${this.seq + 1}`): readonly EngineEvent[] {
    return this.apply({ type: 'Deposit', accountId, transferId, amountMinor });
  }

  withdraw(accountId: AccountId, amountMinor: number, transferId = `w${this.seq + 1}`): readonly EngineEvent[] {
    return this.apply({ type: 'Withdraw', accountId, transferId, amountMinor });
  }

  // ---- order commands ------------------------------------------------------------------------

  place(accountId: AccountId, side: Side, oddsText: string, stakeMinor: number, options: OrderOptions = {}): PlaceResult {
    const { kind: _kind, ...instruction } = placeInstruction(side, oddsText, stakeMinor, options);
    return new PlaceResult(this.apply({ type: 'PlaceOrder', accountId, ...instruction }));
  }

  back(accountId: AccountId, oddsText: string, stakeMinor: number, options: OrderOptions = {}): PlaceResult {
    return this.place(accountId, 'back', oddsText, stakeMinor, options);
  }

  lay(accountId: AccountId, oddsText: string, stakeMinor: number, options: OrderOptions = {}): PlaceResult {
    return this.place(accountId, 'lay', oddsText, stakeMinor, options);
  }

  cancel(accountId: AccountId, orderId: OrderId, reduceByMinor?: number, marketId: MarketId = MARKET_ID): readonly EngineEvent[] {
    return this.apply(
      reduceByMinor === undefined
        ? { type: 'CancelOrder', accountId, marketId, orderId }
        : { type: 'CancelOrder', accountId, marketId, orderId, reduceByMinor },
    );
  }

  replace(
    accountId: AccountId,
    orderId: OrderId,
    oddsText: string,
    clientOrderId = nextClientOrderId(),
    marketId: MarketId = MARKET_ID,
  ): PlaceResult {
    return new PlaceResult(
      this.apply({ type: 'ReplaceOrder', accountId, marketId, orderId, clientOrderId, priceTicks: tick(oddsText) }),
    );
  }

  batch(accountId: AccountId, mode: 'all_or_none' | 'best_effort', instructions: readonly Instruction[]): readonly EngineEvent[] {
    return this.apply({ type: 'Batch', accountId, mode, instructions });
  }

  // ---- market commands -----------------------------------------------------------------------

  suspend(marketId: MarketId = MARKET_ID): readonly EngineEvent[] {
    return this.apply({ type: 'SuspendMarket', marketId });
  }

  resume(marketId: MarketId = MARKET_ID): readonly EngineEvent[] {
    return this.apply({ type: 'ResumeMarket', marketId });
  }

  turnInPlay(marketId: MarketId = MARKET_ID, betDelayMs = 0): readonly EngineEvent[] {
    return this.apply({ type: 'TurnInPlay', marketId, betDelayMs });
  }

  closeMarket(marketId: MarketId = MARKET_ID): readonly EngineEvent[] {
    return this.apply({ type: 'CloseMarket', marketId });
  }

  settle(winners: readonly DeadHeat[], marketId: MarketId = MARKET_ID): readonly EngineEvent[] {
    return this.apply({ type: 'SettleMarket', marketId, winners });
  }

  /** Closes the market and settles it with outright winners. */
  closeAndSettle(winnerRunners: readonly RunnerIndex[], marketId: MarketId = MARKET_ID): readonly EngineEvent[] {
    this.given({ type: 'CloseMarket', marketId });
    return this.settle(winnerRunners.map((runnerIndex) => ({ runnerIndex, factorNumerator: 1, factorDenominator: 1 })), marketId);
  }

  voidMarket(marketId: MarketId = MARKET_ID, reason = 'abandoned'): readonly EngineEvent[] {
    return this.apply({ type: 'VoidMarket', marketId, reason });
  }

  /** Replaces a settled or void market's result: new winners, or null to void it. */
  resettle(winners: readonly DeadHeat[] | null, marketId: MarketId = MARKET_ID, reason = 'result corrected'): readonly EngineEvent[] {
    return this.apply({ type: 'ResettleMarket', marketId, winners, reason });
  }

  clock(): readonly EngineEvent[] {
    return this.apply({ type: 'Clock' });
  }

  // ---- reading the result --------------------------------------------------------------------

  /** The events of the last command of one type, in order. */
  events<T extends EngineEventType>(type: T): EventOf<T>[] {
    return this.last.filter((e): e is EventOf<T> => e.type === type);
  }

  /** Every event of one type since the harness was made. */
  logged<T extends EngineEventType>(type: T): EventOf<T>[] {
    return this.log.filter((e): e is EventOf<T> => e.type === type);
  }

  /** The reject codes (OrderRejected, CommandRejected) of the last command, in order. */
  rejectCodes(): RejectCode[] {
    const codes: RejectCode[] = [];
    for (const e of this.last) {
      if (e.type === 'OrderRejected' || e.type === 'CommandRejected') codes.push(e.code);
    }
    return codes;
  }

  /** The first reject code of the last command, or undefined when nothing was rejected. */
  rejectCode(): RejectCode | undefined {
    return this.rejectCodes()[0];
  }

  /** The matches of the last command, in order, reduced to what a test usually checks. */
  fills(): Fill[] {
    return this.events('OrderMatched').map((e) => ({
      priceTicks: e.priceTicks,
      stakeMinor: e.stakeMinor,
      liabilityMinor: e.liabilityMinor,
      backOrderId: e.backOrderId,
      layOrderId: e.layOrderId,
    }));
  }

  /** The OrderClosed event of one order in the last command. */
  closed(orderId: OrderId): EventOf<'OrderClosed'> | undefined {
    return this.events('OrderClosed').find((e) => e.orderId === orderId);
  }

  account(accountId: AccountId): AccountView {
    const view = this.model.account(accountId);
    if (view === undefined) throw new Error(`no account ${accountId}`);
    return view;
  }

  balance(accountId: AccountId): number {
    return this.account(accountId).balanceMinor;
  }

  exposure(accountId: AccountId): number {
    return this.account(accountId).exposureMinor;
  }

  available(accountId: AccountId): number {
    return this.account(accountId).availableMinor;
  }

  market(marketId: MarketId = MARKET_ID): MarketView {
    const view = this.model.market(marketId);
    if (view === undefined) throw new Error(`no market ${marketId}`);
    return view;
  }

  bookSide(side: Side, runnerIndex: RunnerIndex = 0, marketId: MarketId = MARKET_ID): LevelView[] {
    return this.model.bookSide(marketId, runnerIndex, side);
  }

  traded(marketId: MarketId = MARKET_ID): MarketTradedView {
    const view = this.model.traded(marketId);
    if (view === undefined) throw new Error(`no market ${marketId}`);
    return view;
  }

  /** A side of a book as [odds tick, order ids] pairs, best first. */
  queues(side: Side, runnerIndex: RunnerIndex = 0, marketId: MarketId = MARKET_ID): Array<[number, OrderId[]]> {
    return this.bookSide(side, runnerIndex, marketId).map((level) => [level.priceTicks, [...level.orderIds]]);
  }

  openOrder(orderId: OrderId): OrderView | undefined {
    return this.model.openOrders().find((o) => o.orderId === orderId);
  }

  openOrderIds(): OrderId[] {
    return this.model.openOrders().map((o) => o.orderId);
  }

  /** Balances, exposures, open orders, books, traded figures and market states: what a rejected command leaves unchanged. */
  snapshot(): unknown {
    const views = [...this.marketIds].map((marketId) => this.model.market(marketId));
    const markets = views.filter((view) => view !== undefined).map((view) => {
      // The market's sequence number moves with every market event, so it is left out.
      const { seq: _seq, ...state } = view;
      const books: LevelView[][] = [];
      for (let runnerIndex = 0; runnerIndex < view.runnerCount; runnerIndex += 1) {
        books.push(this.model.bookSide(view.marketId, runnerIndex, 'back'), this.model.bookSide(view.marketId, runnerIndex, 'lay'));
      }
      return { state, books, traded: this.model.traded(view.marketId) };
    });
    return { accounts: this.model.accounts(), openOrders: this.model.openOrders(), markets };
  }
}
