// The matching stage, keyed by market. It owns the books and the market lifecycle: it matches the
// orders the risk stage approved, holds in-play orders for the bet delay, and closes orders when
// markets change state. It knows nothing of balances; every change it makes is an event.

import {
  assert,
  isId,
  ladderById,
  liabilityMinor,
  priceX100OfTick,
  BET_DELAY_MS_MAX,
  COMMISSION_BPS_DEFAULT,
  COMMISSION_BPS_MAX,
  DEAD_HEAT_DENOMINATOR_MAX,
  REASON_LENGTH_MAX,
  RUNNERS_PER_MARKET_MAX,
  STAKE_MINOR_MAX,
  type CloseReason,
  type Command,
  type DeadHeat,
  type Ladder,
  type MarketEvent,
  type MarketId,
  type OrderId,
  type RejectCode,
  type Side,
} from '@playchacha/protocol';
import {
  fillableMinor,
  matchTaker,
  FLAG_DELAYED,
  FLAG_PERSIST,
  FLAG_POST_ONLY,
  NONE,
  OrderPool,
  SIDE_BACK,
  SIDE_LAY,
  SideLadder,
  STP_CANCEL_NEWEST,
  type MatchSink,
} from './order-book.js';
import { IdMap } from './id-map.js';
import type { ApprovedCancel, ApprovedInstruction, ApprovedPlace, ApprovedReplace } from './stage-messages.js';
import { MARKET_COMMAND_TYPES, marketStatusRejectCode, type MarketStatus } from './model.js';

const SIDES: readonly Side[] = ['back', 'lay'];

export interface MatchingSnapshot {
  readonly fillIdNext: number;
  readonly markets: ReadonlyArray<{
    readonly marketId: MarketId;
    readonly runnerCount: number;
    readonly ladderId: string;
    readonly minStakeMinor: number;
    readonly commissionBps: number;
    readonly numberOfWinners: number;
    readonly persistenceAllowed: boolean;
    readonly status: MarketStatus;
    readonly inPlay: boolean;
    readonly betDelayMs: number;
    readonly seq: number;
    /** One row per order: id, account, runner, side, price, size, remaining, matched, cancelled, flags, tif, min fill, self-trade, release time. */
    readonly resting: ReadonlyArray<readonly number[]>;
    readonly delayed: ReadonlyArray<readonly number[]>;
    /** Per runner: [last traded price in ticks (null before its first match), matched volume]. Absent in older snapshots: restored as nothing traded. */
    readonly traded?: ReadonlyArray<readonly [number | null, number]>;
  }>;
}
const TIF_GTC = 0;
const TIF_FOK = 1;
const TIF_IOC = 2;

export class MatchMarket {
  status: MarketStatus = 'open';
  inPlay = false;
  betDelayMs = 0;
  seq = 0;
  /** Side ladders: runner r back at 2r, lay at 2r + 1. */
  readonly ladders: SideLadder[] = [];
  /** Slots of orders waiting out the bet delay, in release order. */
  readonly delayed: number[] = [];
  /** Per runner: the price of its latest match (null before the first) and its matched volume (backer's stake). */
  readonly lastPriceTicks: Array<number | null> = [];
  readonly runnerMatchedMinor: number[] = [];
  /** The market's matched volume: the sum over its runners. */
  matchedMinor = 0;

  constructor(
    readonly marketId: MarketId,
    readonly slot: number,
    readonly runnerCount: number,
    readonly ladder: Ladder,
    readonly minStakeMinor: number,
    readonly commissionBps: number,
    readonly numberOfWinners: number,
    readonly persistenceAllowed: boolean,
  ) {
    for (let runner = 0; runner < runnerCount; runner++) {
      this.ladders.push(new SideLadder(ladder.pricesX100.length, SIDE_BACK));
      this.ladders.push(new SideLadder(ladder.pricesX100.length, SIDE_LAY));
      this.lastPriceTicks.push(null);
      this.runnerMatchedMinor.push(0);
    }
  }

  /** Records a match: the runner's last traded price, and its and the market's matched volume. */
  traded(runnerIndex: number, priceTicks: number, stakeMinor: number): void {
    this.lastPriceTicks[runnerIndex] = priceTicks;
    this.runnerMatchedMinor[runnerIndex] = (this.runnerMatchedMinor[runnerIndex] as number) + stakeMinor;
    this.matchedMinor += stakeMinor;
  }

  sideLadder(runnerIndex: number, side: number): SideLadder {
    return this.ladders[runnerIndex * 2 + side] as SideLadder;
  }
}

/** Per-order data the pool has no column for. */
interface OrderExtras {
  timeInForce: number;
  minFillMinor: number;
  selfTrade: number;
}

