// Every account's open orders and its recently closed ones, kept in step with the engine frame by
// frame, and the order-stream updates each frame causes: accepted, delayed, matched (with the fill
// id and the running average price), reduced, closed (with its reason), the balance, and each
// resting order's volume ahead in its queue.

import { ladderById, priceX100OfTick, type AccountId, type EngineEvent, type MarketId, type OrderId } from '@playchacha/protocol';
import type { EngineView, EventFrame } from './engine-link.js';
import type { TouchedLevel } from './market-read-model.js';
import type { OrderState, OrderUpdate } from './ws-messages.js';

type MutableOrder = { -readonly [K in keyof OrderState]: OrderState[K] } & { accountId: AccountId; matchedX100Minor: number };

export class OrderReadModel {
  private readonly open = new Map<OrderId, MutableOrder>();
  private readonly openByAccount = new Map<AccountId, Set<OrderId>>();
  private readonly closedByAccount = new Map<AccountId, OrderState[]>();
  private readonly ladderOf = new Map<MarketId, string>();

  constructor(private readonly recentlyClosedMax = 100) {}

  init(view: EngineView): void {
    for (const marketId of view.marketIds()) {
      const market = view.market(marketId);
      if (market !== undefined) this.ladderOf.set(marketId, market.ladderId);
    }
    for (const order of view.openOrders()) {
      this.add({
        orderId: order.orderId,
        accountId: order.accountId,
        clientOrderId: null,
        marketId: order.marketId,
        runnerIndex: order.runnerIndex,
        side: order.side,
        priceTicks: order.priceTicks,
        sizeMinor: order.sizeMinor,
        remainingMinor: order.remainingMinor,
        matchedMinor: order.matchedMinor,
        cancelledMinor: order.cancelledMinor,
        averagePriceX100: null,
        matchedX100Minor: 0,
        volumeAheadMinor: null,
        delayed: order.delayed,
        persistence: null,
        timeInForce: null,
        closeReason: null,
      });
    }
    for (const marketId of view.marketIds()) {
      const market = view.market(marketId);
      for (let runnerIndex = 0; runnerIndex < (market?.runnerCount ?? 0); runnerIndex++) {
        for (const side of ['back', 'lay'] as const) {
          for (const level of view.bookSide(marketId, runnerIndex, side)) this.queue({ marketId, runnerIndex, side, level }, null);
        }
      }
    }
  }

  /** Applies one frame's events; returns the updates per account, in event order. */
  applyFrame(frame: EventFrame): Map<AccountId, OrderUpdate[]> {
    const updates = new Map<AccountId, OrderUpdate[]>();
    for (const entry of frame.entries) for (const event of entry.events) this.applyEvent(event, updates);
    return updates;
  }

  /** Recomputes the volume ahead of every order at each level whose queue changed. */
  applyQueues(touched: readonly TouchedLevel[], updates: Map<AccountId, OrderUpdate[]>): void {
    for (const level of touched) this.queue(level, updates);
  }

  image(accountId: AccountId): { open: OrderState[]; recentlyClosed: OrderState[] } {
    const ids = [...(this.openByAccount.get(accountId) ?? [])].sort((a, b) => a - b);
    return {
      open: ids.map((orderId) => publicState(this.open.get(orderId) as MutableOrder)),
      recentlyClosed: [...(this.closedByAccount.get(accountId) ?? [])],
    };
  }

  /** The account's open order with this id, or undefined (also when another account owns it). */
  openOrder(accountId: AccountId, orderId: OrderId): OrderState | undefined {
    const order = this.open.get(orderId);
    return order === undefined || order.accountId !== accountId ? undefined : publicState(order);
  }

  openOrderIds(accountId: AccountId): OrderId[] {
    return [...(this.openByAccount.get(accountId) ?? [])];
  }

  private queue(touched: TouchedLevel, updates: Map<AccountId, OrderUpdate[]> | null): void {
    let aheadMinor = 0;
    for (const orderId of touched.level.orderIds) {
      const order = this.open.get(orderId);
      if (order === undefined) continue;
      order.delayed = false;
      if (order.volumeAheadMinor !== aheadMinor) {
        order.volumeAheadMinor = aheadMinor;
        if (updates !== null) push(updates, order.accountId, { kind: 'queue', orderId, marketId: order.marketId, volumeAheadMinor: aheadMinor });
      }
      aheadMinor += order.remainingMinor;
    }
  }

