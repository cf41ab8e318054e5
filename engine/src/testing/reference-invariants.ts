// Invariant checks that read only a model's public views and the events it emitted, so they apply
// to any ExchangeModel and share no code with the implementation they check. The exposure is
// recomputed here by enumerating outcomes (every single winner, or every set of winners on a
// market with several) instead of through the closed formula the models use.

import {
  isTick,
  ladderById,
  liabilityMinor,
  mulDivFloor,
  priceX100OfTick,
  type AccountId,
  type EngineEvent,
  type Ladder,
  type MarketId,
  type OrderId,
} from '@playchacha/protocol';
import type { ExchangeModel, OrderView } from '../core/model.js';

type EventOf<T extends EngineEvent['type']> = Extract<EngineEvent, { readonly type: T }>;

export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}

const ACCOUNT_EVENT_TYPES: ReadonlySet<string> = new Set([
  'AccountOpened',
  'FundsDeposited',
  'FundsWithdrawn',
  'AccountLimitsSet',
  'AccountStatusSet',
  'OrderRejected',
  'AccountUpdated',
  'AccountSettled',
  'AccountResettled',
]);

interface MarketFacts {
  readonly runnerCount: number;
  readonly ladder: Ladder;
  readonly numberOfWinners: number;
  readonly commissionBps: number;
}

/**
 * Follows a model's event stream: sequence numbers, the life of every order, fills, transfers.
 * record() throws on an event that breaks a rule of the stream itself.
 */
export class EventLedger {
  depositedMinor = 0;
  withdrawnMinor = 0;
  readonly markets = new Map<MarketId, MarketFacts>();
  readonly fills: EventOf<'OrderMatched'>[] = [];
  /** Accounts a resettlement took money from: the only ones whose available may be below zero. */
  readonly clawedBack = new Set<AccountId>();
  private readonly marketSeq = new Map<MarketId, number>();
  private readonly accountSeq = new Map<AccountId, number>();
  private readonly openOrderIds = new Set<OrderId>();
  private readonly closedOrderIds = new Set<OrderId>();
  private lastFillId = 0;
  private lastOrderId = 0;

  /** Order ids accepted and not yet closed. */
  openIds(): OrderId[] {
    return [...this.openOrderIds].sort((a, b) => a - b);
  }

  record(events: readonly EngineEvent[]): void {
    for (const event of events) this.recordOne(event);
  }

  private recordOne(event: EngineEvent): void {
    if (event.type === 'CommandRejected' || event.type === 'OrderDuplicate') return;
    if (ACCOUNT_EVENT_TYPES.has(event.type)) {
      this.recordAccountEvent(event as Extract<EngineEvent, { accountId: AccountId; seq: number }>);
    } else {
      this.recordMarketEvent(event as Extract<EngineEvent, { marketId: MarketId; seq: number }>);
    }
  }