export class MatchingStage implements MatchSink {
  readonly pool = new OrderPool();
  readonly markets = new Map<MarketId, MatchMarket>();
  readonly marketBySlot: MatchMarket[] = [];
  readonly slotOfOrder = new IdMap();
  /** Head slot of each account's list of open orders (through pool.accountPrev/accountNext). */
  private readonly accountHead = new IdMap();
  private readonly extras: OrderExtras[] = [];
  private fillIdNext = 1;
  private delayedCount = 0;
  private nowMs = 0;
  /** The order being matched, while matchTaker runs. */
  private takerSlot = NONE;
  private takerMarket: MatchMarket | null = null;

  constructor(private readonly emitMarketEvent: (event: MarketEvent) => void) {}

  setTime(timestampMs: number): void {
    this.nowMs = timestampMs;
  }

  private next(market: MatchMarket): number {
    return ++market.seq;
  }

  // ----- Markets --------------------------------------------------------------------------

  /** CreateMarket and the lifecycle commands (a reject code or null); undefined for any other command. */
  marketCommand(command: Command): RejectCode | null | undefined {
    if (command.type === 'CreateMarket') return this.createMarket(command);
    return MARKET_COMMAND_TYPES.has(command.type) ? this.lifecycle(command) : undefined;
  }

  createMarket(command: Extract<Command, { type: 'CreateMarket' }>): RejectCode | null {
    if (!isId(command.marketId)) return 'invalid_command';
    const typed =
      typeof command.runnerCount === 'number' &&
      (command.ladderId === undefined || typeof command.ladderId === 'string') &&
      (command.minStakeMinor === undefined || typeof command.minStakeMinor === 'number') &&
      (command.commissionBps === undefined || typeof command.commissionBps === 'number') &&
      (command.numberOfWinners === undefined || typeof command.numberOfWinners === 'number') &&
      (command.persistenceAllowed === undefined || typeof command.persistenceAllowed === 'boolean');
    if (!typed) return 'invalid_command';
    if (this.markets.has(command.marketId)) return 'market_exists';
    const ladder = ladderById(command.ladderId ?? 'standard');
    const runnerCount = command.runnerCount;
    const minStakeMinor = command.minStakeMinor ?? 1;
    const commissionBps = command.commissionBps ?? COMMISSION_BPS_DEFAULT;
    const numberOfWinners = command.numberOfWinners ?? 1;
    const persistenceAllowed = command.persistenceAllowed ?? true;
    const valid =
      ladder !== undefined &&
      isIntegerIn(runnerCount, 2, RUNNERS_PER_MARKET_MAX) &&
      isIntegerIn(minStakeMinor, 1, STAKE_MINOR_MAX) &&
      isIntegerIn(commissionBps, 0, COMMISSION_BPS_MAX) &&
      isIntegerIn(numberOfWinners, 1, runnerCount - 1) &&
      typeof persistenceAllowed === 'boolean';
    if (!valid) return 'invalid_market_definition';
    const market = new MatchMarket(
      command.marketId,
      this.marketBySlot.length,
      runnerCount,
      ladder,
      minStakeMinor,
      commissionBps,
      numberOfWinners,
      persistenceAllowed,
    );
    this.markets.set(market.marketId, market);
    this.marketBySlot.push(market);
    this.emitMarketEvent({
      type: 'MarketCreated',
      marketId: market.marketId,
      seq: this.next(market),
      runnerCount,
      ladderId: ladder.id,
      minStakeMinor,
      commissionBps,
      numberOfWinners,
      persistenceAllowed,
    });
    return null;
  }