  private applyEvent(event: EngineEvent, updates: Map<AccountId, OrderUpdate[]>): void {
    switch (event.type) {
      case 'MarketCreated':
        this.ladderOf.set(event.marketId, event.ladderId);
        return;
      case 'OrderAccepted': {
        const order: MutableOrder = {
          orderId: event.orderId,
          accountId: event.accountId,
          clientOrderId: event.clientOrderId,
          marketId: event.marketId,
          runnerIndex: event.runnerIndex,
          side: event.side,
          priceTicks: event.priceTicks,
          sizeMinor: event.stakeMinor,
          remainingMinor: event.stakeMinor,
          matchedMinor: 0,
          cancelledMinor: 0,
          averagePriceX100: null,
          matchedX100Minor: 0,
          volumeAheadMinor: null,
          delayed: false,
          persistence: event.persistence,
          timeInForce: event.timeInForce,
          closeReason: null,
        };
        this.add(order);
        push(updates, order.accountId, { kind: 'accepted', order: publicState(order) });
        return;
      }
      case 'OrderDelayed': {
        const order = this.open.get(event.orderId);
        if (order !== undefined) order.delayed = true;
        push(updates, event.accountId, { kind: 'delayed', orderId: event.orderId, marketId: event.marketId, releaseAtMs: event.releaseAtMs });
        return;
      }
      case 'OrderMatched': {
        const priceX100 = this.priceX100(event.marketId, event.priceTicks);
        const makerSide = event.takerSide === 'back' ? 'lay' : 'back';
        for (const side of ['back', 'lay'] as const) {
          const orderId = side === 'back' ? event.backOrderId : event.layOrderId;
          const order = this.open.get(orderId);
          if (order === undefined) continue;
          order.delayed = false;
          order.matchedMinor += event.stakeMinor;
          order.remainingMinor -= event.stakeMinor;
          order.matchedX100Minor += event.stakeMinor * priceX100;
          order.averagePriceX100 = Math.round((order.matchedX100Minor / order.matchedMinor) * 100) / 100;
          push(updates, order.accountId, {
            kind: 'matched',
            orderId,
            marketId: event.marketId,
            fillId: event.fillId,
            priceTicks: event.priceTicks,
            stakeMinor: event.stakeMinor,
            liabilityMinor: event.liabilityMinor,
            role: side === makerSide ? 'maker' : 'taker',
            matchedMinor: order.matchedMinor,
            remainingMinor: order.remainingMinor,
            averagePriceX100: order.averagePriceX100,
          });
        }
        return;
      }
      case 'OrderReduced': {
        const order = this.open.get(event.orderId);
        if (order !== undefined) {
          order.remainingMinor = event.remainingMinor;
          order.cancelledMinor += event.reducedByMinor;
        }
        push(updates, event.accountId, { kind: 'reduced', orderId: event.orderId, marketId: event.marketId, reducedByMinor: event.reducedByMinor, remainingMinor: event.remainingMinor });
        return;
      }
      case 'OrderClosed': {
        const order = this.open.get(event.orderId);
        if (order !== undefined) {
          order.remainingMinor = 0;
          order.matchedMinor = event.matchedMinor;
          order.cancelledMinor = event.cancelledMinor;
          order.closeReason = event.reason;
          order.volumeAheadMinor = null;
          order.delayed = false;
          this.remove(order);
        }
        push(updates, event.accountId, {
          kind: 'closed',
          orderId: event.orderId,
          marketId: event.marketId,
          reason: event.reason,
          sizeMinor: event.sizeMinor,
          matchedMinor: event.matchedMinor,
          cancelledMinor: event.cancelledMinor,
        });
        return;
      }
      case 'AccountUpdated':
        push(updates, event.accountId, { kind: 'account', balanceMinor: event.balanceMinor, exposureMinor: event.exposureMinor, availableMinor: event.availableMinor });
        return;
      default:
        return;
    }
  }

  private priceX100(marketId: MarketId, priceTicks: number): number {
    const ladder = ladderById(this.ladderOf.get(marketId) ?? 'standard');
    return ladder === undefined ? 0 : priceX100OfTick(ladder, priceTicks);
  }

  private add(order: MutableOrder): void {
    this.open.set(order.orderId, order);
    let ids = this.openByAccount.get(order.accountId);
    if (ids === undefined) this.openByAccount.set(order.accountId, (ids = new Set()));
    ids.add(order.orderId);
  }

  private remove(order: MutableOrder): void {
    this.open.delete(order.orderId);
    const ids = this.openByAccount.get(order.accountId);
    ids?.delete(order.orderId);
    if (ids?.size === 0) this.openByAccount.delete(order.accountId);
    let closed = this.closedByAccount.get(order.accountId);
    if (closed === undefined) this.closedByAccount.set(order.accountId, (closed = []));
    closed.push(publicState(order));
    if (closed.length > this.recentlyClosedMax) closed.shift();
  }
}

function push(updates: Map<AccountId, OrderUpdate[]>, accountId: AccountId, update: OrderUpdate): void {
  let list = updates.get(accountId);
  if (list === undefined) updates.set(accountId, (list = []));
  list.push(update);
}

function publicState(order: MutableOrder): OrderState {
  const { accountId: _accountId, matchedX100Minor: _matchedX100Minor, ...state } = order;
  return { ...state };
}