  private recordMarketEvent(event: Extract<EngineEvent, { marketId: MarketId; seq: number }>): void {
    const previous = this.marketSeq.get(event.marketId);
    if (event.type === 'MarketCreated') {
      check(previous === undefined, `market ${event.marketId} created twice`);
      const ladder = ladderById(event.ladderId);
      check(ladder !== undefined, `market ${event.marketId} has an unknown ladder`);
      this.markets.set(event.marketId, {
        runnerCount: event.runnerCount,
        ladder,
        numberOfWinners: event.numberOfWinners,
        commissionBps: event.commissionBps,
      });
    }
    check(event.seq === (previous ?? 0) + 1, `market ${event.marketId}: seq ${event.seq} after ${previous ?? 0} (${event.type})`);
    this.marketSeq.set(event.marketId, event.seq);
    const market = this.markets.get(event.marketId);
    check(market !== undefined, `event ${event.type} on an unknown market ${event.marketId}`);
    switch (event.type) {
      case 'OrderAccepted':
        check(event.orderId > this.lastOrderId, `order id ${event.orderId} not above ${this.lastOrderId}`);
        this.lastOrderId = event.orderId;
        this.openOrderIds.add(event.orderId);
        break;
      case 'OrderClosed':
        check(this.openOrderIds.has(event.orderId), `OrderClosed for order ${event.orderId}, which is not open`);
        check(!this.closedOrderIds.has(event.orderId), `order ${event.orderId} closed twice`);
        check(event.sizeMinor === event.matchedMinor + event.cancelledMinor, `order ${event.orderId}: size ≠ matched + cancelled`);
        this.openOrderIds.delete(event.orderId);
        this.closedOrderIds.add(event.orderId);
        break;
      case 'OrderMatched': {
        check(event.fillId === this.lastFillId + 1, `fill id ${event.fillId} after ${this.lastFillId}`);
        this.lastFillId = event.fillId;
        check(this.openOrderIds.has(event.backOrderId) && this.openOrderIds.has(event.layOrderId), `fill ${event.fillId} of a closed order`);
        check(event.backAccountId !== event.layAccountId, `fill ${event.fillId} is a self-trade`);
        check(event.stakeMinor > 0, `fill ${event.fillId} has no stake`);
        check(isTick(market.ladder, event.priceTicks), `fill ${event.fillId} is off the ladder`);
        const expected = liabilityMinor(event.stakeMinor, priceX100OfTick(market.ladder, event.priceTicks));
        check(event.liabilityMinor === expected, `fill ${event.fillId}: liability ${event.liabilityMinor} ≠ ${expected}`);
        this.fills.push(event);
        break;
      }
      case 'OrderReduced':
      case 'OrderDelayed':
        check(this.openOrderIds.has(event.orderId), `${event.type} for order ${event.orderId}, which is not open`);
        break;
      default:
        break;
    }
  }

  private recordAccountEvent(event: Extract<EngineEvent, { accountId: AccountId; seq: number }>): void {
    const previous = this.accountSeq.get(event.accountId);
    if (event.type === 'OrderRejected' && event.seq === 0) {
      // An instruction for an account that has no stream.
      check(previous === undefined, `account ${event.accountId}: OrderRejected with seq 0 on an existing stream`);
      return;
    }
    if (event.type === 'AccountOpened') check(previous === undefined, `account ${event.accountId} opened twice`);
    check(event.seq === (previous ?? 0) + 1, `account ${event.accountId}: seq ${event.seq} after ${previous ?? 0} (${event.type})`);
    this.accountSeq.set(event.accountId, event.seq);
    if (event.type === 'FundsDeposited') this.depositedMinor += event.amountMinor;
    if (event.type === 'FundsWithdrawn') this.withdrawnMinor += event.amountMinor;
    if (event.type === 'AccountResettled' && event.changeMinor < 0) this.clawedBack.add(event.accountId);
  }
}

/** Checks the settlement and resettlement events of one command: commission, rounding and changes. */
export function checkSettlementEvents(events: readonly EngineEvent[], ledger: EventLedger): void {
  checkResettlementEvents(events, ledger);
  const settled = events.filter((e): e is EventOf<'AccountSettled'> => e.type === 'AccountSettled');
  if (settled.length === 0) return;
  const marketId = settled[0]?.marketId ?? 0;
  const market = ledger.markets.get(marketId);
  check(market !== undefined, `AccountSettled on unknown market ${marketId}`);
  let sum = 0;
  for (const e of settled) {
    check(e.marketId === marketId, 'one command settled two markets');
    const expected = e.pnlMinor > 0 ? mulDivFloor(e.pnlMinor, market.commissionBps, 10_000) : 0;
    check(e.commissionMinor === expected, `account ${e.accountId}: commission ${e.commissionMinor} ≠ ${expected}`);
    sum += e.pnlMinor;
  }
  // Each account's result is rounded down once, so the results sum to zero or just below.
  check(sum <= 0 && sum > -settled.length - 1, `settlement results sum to ${sum} over ${settled.length} accounts`);
}