  /** Lifecycle commands; returns a reject code or null. */
  lifecycle(command: Command): RejectCode | null {
    if (!('marketId' in command) || !isId(command.marketId)) return 'invalid_command';
    const market = this.markets.get(command.marketId);
    if (market === undefined) return 'unknown_market';
    const marketId = market.marketId;
    const live = market.status === 'open' || market.status === 'suspended';
    switch (command.type) {
      case 'SuspendMarket':
        if (market.status !== 'open') return 'invalid_transition';
        market.status = 'suspended';
        this.emitMarketEvent({ type: 'MarketSuspended', marketId, seq: this.next(market) });
        this.closeSlots([...market.delayed], 'lapsed_suspended');
        return null;
      case 'ResumeMarket':
        if (market.status !== 'suspended') return 'invalid_transition';
        market.status = 'open';
        this.emitMarketEvent({ type: 'MarketResumed', marketId, seq: this.next(market) });
        return null;
      case 'TurnInPlay':
        if (!isIntegerIn(command.betDelayMs, 0, BET_DELAY_MS_MAX)) return 'invalid_market_definition';
        if (!live || market.inPlay) return 'invalid_transition';
        market.inPlay = true;
        market.betDelayMs = command.betDelayMs;
        this.emitMarketEvent({ type: 'MarketTurnedInPlay', marketId, seq: this.next(market), betDelayMs: command.betDelayMs });
        this.closeAll(market, (slot) => ((this.pool.flags[slot] as number) & FLAG_PERSIST) === 0, 'lapsed_in_play');
        return null;
      case 'SetBetDelay':
        if (!isIntegerIn(command.betDelayMs, 0, BET_DELAY_MS_MAX)) return 'invalid_market_definition';
        if (!live || !market.inPlay) return 'invalid_transition';
        market.betDelayMs = command.betDelayMs;
        this.emitMarketEvent({ type: 'MarketBetDelayChanged', marketId, seq: this.next(market), betDelayMs: command.betDelayMs });
        return null;
      case 'CloseMarket':
        if (!live) return 'invalid_transition';
        market.status = 'closed';
        this.emitMarketEvent({ type: 'MarketClosed', marketId, seq: this.next(market) });
        this.closeAll(market, () => true, 'market_closed');
        return null;
      case 'SettleMarket': {
        const winners = checkedWinners(market, command.winners);
        if (winners === null) return 'invalid_settlement';
        if (market.status !== 'closed') return 'invalid_transition';
        market.status = 'settled';
        this.emitMarketEvent({
          type: 'MarketSettled',
          marketId,
          seq: this.next(market),
          winners,
          commissionBps: market.commissionBps,
        });
        return null;
      }
      case 'VoidMarket':
        if (typeof command.reason !== 'string' || command.reason.length < 1 || command.reason.length > REASON_LENGTH_MAX) {
          return 'invalid_command';
        }
        if (market.status === 'settled' || market.status === 'voided') return 'invalid_transition';
        market.status = 'voided';
        this.emitMarketEvent({ type: 'MarketVoided', marketId, seq: this.next(market), reason: command.reason });
        this.closeAll(market, () => true, 'market_voided');
        return null;
      case 'ResettleMarket': {
        if (typeof command.reason !== 'string' || command.reason.length < 1 || command.reason.length > REASON_LENGTH_MAX) {
          return 'invalid_command';
        }
        if (command.winners !== null && !Array.isArray(command.winners)) return 'invalid_command';
        const winners = command.winners === null ? null : checkedWinners(market, command.winners);
        if (command.winners !== null && winners === null) return 'invalid_settlement';
        if (market.status !== 'settled' && market.status !== 'voided') return 'invalid_transition';
        if (winners === null && market.status === 'voided') return 'invalid_transition';
        const previousOutcome = market.status;
        market.status = winners === null ? 'voided' : 'settled';
        this.emitMarketEvent({
          type: 'MarketResettled',
          marketId,
          seq: this.next(market),
          previousOutcome,
          outcome: market.status,
          winners,
          commissionBps: market.commissionBps,
          reason: command.reason,
        });
        return null;
      }
      default:
        assert(false, `not a lifecycle command: ${command.type}`);
    }
  }

  /** Closes, in ascending order id, every open order of the market that `select` picks. */
  private closeAll(market: MatchMarket, select: (slot: number) => boolean, reason: CloseReason): void {
    const slots: number[] = [];
    const pool = this.pool;
    for (const ladder of market.ladders) {
      if (ladder.isEmpty()) continue;
      for (let tick = 0; tick < ladder.ladderSize; tick++) {
        for (let slot = ladder.head[tick] as number; slot !== NONE; slot = pool.next[slot] as number) {
          if (select(slot)) slots.push(slot);
        }
      }
    }
    for (const slot of market.delayed) if (select(slot)) slots.push(slot);
    this.closeSlots(slots, reason);
  }

  private closeSlots(slots: number[], reason: CloseReason): void {
    const pool = this.pool;
    slots.sort((a, b) => (pool.orderId[a] as number) - (pool.orderId[b] as number));
    for (const slot of slots) this.cancelRemainder(slot, reason);
  }

  // ----- Orders ---------------------------------------------------------------------------

  /** The market-state check the matching stage applies to an instruction; null when it may proceed. */
  refusal(instruction: ApprovedInstruction): RejectCode | null {
    const market = this.markets.get(instruction.marketId);
    if (market === undefined) return 'unknown_market';
    return this.refusalOn(market, instruction);
  }

  private refusalOn(market: MatchMarket, instruction: ApprovedInstruction): RejectCode | null {
    if (instruction.kind !== 'place') {
      const slot = this.slotOfOrder.get(instruction.orderId);
      if (slot < 0 || this.pool.accountId[slot] !== instruction.accountId) return 'unknown_order';
      if (instruction.kind === 'cancel') return null;
    }
    return marketStatusRejectCode(market.status);
  }

  execute(instruction: ApprovedInstruction): void {
    const market = this.markets.get(instruction.marketId);
    assert(market !== undefined, 'the risk stage approves orders on known markets only');
    const code = this.refusalOn(market, instruction);
    if (code !== null) {
      this.emitMarketEvent({
        type: 'InstructionRefused',
        marketId: market.marketId,
        seq: this.next(market),
        accountId: instruction.accountId,
        instruction: instruction.kind,
        instructionIndex: instruction.instructionIndex,
        orderId: instruction.kind === 'replace' ? instruction.newOrderId : instruction.orderId,
        clientOrderId: instruction.kind === 'cancel' ? null : instruction.clientOrderId,
        code,
      });
      return;
    }
    switch (instruction.kind) {
      case 'place':
        return this.place(market, instruction);
      case 'cancel':
        return this.cancel(instruction);
      case 'replace':
        return this.replace(market, instruction);
    }
  }

  private place(market: MatchMarket, place: ApprovedPlace): void {
    const slot = this.newOrder(market, place.orderId, place.accountId, place.runnerIndex, place.side === 'back' ? SIDE_BACK : SIDE_LAY, place.priceTicks, place.stakeMinor);
    const pool = this.pool;
    let flags = 0;
    if (place.persistence === 'persist') flags |= FLAG_PERSIST;
    if (place.postOnly) flags |= FLAG_POST_ONLY;
    pool.flags[slot] = flags;
    const extras = this.extrasOf(slot);
    extras.timeInForce = place.timeInForce === 'gtc' ? TIF_GTC : place.timeInForce === 'fok' ? TIF_FOK : TIF_IOC;
    extras.minFillMinor = place.minFillMinor;
    extras.selfTrade = place.selfTrade;
    this.accepted(market, slot, place.clientOrderId, place.persistence, place.timeInForce);
    this.arrive(market, slot);
  }

  private replace(market: MatchMarket, replace: ApprovedReplace): void {
    const pool = this.pool;
    const old = this.slotOfOrder.get(replace.orderId);
    const remaining = pool.remainingMinor[old] as number;
    const runnerIndex = pool.runnerIndex[old] as number;
    const side = pool.side[old] as number;
    const flags = (pool.flags[old] as number) & (FLAG_PERSIST | FLAG_POST_ONLY);
    const selfTrade = this.extrasOf(old).selfTrade;
    this.cancelRemainder(old, 'replaced');
    const slot = this.newOrder(market, replace.newOrderId, replace.accountId, runnerIndex, side, replace.priceTicks, remaining);
    pool.flags[slot] = flags;
    const extras = this.extrasOf(slot);
    extras.timeInForce = TIF_GTC;
    extras.minFillMinor = 0;
    extras.selfTrade = selfTrade;
    this.accepted(market, slot, replace.clientOrderId, (flags & FLAG_PERSIST) !== 0 ? 'persist' : 'lapse', 'gtc');
    this.arrive(market, slot);
  }

  private cancel(cancel: ApprovedCancel): void {
    const pool = this.pool;
    const slot = this.slotOfOrder.get(cancel.orderId);
    const remaining = pool.remainingMinor[slot] as number;
    if (cancel.reduceByMinor === 0 || cancel.reduceByMinor >= remaining) {
      this.cancelRemainder(slot, 'cancelled');
      return;
    }
    const market = this.marketBySlot[pool.marketSlot[slot] as number] as MatchMarket;
    const reduceBy = cancel.reduceByMinor;
    pool.remainingMinor[slot] = remaining - reduceBy;
    pool.cancelledMinor[slot] = (pool.cancelledMinor[slot] as number) + reduceBy;
    const side = pool.side[slot] as number;
    const runnerIndex = pool.runnerIndex[slot] as number;
    const priceTicks = pool.priceTicks[slot] as number;
    if (((pool.flags[slot] as number) & FLAG_DELAYED) === 0) market.sideLadder(runnerIndex, side).reduceLevel(priceTicks, reduceBy);
    this.emitMarketEvent({
      type: 'OrderReduced',
      marketId: market.marketId,
      seq: this.next(market),
      orderId: cancel.orderId,
      accountId: cancel.accountId,
      runnerIndex,
      side: SIDES[side] as Side,
      priceTicks,
      reducedByMinor: reduceBy,
      remainingMinor: remaining - reduceBy,
    });
  }