function checkResettlementEvents(events: readonly EngineEvent[], ledger: EventLedger): void {
  const resettled = events.filter((e): e is EventOf<'AccountResettled'> => e.type === 'AccountResettled');
  const market = events.find((e): e is EventOf<'MarketResettled'> => e.type === 'MarketResettled');
  if (market === undefined) {
    check(resettled.length === 0, 'AccountResettled without MarketResettled');
    return;
  }
  const facts = ledger.markets.get(market.marketId);
  check(facts !== undefined, `MarketResettled on unknown market ${market.marketId}`);
  check(market.outcome === (market.winners === null ? 'voided' : 'settled'), `market ${market.marketId}: outcome ${market.outcome} with winners ${JSON.stringify(market.winners)}`);
  let pnlSum = 0;
  let changeSum = 0;
  let houseChange: number | null = null;
  for (const e of resettled) {
    check(e.marketId === market.marketId, 'one command resettled two markets');
    if (e.accountId === 0) {
      houseChange = e.changeMinor;
      continue;
    }
    const commission = (pnl: number): number => (pnl > 0 ? mulDivFloor(pnl, facts.commissionBps, 10_000) : 0);
    check(e.commissionMinor === commission(e.pnlMinor), `account ${e.accountId}: commission ${e.commissionMinor} on ${e.pnlMinor}`);
    check(e.previousCommissionMinor === commission(e.previousPnlMinor), `account ${e.accountId}: previous commission ${e.previousCommissionMinor}`);
    check(
      e.changeMinor === e.pnlMinor - e.commissionMinor - (e.previousPnlMinor - e.previousCommissionMinor),
      `account ${e.accountId}: change ${e.changeMinor} is not the new result less the old`,
    );
    if (market.winners === null) check(e.pnlMinor === 0 && e.commissionMinor === 0, `account ${e.accountId} has a result on a void market`);
    if (market.previousOutcome === 'voided') check(e.previousPnlMinor === 0, `account ${e.accountId} had a result on a void market`);
    pnlSum += e.pnlMinor;
    changeSum += e.changeMinor;
  }
  check(pnlSum <= 0, `resettled results sum to ${pnlSum}`);
  if (houseChange !== null) check(houseChange === -changeSum, `house change ${houseChange} ≠ −${changeSum}`);
}

function outcomes(runnerCount: number, numberOfWinners: number): boolean[][] {
  if (numberOfWinners === 1) {
    return Array.from({ length: runnerCount }, (_, j) => Array.from({ length: runnerCount }, (_, i) => i === j));
  }
  // Σ_i min(...) treats the runners independently: every set of winners.
  const all: boolean[][] = [];
  for (let mask = 0; mask < 1 << runnerCount; mask += 1) {
    all.push(Array.from({ length: runnerCount }, (_, i) => (mask & (1 << i)) !== 0));
  }
  return all;
}

/** The exposure of an account on a market, by enumerating outcomes. */
export function exposureByOutcomes(
  accountId: AccountId,
  marketId: MarketId,
  market: MarketFacts,
  fills: readonly EventOf<'OrderMatched'>[],
  openOrders: readonly OrderView[],
): number {
  let worst = Number.POSITIVE_INFINITY;
  for (const wins of outcomes(market.runnerCount, market.numberOfWinners)) {
    let result = 0;
    for (const f of fills) {
      const won = wins[f.runnerIndex] === true;
      if (f.backAccountId === accountId) result += won ? f.liabilityMinor : -f.stakeMinor;
      if (f.layAccountId === accountId) result += won ? -f.liabilityMinor : f.stakeMinor;
    }
    for (const o of openOrders) {
      if (o.accountId !== accountId || o.marketId !== marketId) continue;
      const won = wins[o.runnerIndex] === true;
      // Assumed filled where it loses, unfilled where it wins.
      if (o.side === 'back' && !won) result -= o.remainingMinor;
      if (o.side === 'lay' && won) result -= liabilityMinor(o.remainingMinor, priceX100OfTick(market.ladder, o.priceTicks));
    }
    worst = Math.min(worst, result);
  }
  return worst >= 0 ? 0 : -worst;
}

/**
 * Checks a model against the invariants of ARCHITECTURE.md using only its views and the ledger of
 * its events. Throws InvariantViolation.
 */