  /** Closes every open order of an account (optionally of one market, runner, side) or of a market. */
  massCancel(
    accountId: number | undefined,
    marketId: MarketId | undefined,
    runnerIndex: number | undefined,
    side: Side | undefined,
    reason: CloseReason = 'mass_cancelled',
  ): void {
    const pool = this.pool;
    const sideCode = side === undefined ? -1 : side === 'back' ? SIDE_BACK : SIDE_LAY;
    const market = marketId === undefined ? undefined : this.markets.get(marketId);
    const matches = (slot: number): boolean =>
      (market === undefined || pool.marketSlot[slot] === market.slot) &&
      (runnerIndex === undefined || pool.runnerIndex[slot] === runnerIndex) &&
      (sideCode === -1 || pool.side[slot] === sideCode);
    if (accountId === undefined) {
      assert(market !== undefined, 'an operator mass cancel names a market');
      this.closeAll(market, matches, reason);
      return;
    }
    const slots: number[] = [];
    for (let slot = this.accountHead.get(accountId); slot !== NONE; slot = pool.accountNext[slot] as number) {
      if (matches(slot)) slots.push(slot);
    }
    this.closeSlots(slots, reason);
  }

  private newOrder(market: MatchMarket, orderId: OrderId, accountId: number, runnerIndex: number, side: number, priceTicks: number, sizeMinor: number): number {
    const pool = this.pool;
    const slot = pool.alloc();
    pool.orderId[slot] = orderId;
    pool.accountId[slot] = accountId;
    pool.sizeMinor[slot] = sizeMinor;
    pool.remainingMinor[slot] = sizeMinor;
    pool.marketSlot[slot] = market.slot;
    pool.runnerIndex[slot] = runnerIndex;
    pool.side[slot] = side;
    pool.priceTicks[slot] = priceTicks;
    this.slotOfOrder.set(orderId, slot);
    const head = this.accountHead.get(accountId);
    pool.accountNext[slot] = head;
    if (head !== NONE) pool.accountPrev[head] = slot;
    this.accountHead.set(accountId, slot);
    return slot;
  }

  private extrasOf(slot: number): OrderExtras {
    let extras = this.extras[slot];
    if (extras === undefined) {
      extras = { timeInForce: TIF_GTC, minFillMinor: 0, selfTrade: STP_CANCEL_NEWEST };
      this.extras[slot] = extras;
    }
    return extras;
  }

  private accepted(market: MatchMarket, slot: number, clientOrderId: string, persistence: 'lapse' | 'persist', timeInForce: 'gtc' | 'fok' | 'ioc'): void {
    const pool = this.pool;
    this.emitMarketEvent({
      type: 'OrderAccepted',
      marketId: market.marketId,
      seq: this.next(market),
      orderId: pool.orderId[slot] as number,
      accountId: pool.accountId[slot] as number,
      clientOrderId,
      runnerIndex: pool.runnerIndex[slot] as number,
      side: SIDES[pool.side[slot] as number] as Side,
      priceTicks: pool.priceTicks[slot] as number,
      stakeMinor: pool.sizeMinor[slot] as number,
      persistence,
      timeInForce,
      timestampMs: this.nowMs,
    });
  }

  /** An order reaches the market: post-only check, bet delay, or execution. */
  private arrive(market: MatchMarket, slot: number): void {
    const pool = this.pool;
    const side = pool.side[slot] as number;
    const opposite = market.sideLadder(pool.runnerIndex[slot] as number, 1 - side);
    const crosses = opposite.reachable(pool.priceTicks[slot] as number);
    if (((pool.flags[slot] as number) & FLAG_POST_ONLY) !== 0 && crosses) {
      this.cancelRemainder(slot, 'post_only_would_match');
      return;
    }
    if (crosses && market.inPlay && market.betDelayMs > 0) {
      const releaseAtMs = this.nowMs + market.betDelayMs;
      pool.flags[slot] = (pool.flags[slot] as number) | FLAG_DELAYED;
      pool.releaseAtMs[slot] = releaseAtMs;
      insertDelayed(pool, market.delayed, slot);
      this.delayedCount++;
      this.emitMarketEvent({
        type: 'OrderDelayed',
        marketId: market.marketId,
        seq: this.next(market),
        orderId: pool.orderId[slot] as number,
        accountId: pool.accountId[slot] as number,
        releaseAtMs,
      });
      return;
    }
    this.executeArrived(market, slot);
  }

  /** Matches an order that has reached the book, then rests or closes what is left. */
  private executeArrived(market: MatchMarket, slot: number): void {
    const pool = this.pool;
    const extras = this.extrasOf(slot);
    const side = pool.side[slot] as number;
    const runnerIndex = pool.runnerIndex[slot] as number;
    const priceTicks = pool.priceTicks[slot] as number;
    const accountId = pool.accountId[slot] as number;
    const opposite = market.sideLadder(runnerIndex, 1 - side);
    const remaining = pool.remainingMinor[slot] as number;
    if (extras.timeInForce === TIF_FOK || extras.minFillMinor > 0) {
      const needed = extras.timeInForce === TIF_FOK ? remaining : extras.minFillMinor;
      if (fillableMinor(pool, opposite, accountId, priceTicks, needed, extras.selfTrade) < needed) {
        this.cancelRemainder(slot, extras.timeInForce === TIF_FOK ? 'fill_or_kill' : 'min_fill_not_met');
        return;
      }
    }
    this.takerSlot = slot;
    this.takerMarket = market;
    const result = matchTaker(pool, opposite, accountId, priceTicks, remaining, extras.selfTrade, this);
    this.takerSlot = NONE;
    this.takerMarket = null;
    if (result < 0) {
      this.cancelRemainder(slot, 'self_trade');
    } else if (result === 0) {
      this.closeFilled(slot);
    } else if (extras.timeInForce === TIF_GTC) {
      market.sideLadder(runnerIndex, side).append(pool, slot, priceTicks);
    } else {
      this.cancelRemainder(slot, 'immediate_or_cancel');
    }
  }

  /** Releases every delayed order due at or before the current time, in (release time, order id) order. */
  releaseDue(): void {
    if (this.delayedCount === 0) return;
    const pool = this.pool;
    const due: number[] = [];
    for (const market of this.marketBySlot) {
      const delayed = market.delayed;
      let count = 0;
      while (count < delayed.length && (pool.releaseAtMs[delayed[count] as number] as number) <= this.nowMs) count++;
      if (count === 0) continue;
      for (const slot of delayed.splice(0, count)) due.push(slot);
    }
    if (due.length === 0) return;
    due.sort(
      (a, b) =>
        (pool.releaseAtMs[a] as number) - (pool.releaseAtMs[b] as number) ||
        (pool.orderId[a] as number) - (pool.orderId[b] as number),
    );
    for (const slot of due) {
      this.delayedCount--;
      pool.flags[slot] = (pool.flags[slot] as number) & ~FLAG_DELAYED;
      const market = this.marketBySlot[pool.marketSlot[slot] as number] as MatchMarket;
      this.emitMarketEvent({
        type: 'OrderReleased',
        marketId: market.marketId,
        seq: this.next(market),
        orderId: pool.orderId[slot] as number,
        accountId: pool.accountId[slot] as number,
      });
      this.executeArrived(market, slot);
    }
  }

  // ----- MatchSink ------------------------------------------------------------------------

  onFill(makerSlot: number, qty: number, priceTicks: number): void {
    const pool = this.pool;
    const taker = this.takerSlot;
    const market = this.takerMarket as MatchMarket;
    pool.remainingMinor[taker] = (pool.remainingMinor[taker] as number) - qty;
    pool.matchedMinor[taker] = (pool.matchedMinor[taker] as number) + qty;
    const takerIsBack = pool.side[taker] === SIDE_BACK;
    const back = takerIsBack ? taker : makerSlot;
    const lay = takerIsBack ? makerSlot : taker;
    market.traded(pool.runnerIndex[taker] as number, priceTicks, qty);
    this.emitMarketEvent({
      type: 'OrderMatched',
      marketId: market.marketId,
      seq: this.next(market),
      fillId: this.fillIdNext++,
      runnerIndex: pool.runnerIndex[taker] as number,
      priceTicks,
      stakeMinor: qty,
      liabilityMinor: liabilityMinor(qty, priceX100OfTick(market.ladder, priceTicks)),
      takerSide: takerIsBack ? 'back' : 'lay',
      backOrderId: pool.orderId[back] as number,
      backAccountId: pool.accountId[back] as number,
      layOrderId: pool.orderId[lay] as number,
      layAccountId: pool.accountId[lay] as number,
    });
  }

  onMakerFilled(makerSlot: number): void {
    this.closeFilled(makerSlot);
  }

  onSelfTradeMaker(makerSlot: number): void {
    this.closeUnlinked(makerSlot, 'self_trade');
  }

  // ----- Closing --------------------------------------------------------------------------

  private closeFilled(slot: number): void {
    assert(this.pool.remainingMinor[slot] === 0, 'a filled order has nothing left');
    this.closeUnlinked(slot, 'matched');
  }

  /** Cancels what is left of an open order (in the book, delayed, or arriving) and closes it. */
  private cancelRemainder(slot: number, reason: CloseReason): void {
    const pool = this.pool;
    const market = this.marketBySlot[pool.marketSlot[slot] as number] as MatchMarket;
    const flags = pool.flags[slot] as number;
    if ((flags & FLAG_DELAYED) !== 0) {
      const index = market.delayed.indexOf(slot);
      assert(index >= 0, 'a delayed order is in its market delay list');
      market.delayed.splice(index, 1);
      this.delayedCount--;
    } else if (this.isResting(market, slot)) {
      market.sideLadder(pool.runnerIndex[slot] as number, pool.side[slot] as number).unlink(pool, slot);
    }
    this.closeUnlinked(slot, reason);
  }