export function checkModelInvariants(model: ExchangeModel, ledger: EventLedger): void {
  const openOrders = model.openOrders();
  const byId = new Map(openOrders.map((o) => [o.orderId, o]));

  // Orders.
  for (let i = 1; i < openOrders.length; i += 1) {
    check((openOrders[i - 1]?.orderId ?? 0) < (openOrders[i]?.orderId ?? 0), 'openOrders() not in ascending order id');
  }
  for (const o of openOrders) {
    check(o.sizeMinor === o.remainingMinor + o.matchedMinor + o.cancelledMinor, `order ${o.orderId}: size ≠ remaining + matched + cancelled`);
    check(o.remainingMinor > 0, `open order ${o.orderId} has nothing remaining`);
    check(o.matchedMinor >= 0 && o.cancelledMinor >= 0, `order ${o.orderId} has a negative amount`);
  }
  check(
    JSON.stringify(openOrders.map((o) => o.orderId)) === JSON.stringify(ledger.openIds()),
    `open orders ${JSON.stringify(openOrders.map((o) => o.orderId))} ≠ accepted and not closed ${JSON.stringify(ledger.openIds())}`,
  );

  // Books.
  const inBook = new Set<OrderId>();
  for (const [marketId, market] of ledger.markets) {
    const view = model.market(marketId);
    check(view !== undefined, `market ${marketId} is missing`);
    for (let runner = 0; runner < market.runnerCount; runner += 1) {
      const backs = model.bookSide(marketId, runner, 'back');
      const lays = model.bookSide(marketId, runner, 'lay');
      for (const [side, levels] of [['back', backs], ['lay', lays]] as const) {
        levels.forEach((level, i) => {
          check(isTick(market.ladder, level.priceTicks), `market ${marketId} runner ${runner}: ${side} price ${level.priceTicks} off the ladder`);
          const previous = levels[i - 1];
          if (previous !== undefined) {
            const ordered = side === 'back' ? previous.priceTicks < level.priceTicks : previous.priceTicks > level.priceTicks;
            check(ordered, `market ${marketId} runner ${runner}: ${side} levels not best first`);
          }
          check(level.orderIds.length > 0, `market ${marketId} runner ${runner}: empty ${side} level`);
          let total = 0;
          for (const orderId of level.orderIds) {
            const o = byId.get(orderId);
            check(o !== undefined, `book order ${orderId} is not open`);
            check(!o.delayed, `delayed order ${orderId} is in the book`);
            check(
              o.marketId === marketId && o.runnerIndex === runner && o.side === side && o.priceTicks === level.priceTicks,
              `order ${orderId} is in the wrong place in the book`,
            );
            check(!inBook.has(orderId), `order ${orderId} is in the book twice`);
            inBook.add(orderId);
            total += o.remainingMinor;
          }
          check(total === level.totalMinor, `market ${marketId} runner ${runner}: ${side} level total ${level.totalMinor} ≠ ${total}`);
        });
      }
      const lowestBack = backs[0];
      const highestLay = lays[0];
      if (lowestBack !== undefined && highestLay !== undefined) {
        check(lowestBack.priceTicks > highestLay.priceTicks, `market ${marketId} runner ${runner}: the book is crossed`);
      }
      if (view.status !== 'open' && view.status !== 'suspended') {
        check(backs.length === 0 && lays.length === 0, `market ${marketId} is ${view.status} but has a book`);
      }
    }
  }
  for (const o of openOrders) {
    check(o.delayed || inBook.has(o.orderId), `resting order ${o.orderId} is not in its book`);
  }

  // Money.
  const accounts = model.accounts();
  let balances = 0;
  for (const a of accounts) {
    balances += a.balanceMinor;
    check(a.balanceMinor === a.availableMinor + a.exposureMinor, `account ${a.accountId}: balance ≠ available + exposure`);
    check(a.availableMinor >= 0 || ledger.clawedBack.has(a.accountId), `account ${a.accountId}: available ${a.availableMinor} is negative`);
    check(a.exposureMinor >= 0, `account ${a.accountId}: exposure ${a.exposureMinor} is negative`);
    let exposure = 0;
    for (const [marketId, market] of ledger.markets) {
      const status = model.market(marketId)?.status;
      if (status === 'settled' || status === 'voided') continue;
      const fills = ledger.fills.filter((f) => f.marketId === marketId);
      exposure += exposureByOutcomes(a.accountId, marketId, market, fills, openOrders);
    }
    check(exposure === a.exposureMinor, `account ${a.accountId}: exposure ${a.exposureMinor}, by outcomes ${exposure}`);
  }
  check(accounts[0]?.accountId === 0, 'the house account is not listed first');
  const expected = ledger.depositedMinor - ledger.withdrawnMinor;
  check(balances === expected, `balances sum to ${balances}, deposits − withdrawals = ${expected}`);
}