  private isResting(market: MatchMarket, slot: number): boolean {
    const pool = this.pool;
    if (pool.prev[slot] !== NONE) return true;
    const ladder = market.sideLadder(pool.runnerIndex[slot] as number, pool.side[slot] as number);
    return ladder.head[pool.priceTicks[slot] as number] === slot;
  }

  /** Closes an order already out of the book: the rest is cancelled, the event emitted, the slot freed. */
  private closeUnlinked(slot: number, reason: CloseReason): void {
    const pool = this.pool;
    const market = this.marketBySlot[pool.marketSlot[slot] as number] as MatchMarket;
    const remaining = pool.remainingMinor[slot] as number;
    pool.cancelledMinor[slot] = (pool.cancelledMinor[slot] as number) + remaining;
    pool.remainingMinor[slot] = 0;
    const orderId = pool.orderId[slot] as number;
    const accountId = pool.accountId[slot] as number;
    this.emitMarketEvent({
      type: 'OrderClosed',
      marketId: market.marketId,
      seq: this.next(market),
      orderId,
      accountId,
      runnerIndex: pool.runnerIndex[slot] as number,
      side: SIDES[pool.side[slot] as number] as Side,
      priceTicks: pool.priceTicks[slot] as number,
      reason,
      sizeMinor: pool.sizeMinor[slot] as number,
      matchedMinor: pool.matchedMinor[slot] as number,
      cancelledMinor: pool.cancelledMinor[slot] as number,
    });
    const prev = pool.accountPrev[slot] as number;
    const next = pool.accountNext[slot] as number;
    if (prev === NONE) {
      if (next === NONE) this.accountHead.delete(accountId);
      else this.accountHead.set(accountId, next);
    } else {
      pool.accountNext[prev] = next;
    }
    if (next !== NONE) pool.accountPrev[next] = prev;
    this.slotOfOrder.delete(orderId);
    pool.release(slot);
  }

  /** The earliest time a delayed order is due, or null when none waits. */
  nextReleaseAtMs(): number | null {
    if (this.delayedCount === 0) return null;
    let earliest = Number.POSITIVE_INFINITY;
    for (const market of this.marketBySlot) {
      const first = market.delayed[0];
      if (first !== undefined) earliest = Math.min(earliest, this.pool.releaseAtMs[first] as number);
    }
    return earliest;
  }

  get fillIdNextValue(): number {
    return this.fillIdNext;
  }

  // ----- Snapshots ------------------------------------------------------------------------

  /** The stage's whole state as plain data: markets, and each book's orders in queue order. */
  exportState(): MatchingSnapshot {
    const pool = this.pool;
    const row = (slot: number): number[] => {
      const extras = this.extrasOf(slot);
      return [
        pool.orderId[slot] as number,
        pool.accountId[slot] as number,
        pool.runnerIndex[slot] as number,
        pool.side[slot] as number,
        pool.priceTicks[slot] as number,
        pool.sizeMinor[slot] as number,
        pool.remainingMinor[slot] as number,
        pool.matchedMinor[slot] as number,
        pool.cancelledMinor[slot] as number,
        pool.flags[slot] as number,
        extras.timeInForce,
        extras.minFillMinor,
        extras.selfTrade,
        pool.releaseAtMs[slot] as number,
      ];
    };
    return {
      fillIdNext: this.fillIdNext,
      markets: this.marketBySlot.map((market) => {
        const resting: number[][] = [];
        for (const ladder of market.ladders) {
          for (let tick = 0; tick < ladder.ladderSize; tick++) {
            for (let slot = ladder.head[tick] as number; slot !== NONE; slot = pool.next[slot] as number) resting.push(row(slot));
          }
        }
        return {
          marketId: market.marketId,
          runnerCount: market.runnerCount,
          ladderId: market.ladder.id,
          minStakeMinor: market.minStakeMinor,
          commissionBps: market.commissionBps,
          numberOfWinners: market.numberOfWinners,
          persistenceAllowed: market.persistenceAllowed,
          status: market.status,
          inPlay: market.inPlay,
          betDelayMs: market.betDelayMs,
          seq: market.seq,
          resting,
          delayed: market.delayed.map(row),
          traded: market.lastPriceTicks.map((priceTicks, runner) => [priceTicks, market.runnerMatchedMinor[runner] as number] as const),
        };
      }),
    };
  }

  importState(snapshot: MatchingSnapshot): void {
    assert(this.marketBySlot.length === 0, 'a snapshot is imported into an empty stage');
    this.fillIdNext = snapshot.fillIdNext;
    const all: Array<{ market: MatchMarket; row: readonly number[]; delayed: boolean }> = [];
    for (const saved of snapshot.markets) {
      const ladder = ladderById(saved.ladderId);
      assert(ladder !== undefined, 'a snapshot names known ladders');
      const market = new MatchMarket(saved.marketId, this.marketBySlot.length, saved.runnerCount, ladder, saved.minStakeMinor, saved.commissionBps, saved.numberOfWinners, saved.persistenceAllowed);
      market.status = saved.status;
      market.inPlay = saved.inPlay;
      market.betDelayMs = saved.betDelayMs;
      market.seq = saved.seq;
      assert(saved.traded === undefined || saved.traded.length === saved.runnerCount, 'a snapshot has traded figures for every runner');
      saved.traded?.forEach(([priceTicks, matchedMinor], runner) => {
        market.lastPriceTicks[runner] = priceTicks;
        market.runnerMatchedMinor[runner] = matchedMinor;
        market.matchedMinor += matchedMinor;
      });
      this.markets.set(market.marketId, market);
      this.marketBySlot.push(market);
      for (const row of saved.resting) all.push({ market, row, delayed: false });
      for (const row of saved.delayed) all.push({ market, row, delayed: true });
    }
    // Account lists are rebuilt in order id order; books and delay lists keep their saved order.
    const slots = new Map<number, number>();
    const byOrderId = [...all].sort((a, b) => (a.row[0] as number) - (b.row[0] as number));
    for (const { market, row } of byOrderId) {
      const [orderId, accountId, runnerIndex, side, priceTicks, size, remaining, matched, cancelled, flags, timeInForce, minFill, selfTrade, releaseAtMs] = row as [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
      const slot = this.newOrder(market, orderId, accountId, runnerIndex, side, priceTicks, size);
      const pool = this.pool;
      pool.remainingMinor[slot] = remaining;
      pool.matchedMinor[slot] = matched;
      pool.cancelledMinor[slot] = cancelled;
      pool.flags[slot] = flags;
      pool.releaseAtMs[slot] = releaseAtMs;
      const extras = this.extrasOf(slot);
      extras.timeInForce = timeInForce;
      extras.minFillMinor = minFill;
      extras.selfTrade = selfTrade;
      slots.set(orderId, slot);
    }
    for (const { market, row, delayed } of all) {
      const slot = slots.get(row[0] as number) as number;
      if (delayed) {
        market.delayed.push(slot);
        this.delayedCount++;
      } else {
        market.sideLadder(row[2] as number, row[3] as number).append(this.pool, slot, row[4] as number);
      }
    }
  }
}

function insertDelayed(pool: OrderPool, delayed: number[], slot: number): void {
  const releaseAtMs = pool.releaseAtMs[slot] as number;
  let index = delayed.length;
  while (index > 0 && (pool.releaseAtMs[delayed[index - 1] as number] as number) > releaseAtMs) index--;
  delayed.splice(index, 0, slot);
}

function isIntegerIn(value: unknown, minimum: number, maximum: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= minimum && value <= maximum;
}

/**
 * The winners of a settlement when valid for the market: distinct runners, factors n/d with
 * 1 ≤ n ≤ d, summing to exactly 1 on a single-winner market and to at most the number of winners
 * otherwise. Null when invalid.
 */
function checkedWinners(market: MatchMarket, winners: unknown): DeadHeat[] | null {
  if (!Array.isArray(winners) || winners.length > market.runnerCount) return null;
  if (winners.length === 0 && market.numberOfWinners === 1) return null;
  const seen = new Set<number>();
  const checked: DeadHeat[] = [];
  let sumNumerator = 0n;
  let sumDenominator = 1n;
  for (const winner of winners as unknown[]) {
    if (typeof winner !== 'object' || winner === null) return null;
    const { runnerIndex, factorNumerator, factorDenominator } = winner as Record<string, unknown>;
    if (!isIntegerIn(runnerIndex, 0, market.runnerCount - 1) || seen.has(runnerIndex)) return null;
    if (!isIntegerIn(factorDenominator, 1, DEAD_HEAT_DENOMINATOR_MAX)) return null;
    if (!isIntegerIn(factorNumerator, 1, factorDenominator)) return null;
    seen.add(runnerIndex);
    checked.push({ runnerIndex, factorNumerator, factorDenominator });
    sumNumerator = sumNumerator * BigInt(factorDenominator) + BigInt(factorNumerator) * sumDenominator;
    sumDenominator *= BigInt(factorDenominator);
  }
  const winnersTarget = BigInt(market.numberOfWinners) * sumDenominator;
  if (market.numberOfWinners === 1 ? sumNumerator !== winnersTarget : sumNumerator > winnersTarget) return null;
  return checked;
}
