// The risk stage, keyed by account. Before an order reaches a book it checks the account's rules
// and holds the order's worst case (R1); afterwards it follows the matching stage's events to move
// held money into matched positions, release what cancels and lapses free, and settle (R2).
// It must never let available go below zero through an order, and a fill or a cancel can only
// lower an account's exposure.

import {
  assert,
  divFloor,
  HOUSE_ACCOUNT_ID,
  isId,
  isTick,
  ladderById,
  mulDivFloor,
  priceX100OfTick,
  BALANCE_MINOR_MAX,
  STAKE_MINOR_MAX,
  TRANSFER_ID_LENGTH_MAX,
  TRANSFER_MINOR_MAX,
  OPEN_ORDERS_PER_ACCOUNT_DEFAULT,
  REJECT_CODES,
  type AccountId,
  type AccountLimits,
  type AccountStatus,
  type DeadHeat,
  type InstructionKind,
  type Ladder,
  type MarketEvent,
  type MarketId,
  type OrderId,
  type RejectCode,
  type RunnerIndex,
} from '@playchacha/protocol';
import { ClientOrderIds } from './client-order-ids.js';
import { asLimits } from './command-shape.js';
import { marketStatusRejectCode } from './model.js';
import { Position } from './position.js';
import type { StateHasher } from './state-hash.js';
import type { ApprovedInstruction, EventOutput, SelfTradeCode } from './stage-messages.js';
import type { PlaceInstruction, CancelInstruction, ReplaceInstruction } from '@playchacha/protocol';

interface ClientOrderResult {
  readonly orderId: OrderId | null;
  readonly code: RejectCode | null;
}

const REJECT_CODE_LIST = Object.keys(REJECT_CODES) as RejectCode[];
const REJECT_CODE_INDEX = new Map(REJECT_CODE_LIST.map((code, index) => [code, index]));

/** A client order id's first result as one number: the order id, or −(reject code index + 1). */
function encodeResult(orderId: OrderId | null, code: RejectCode | null): number {
  if (code === null) {
    assert(orderId !== null && orderId > 0, 'an accepted order has an id');
    return orderId;
  }
  return -((REJECT_CODE_INDEX.get(code) as number) + 1);
}

function decodeResult(encoded: number): ClientOrderResult {
  if (encoded > 0) return { orderId: encoded, code: null };
  return { orderId: null, code: REJECT_CODE_LIST[-encoded - 1] as RejectCode };
}

export class RiskAccount {
  balanceMinor = 0;
  exposureMinor = 0;
  seq = 0;
  openOrders = 0;
  limits: AccountLimits = {};
  status: AccountStatus = 'active';
  /** When the loss-limit periods are counted from (see setLimits). */
  limitsSetAtMs = 0;
  lossPeriodIndex = 0;
  lossPeriodResultMinor = 0;
  /** Every client order id the account used, with its first result (see encodeResult). */
  readonly clientOrders = new ClientOrderIds();
  readonly transferIds = new Set<string>();
  readonly positions = new Map<MarketId, Position>();
  /** The command during which this account was first touched, and its figures before it. */
  touchedInCommand = -1;
  balanceBeforeMinor = 0;
  exposureBeforeMinor = 0;

  constructor(readonly accountId: AccountId) {}

  get availableMinor(): number {
    return this.balanceMinor - this.exposureMinor;
  }
}

interface RiskMarket {
  readonly marketId: MarketId;
  readonly runnerCount: number;
  readonly ladder: Ladder;
  readonly minStakeMinor: number;
  readonly numberOfWinners: number;
  readonly persistenceAllowed: boolean;
  status: 'open' | 'suspended' | 'closed' | 'settled' | 'voided';
  readonly positions: Map<AccountId, Position>;
}

export interface RiskOrder {
  readonly orderId: OrderId;
  readonly accountId: AccountId;
  readonly marketId: MarketId;
  readonly runnerIndex: RunnerIndex;
  readonly isBack: boolean;
  readonly priceX100: number;
  remainingMinor: number;
  /** Attributes a replace carries over. */
  readonly persist: boolean;
  readonly postOnly: boolean;
  readonly selfTrade: SelfTradeCode;
}

export interface RiskSnapshot {
  readonly orderIdNext: number;
  readonly netTransfersMinor: number;
  readonly markets: ReadonlyArray<{
    readonly marketId: MarketId;
    readonly runnerCount: number;
    readonly ladderId: string;
    readonly minStakeMinor: number;
    readonly numberOfWinners: number;
    readonly persistenceAllowed: boolean;
    readonly status: RiskMarket['status'];
  }>;
  readonly accounts: ReadonlyArray<{
    readonly accountId: AccountId;
    readonly balanceMinor: number;
    readonly seq: number;
    readonly limits: AccountLimits;
    /** Absent in snapshots taken before account statuses existed: active. */
    readonly status?: AccountStatus;
    readonly limitsSetAtMs: number;
    readonly lossPeriodIndex: number;
    readonly lossPeriodResultMinor: number;
    /** [client order id, first result: the order id, or −(reject code index + 1)]. */
    readonly clientOrders: ReadonlyArray<readonly [string, number]>;
    readonly transferIds: readonly string[];
    readonly positions: ReadonlyArray<{
      readonly marketId: MarketId;
      readonly finished: boolean;
      readonly settledResultMinor: number;
      readonly settledCommissionMinor: number;
      readonly ifWinMinor: readonly number[];
      readonly ifLoseMinor: readonly number[];
      readonly openBackMinor: readonly number[];
      readonly openLayMinor: readonly number[];
    }>;
  }>;
  readonly orders: readonly RiskOrder[];
}

const SELF_TRADE_CODES = { cancel_newest: 0, cancel_oldest: 1, cancel_both: 2 } as const;

/**
 * The tentative changes to positions while an instruction or a batch is checked, newest last, as
 * parallel arrays reused from command to command.
 */
export class OpenChanges {
  length = 0;
  readonly positions: Position[] = [];
  readonly runnerIndexes: number[] = [];
  readonly isBacks: boolean[] = [];
  readonly remainingsMinor: number[] = [];
  readonly pricesX100: number[] = [];
  readonly signs: Array<1 | -1> = [];

  push(position: Position, runnerIndex: number, isBack: boolean, remainingMinor: number, priceX100: number, sign: 1 | -1): void {
    const i = this.length++;
    this.positions[i] = position;
    this.runnerIndexes[i] = runnerIndex;
    this.isBacks[i] = isBack;
    this.remainingsMinor[i] = remainingMinor;
    this.pricesX100[i] = priceX100;
    this.signs[i] = sign;
  }
}

export class RiskStage {
  readonly accounts = new Map<AccountId, RiskAccount>();
  readonly markets = new Map<MarketId, RiskMarket>();
  readonly orders = new Map<OrderId, RiskOrder>();
  /** Deposits minus withdrawals: what the balances of all accounts must sum to. */
  netTransfersMinor = 0;
  private orderIdNext: number;
  /** The accounts and positions the current command touched: the first touchedCount entries (reused). */
  private readonly touched: RiskAccount[] = [];
  private touchedCount = 0;
  private readonly touchedPositions: Position[] = [];
  private touchedPositionCount = 0;
  private commandSeq = 0;
  private nowMs = 0;
  /** The current command replaces a market's result: the one way an available balance may fall below zero. */
  private resettling = false;
  /**
   * Set when the stage holds the accounts of one risk partition: its house account is this
   * partition's share of the house (settlement pays this partition's winners from it, so it may go
   * below zero while the shares sum to the house's take), and a replace holds its new order beside
   * the old one until the matching partition closes the old one.
   */
  partitionShare = false;
  /** The current command approved a replace across partitions: both orders stay held for now. */
  private replaceInFlight = false;

  constructor(
    private readonly out: EventOutput,
    private readonly orderIdStride: number,
    orderIdStart: number,
  ) {
    this.orderIdNext = orderIdStart;
    this.accounts.set(HOUSE_ACCOUNT_ID, new RiskAccount(HOUSE_ACCOUNT_ID));
  }

  get orderIdNextValue(): number {
    return this.orderIdNext;
  }

  /** The stage's whole state as plain data. */
  exportState(): RiskSnapshot {
    return {
      orderIdNext: this.orderIdNext,
      netTransfersMinor: this.netTransfersMinor,
      markets: [...this.markets.values()].map((market) => ({
        marketId: market.marketId,
        runnerCount: market.runnerCount,
        ladderId: market.ladder.id,
        minStakeMinor: market.minStakeMinor,
        numberOfWinners: market.numberOfWinners,
        persistenceAllowed: market.persistenceAllowed,
        status: market.status,
      })),
      accounts: [...this.accounts.values()].map((account) => ({
        accountId: account.accountId,
        balanceMinor: account.balanceMinor,
        seq: account.seq,
        limits: account.limits,
        status: account.status,
        limitsSetAtMs: account.limitsSetAtMs,
        lossPeriodIndex: account.lossPeriodIndex,
        lossPeriodResultMinor: account.lossPeriodResultMinor,
        clientOrders: account.clientOrders.entries(),
        transferIds: [...account.transferIds],
        positions: [...account.positions.values()].map((position) => ({
          marketId: position.marketId,
          finished: position.finished,
          settledResultMinor: position.settledResultMinor,
          settledCommissionMinor: position.settledCommissionMinor,
          ifWinMinor: [...position.ifWinMinor],
          ifLoseMinor: [...position.ifLoseMinor],
          openBackMinor: [...position.openBackMinor],
          openLayMinor: [...position.openLayMinor],
        })),
      })),
      orders: [...this.orders.values()].map((order) => ({ ...order })),
    };
  }

  importState(snapshot: RiskSnapshot): void {
    assert(this.markets.size === 0 && this.orders.size === 0, 'a snapshot is imported into an empty stage');
    this.orderIdNext = snapshot.orderIdNext;
    this.netTransfersMinor = snapshot.netTransfersMinor;
    for (const saved of snapshot.markets) {
      const ladder = ladderById(saved.ladderId);
      assert(ladder !== undefined, 'a snapshot names known ladders');
      this.markets.set(saved.marketId, { ...saved, ladder, positions: new Map() });
    }
    this.accounts.clear();
    for (const saved of snapshot.accounts) {
      const account = new RiskAccount(saved.accountId);
      account.balanceMinor = saved.balanceMinor;
      account.seq = saved.seq;
      account.limits = saved.limits;
      account.status = saved.status ?? 'active';
      account.limitsSetAtMs = saved.limitsSetAtMs;
      account.lossPeriodIndex = saved.lossPeriodIndex;
      account.lossPeriodResultMinor = saved.lossPeriodResultMinor;
      for (const [id, encoded] of saved.clientOrders) account.clientOrders.set(id, encoded);
      for (const id of saved.transferIds) account.transferIds.add(id);
      for (const savedPosition of saved.positions) {
        const market = this.markets.get(savedPosition.marketId);
        assert(market !== undefined, 'a position is on a known market');
        const position = new Position(account.accountId, market.marketId, market.runnerCount, market.numberOfWinners);
        position.finished = savedPosition.finished;
        position.settledResultMinor = savedPosition.settledResultMinor;
        position.settledCommissionMinor = savedPosition.settledCommissionMinor;
        position.ifWinMinor.set(savedPosition.ifWinMinor);
        position.ifLoseMinor.set(savedPosition.ifLoseMinor);
        position.openBackMinor.set(savedPosition.openBackMinor);
        position.openLayMinor.set(savedPosition.openLayMinor);
        position.refreshExposure();
        account.exposureMinor += position.exposureMinor;
        account.positions.set(market.marketId, position);
        market.positions.set(account.accountId, position);
      }
      this.accounts.set(account.accountId, account);
    }
    for (const saved of snapshot.orders) {
      this.orders.set(saved.orderId, { ...saved });
      (this.accounts.get(saved.accountId) as RiskAccount).openOrders++;
    }
  }

  beginCommand(commandSeq: number, timestampMs: number): void {
    this.commandSeq = commandSeq;
    this.nowMs = timestampMs;
  }

  private touchPosition(position: Position): void {
    if (position.touchedInCommand === this.commandSeq) return;
    position.touchedInCommand = this.commandSeq;
    position.exposureBeforeMinor = position.exposureMinor;
    position.escrowBeforeMinor = position.escrowMinor();
    this.touchedPositions[this.touchedPositionCount++] = position;
  }

  /**
   * Emits PositionUpdated for every position and AccountUpdated for every account whose figures
   * this command changed.
   */
  endCommand(): void {
    const positionCount = this.touchedPositionCount;
    if (positionCount > 0) {
      if (positionCount > 1) sortPrefix(this.touchedPositions, positionCount, byAccountThenMarket);
      for (let i = 0; i < positionCount; i++) {
        const position = this.touchedPositions[i] as Position;
        const escrowMinor = position.escrowMinor();
        if (position.exposureMinor === position.exposureBeforeMinor && escrowMinor === position.escrowBeforeMinor) continue;
        const account = this.accounts.get(position.accountId) as RiskAccount;
        this.out.emit({
          type: 'PositionUpdated',
          accountId: position.accountId,
          seq: ++account.seq,
          marketId: position.marketId,
          exposureMinor: position.exposureMinor,
          escrowMinor,
        });
      }
      this.touchedPositionCount = 0;
    }
    const accountCount = this.touchedCount;
    if (accountCount === 0) {
      this.resettling = false;
      this.replaceInFlight = false;
      return;
    }
    if (accountCount > 1) sortPrefix(this.touched, accountCount, byAccount);
    for (let i = 0; i < accountCount; i++) {
      const account = this.touched[i] as RiskAccount;
      const availableBeforeMinor = account.balanceBeforeMinor - account.exposureBeforeMinor;
      const allowed =
        this.resettling ||
        this.replaceInFlight ||
        (this.partitionShare && account.accountId === HOUSE_ACCOUNT_ID) ||
        account.availableMinor >= Math.min(0, availableBeforeMinor);
      if (!allowed) assert(false, `account ${account.accountId}: only a resettlement takes available below zero, or lower once it is`);
      if (account.balanceMinor !== account.balanceBeforeMinor || account.exposureMinor !== account.exposureBeforeMinor) {
        this.out.emit({
          type: 'AccountUpdated',
          accountId: account.accountId,
          seq: ++account.seq,
          balanceMinor: account.balanceMinor,
          exposureMinor: account.exposureMinor,
          availableMinor: account.availableMinor,
        });
      }
    }
    this.touchedCount = 0;
    this.resettling = false;
    this.replaceInFlight = false;
  }

  private touch(account: RiskAccount): void {
    if (account.touchedInCommand === this.commandSeq) return;
    account.touchedInCommand = this.commandSeq;
    account.balanceBeforeMinor = account.balanceMinor;
    account.exposureBeforeMinor = account.exposureMinor;
    this.touched[this.touchedCount++] = account;
  }

  // ----- Accounts -------------------------------------------------------------------------

  openAccount(accountId: unknown, limits: unknown): RejectCode | null {
    if (!isId(accountId)) return 'invalid_command';
    if (this.accounts.has(accountId)) return 'account_exists';
    const checked = limits === undefined ? {} : asLimits(limits);
    if (checked === null) return 'invalid_limits';
    const account = new RiskAccount(accountId);
    account.limits = checked;
    account.limitsSetAtMs = this.nowMs;
    this.accounts.set(accountId, account);
    this.out.emit({ type: 'AccountOpened', accountId, seq: ++account.seq, limits: checked });
    return null;
  }

  transfer(kind: 'deposit' | 'withdraw', accountId: unknown, transferId: unknown, amountMinor: unknown): RejectCode | null {
    if (!isId(accountId) || typeof transferId !== 'string' || typeof amountMinor !== 'number') return 'invalid_command';
    if (transferId.length < 1 || transferId.length > TRANSFER_ID_LENGTH_MAX) return 'invalid_command';
    const account = this.accounts.get(accountId);
    if (account === undefined || accountId === HOUSE_ACCOUNT_ID) return 'unknown_account';
    if (!Number.isSafeInteger(amountMinor) || amountMinor < 1 || amountMinor > TRANSFER_MINOR_MAX) return 'invalid_amount';
    if (account.transferIds.has(transferId)) return 'duplicate_transfer';
    if (kind === 'withdraw' && account.status === 'frozen') return 'account_frozen';
    if (kind === 'deposit') {
      if (account.balanceMinor + amountMinor > BALANCE_MINOR_MAX) return 'balance_limit';
    } else if (amountMinor > account.availableMinor) {
      return 'insufficient_funds';
    }
    this.touch(account);
    account.transferIds.add(transferId);
    const signed = kind === 'deposit' ? amountMinor : -amountMinor;
    account.balanceMinor += signed;
    this.netTransfersMinor += signed;
    this.out.emit({
      type: kind === 'deposit' ? 'FundsDeposited' : 'FundsWithdrawn',
      accountId,
      seq: ++account.seq,
      transferId,
      amountMinor,
      balanceMinor: account.balanceMinor,
    });
    return null;
  }

  setLimits(accountId: unknown, limits: unknown): RejectCode | null {
    if (!isId(accountId)) return 'invalid_command';
    const checked = asLimits(limits);
    if (checked === null) return 'invalid_limits';
    const account = this.accounts.get(accountId);
    if (account === undefined) return 'unknown_account';
    // A change of limits never forgets what was lost in the period in progress: a loss limit set
    // where there was none starts a period with nothing realised; a new amount keeps the period;
    // a new period length starts a period now that carries the realised result so far.
    if (checked.lossLimitMinor !== undefined) {
      if (account.limits.lossLimitMinor === undefined) {
        account.limitsSetAtMs = this.nowMs;
        account.lossPeriodIndex = 0;
        account.lossPeriodResultMinor = 0;
      } else if (checked.lossLimitPeriodMs !== account.limits.lossLimitPeriodMs) {
        this.periodResult(account);
        account.limitsSetAtMs = this.nowMs;
        account.lossPeriodIndex = 0;
      }
    }
    account.limits = checked;
    this.out.emit({ type: 'AccountLimitsSet', accountId, seq: ++account.seq, limits: checked });
    return null;
  }

  /**
   * Sets the account's trading status. The caller cancels a frozen account's open orders after
   * this returns null.
   */
  setAccountStatus(accountId: unknown, status: unknown): RejectCode | null {
    if (!isId(accountId) || (status !== 'active' && status !== 'suspended' && status !== 'frozen')) return 'invalid_command';
    const account = this.accounts.get(accountId);
    if (account === undefined) return 'unknown_account';
    account.status = status;
    this.out.emit({ type: 'AccountStatusSet', accountId, seq: ++account.seq, status });
    return null;
  }

  accountExists(accountId: unknown): boolean {
    return isId(accountId) && this.accounts.has(accountId);
  }

  // ----- Orders (R1) ----------------------------------------------------------------------

  /**
   * Returns the earlier result when the client order id was used before by this account, so that
   * the caller can answer OrderDuplicate; undefined for a new id.
   */
  duplicateOf(account: RiskAccount, clientOrderId: string): ClientOrderResult | undefined {
    const encoded = account.clientOrders.get(clientOrderId);
    return encoded === undefined ? undefined : decodeResult(encoded);
  }

  /** Records a rejected instruction and emits OrderRejected. */
  reject(
    accountId: AccountId,
    instruction: InstructionKind,
    instructionIndex: number,
    marketId: MarketId,
    clientOrderId: string | null,
    orderId: OrderId | null,
    code: RejectCode,
  ): void {
    const account = this.accounts.get(accountId);
    assert(account !== undefined, 'rejections are recorded on existing accounts');
    if (clientOrderId !== null && instruction !== 'cancel' && code !== 'invalid_command') {
      account.clientOrders.set(clientOrderId, encodeResult(null, code));
    }
    this.out.emit({
      type: 'OrderRejected',
      accountId,
      seq: ++account.seq,
      instruction,
      instructionIndex,
      marketId,
      clientOrderId,
      orderId,
      code,
    });
  }

  /**
   * Checks one instruction against the account's rules, leaving its tentative effect on the
   * positions recorded in `changes` (applied already). Returns a reject code or null.
   */
  check(
    account: RiskAccount,
    instruction: PlaceInstruction | CancelInstruction | ReplaceInstruction,
    changes: OpenChanges,
    openOrdersDelta: { value: number },
  ): RejectCode | null {
    switch (instruction.kind) {
      case 'place':
        return this.checkPlace(account, instruction, changes, openOrdersDelta);
      case 'cancel':
        return this.checkCancel(account, instruction, changes, openOrdersDelta);
      case 'replace':
        return this.checkReplace(account, instruction, changes);
    }
  }

  private checkPlace(
    account: RiskAccount,
    place: PlaceInstruction,
    changes: OpenChanges,
    openOrdersDelta: { value: number },
  ): RejectCode | null {
    const tradingCode = tradingStatusRejectCode(account.status);
    if (tradingCode !== null) return tradingCode;
    const market = this.markets.get(place.marketId);
    if (market === undefined) return 'unknown_market';
    if (!Number.isInteger(place.runnerIndex) || place.runnerIndex < 0 || place.runnerIndex >= market.runnerCount) {
      return 'invalid_runner';
    }
    if (!isTick(market.ladder, place.priceTicks)) return 'invalid_price';
    const stake = place.stakeMinor;
    if (!Number.isSafeInteger(stake) || stake < 1 || stake > STAKE_MINOR_MAX) return 'invalid_stake';
    const timeInForce = place.timeInForce ?? 'gtc';
    if (place.minFillMinor !== undefined) {
      const minFill = place.minFillMinor;
      if (timeInForce !== 'ioc' || !Number.isSafeInteger(minFill) || minFill < 1 || minFill > stake) {
        return 'invalid_min_fill';
      }
    }
    if (place.persistence === 'persist' && !market.persistenceAllowed) return 'persistence_not_allowed';
    if (stake < market.minStakeMinor) return 'stake_below_minimum';
    const stakeMax = account.limits.stakeMinorMax;
    if (stakeMax !== undefined && stake > stakeMax) return 'stake_above_maximum';
    const openOrdersMax = account.limits.openOrdersMax ?? OPEN_ORDERS_PER_ACCOUNT_DEFAULT;
    if (account.openOrders + openOrdersDelta.value >= openOrdersMax) return 'too_many_open_orders';
    const statusCode = marketStatusRejectCode(market.status);
    if (statusCode !== null) return statusCode;
    const position = this.positionOf(account, market);
    const priceX100 = priceX100OfTick(market.ladder, place.priceTicks);
    const isBack = place.side === 'back';
    const marketBeforeMinor = this.beginFundsCheck(account, position);
    this.change(changes, position, place.runnerIndex, isBack, stake, priceX100, 1);
    const code = this.fundsCheck(account, position, marketBeforeMinor);
    if (code === null) {
      openOrdersDelta.value++;
      if (this.tentativeOrdersKept) {
        this.rememberTentativeOrder(
          account,
          place.marketId,
          place.runnerIndex,
          isBack,
          priceX100,
          stake,
          place.persistence === 'persist',
          place.postOnly ?? false,
          SELF_TRADE_CODES[place.selfTrade ?? 'cancel_newest'],
        );
      }
    }
    return code;
  }

  /**
   * While a batch is checked, the orders its earlier places and replaces will create, under the
   * ids they will get (ids are given in instruction order), so later instructions may name them.
   */
  private readonly tentativeNewOrders = new Map<OrderId, RiskOrder>();
  /**
   * Whether checks record tentativeNewOrders and tentativeRemainingMinor: only while an
   * all-or-none batch is checked, the one check in which a later instruction may name an order an
   * earlier one creates, cancels or replaces.
   */
  private tentativeOrdersKept = false;

  /** The next checks are of one all-or-none batch, until undo. */
  beginBatchCheck(): void {
    this.tentativeOrdersKept = true;
  }

  private rememberTentativeOrder(
    account: RiskAccount,
    marketId: MarketId,
    runnerIndex: RunnerIndex,
    isBack: boolean,
    priceX100: number,
    remainingMinor: number,
    persist: boolean,
    postOnly: boolean,
    selfTrade: SelfTradeCode,
  ): void {
    const orderId = this.orderIdNext + this.tentativeNewOrders.size * this.orderIdStride;
    this.tentativeNewOrders.set(orderId, { orderId, accountId: account.accountId, marketId, runnerIndex, isBack, priceX100, remainingMinor, persist, postOnly, selfTrade });
  }

  private checkCancel(
    account: RiskAccount,
    cancel: CancelInstruction,
    changes: OpenChanges,
    openOrdersDelta: { value: number },
  ): RejectCode | null {
    if (!this.markets.has(cancel.marketId)) return 'unknown_market';
    const order = this.ownOpenOrder(account, cancel.orderId, cancel.marketId);
    if (order === null) return 'unknown_order';
    const market = this.markets.get(order.marketId);
    assert(market !== undefined, 'an open order has a market');
    const position = this.positionOf(account, market);
    this.touch(account);
    this.touchPosition(position);
    const remaining = this.tentativeRemaining(order);
    const reduceBy = cancel.reduceByMinor;
    const left = reduceBy === undefined || reduceBy >= remaining ? 0 : remaining - reduceBy;
    this.change(changes, position, order.runnerIndex, order.isBack, remaining, order.priceX100, -1);
    this.change(changes, position, order.runnerIndex, order.isBack, left, order.priceX100, 1);
    if (this.tentativeOrdersKept) this.tentativeRemainingMinor.set(order.orderId, left);
    if (left === 0) openOrdersDelta.value--;
    account.exposureMinor += position.refreshExposure();
    return null;
  }

  private checkReplace(account: RiskAccount, replace: ReplaceInstruction, changes: OpenChanges): RejectCode | null {
    const tradingCode = tradingStatusRejectCode(account.status);
    if (tradingCode !== null) return tradingCode;
    if (!this.markets.has(replace.marketId)) return 'unknown_market';
    const order = this.ownOpenOrder(account, replace.orderId, replace.marketId);
    if (order === null) return 'unknown_order';
    const market = this.markets.get(order.marketId);
    assert(market !== undefined, 'an open order has a market');
    if (!isTick(market.ladder, replace.priceTicks)) return 'invalid_price';
    const statusCode = marketStatusRejectCode(market.status);
    if (statusCode !== null) return statusCode;
    const position = this.positionOf(account, market);
    const remaining = this.tentativeRemaining(order);
    const priceX100 = priceX100OfTick(market.ladder, replace.priceTicks);
    if (this.tentativeOrdersKept) this.tentativeRemainingMinor.set(order.orderId, 0);
    const marketBeforeMinor = this.beginFundsCheck(account, position);
    this.change(changes, position, order.runnerIndex, order.isBack, remaining, order.priceX100, -1);
    this.change(changes, position, order.runnerIndex, order.isBack, remaining, priceX100, 1);
    const code = this.fundsCheck(account, position, marketBeforeMinor);
    if (code === null && this.tentativeOrdersKept) {
      this.rememberTentativeOrder(account, order.marketId, order.runnerIndex, order.isBack, priceX100, remaining, order.persist, order.postOnly, order.selfTrade);
    }
    return code;
  }

  /** Before a tentative change: touches the account and position; returns the market's exposure. */
  private beginFundsCheck(account: RiskAccount, position: Position): number {
    this.touch(account);
    this.touchPosition(position);
    return position.exposureMinor;
  }

  /** After a tentative change: checks funds and limits if it raised the market's exposure. */
  private fundsCheck(account: RiskAccount, position: Position, marketBefore: number): RejectCode | null {
    const change = position.refreshExposure();
    account.exposureMinor += change;
    if (position.exposureMinor <= marketBefore) return null;
    if (account.balanceMinor - account.exposureMinor < 0) return 'insufficient_funds';
    const marketMax = account.limits.marketExposureMinorMax;
    if (marketMax !== undefined && position.exposureMinor > marketMax) return 'market_exposure_limit';
    const lossLimit = account.limits.lossLimitMinor;
    if (lossLimit !== undefined) {
      const realisedLoss = Math.max(0, -this.periodResult(account));
      if (realisedLoss + account.exposureMinor > lossLimit) return 'loss_limit_exceeded';
    }
    return null;
  }

  private periodResult(account: RiskAccount): number {
    const periodMs = account.limits.lossLimitPeriodMs;
    if (periodMs === undefined) return account.lossPeriodResultMinor;
    const index = divFloor(this.nowMs - account.limitsSetAtMs, periodMs);
    if (index !== account.lossPeriodIndex) {
      account.lossPeriodIndex = index;
      account.lossPeriodResultMinor = 0;
    }
    return account.lossPeriodResultMinor;
  }

  private change(
    changes: OpenChanges,
    position: Position,
    runnerIndex: number,
    isBack: boolean,
    remainingMinor: number,
    priceX100: number,
    sign: 1 | -1,
  ): void {
    position.addOpen(runnerIndex, isBack, remainingMinor, priceX100, sign);
    changes.push(position, runnerIndex, isBack, remainingMinor, priceX100, sign);
  }

  /** The remaining size of existing orders that earlier instructions of the check cancelled or reduced. */
  private readonly tentativeRemainingMinor = new Map<OrderId, number>();

  private tentativeRemaining(order: RiskOrder): number {
    if (this.tentativeRemainingMinor.size === 0) return order.remainingMinor;
    return this.tentativeRemainingMinor.get(order.orderId) ?? order.remainingMinor;
  }

  private ownOpenOrder(account: RiskAccount, orderId: OrderId, marketId: MarketId): RiskOrder | null {
    const order = this.orders.get(orderId) ?? this.tentativeNewOrders.get(orderId);
    if (order === undefined || order.accountId !== account.accountId || order.marketId !== marketId) return null;
    if (this.tentativeRemaining(order) === 0) return null;
    return order;
  }

  /** Keeps tentative changes as they are (a checked place's worst case becomes its hold). */
  keep(changes: OpenChanges): void {
    if (changes.length > 0) changes.length = 0;
    if (this.tentativeRemainingMinor.size > 0) this.tentativeRemainingMinor.clear();
    if (this.tentativeNewOrders.size > 0) this.tentativeNewOrders.clear();
  }

  /** Undoes tentative changes (newest first) and refreshes the exposures they touched. */
  undo(account: RiskAccount, changes: OpenChanges): void {
    const positions = changes.positions;
    for (let i = changes.length - 1; i >= 0; i--) {
      (positions[i] as Position).addOpen(
        changes.runnerIndexes[i] as number,
        changes.isBacks[i] as boolean,
        changes.remainingsMinor[i] as number,
        changes.pricesX100[i] as number,
        changes.signs[i] === 1 ? -1 : 1,
      );
    }
    for (let i = 0; i < changes.length; i++) {
      account.exposureMinor += (positions[i] as Position).refreshExposure();
    }
    changes.length = 0;
    if (this.tentativeRemainingMinor.size > 0) this.tentativeRemainingMinor.clear();
    if (this.tentativeNewOrders.size > 0) this.tentativeNewOrders.clear();
    this.tentativeOrdersKept = false;
  }

  /**
   * After a successful check and undo: holds a new order for real and returns its id. The open
   * part of cancelled and replaced orders stays held until the matching stage closes them.
   */
  hold(
    account: RiskAccount,
    marketId: MarketId,
    runnerIndex: RunnerIndex,
    isBack: boolean,
    priceTicks: number,
    stakeMinor: number,
    clientOrderId: string,
    persist: boolean,
    postOnly: boolean,
    selfTrade: SelfTradeCode,
    alreadyHeld: boolean,
  ): OrderId {
    const market = this.markets.get(marketId);
    assert(market !== undefined, 'holding an order on an unknown market');
    this.touch(account);
    const orderId = this.orderIdNext;
    this.orderIdNext += this.orderIdStride;
    const priceX100 = priceX100OfTick(market.ladder, priceTicks);
    const order: RiskOrder = {
      orderId,
      accountId: account.accountId,
      marketId,
      runnerIndex,
      isBack,
      priceX100,
      remainingMinor: stakeMinor,
      persist,
      postOnly,
      selfTrade,
    };
    this.orders.set(orderId, order);
    account.openOrders++;
    account.clientOrders.set(clientOrderId, orderId);
    if (!alreadyHeld) {
      const position = this.positionOf(account, market);
      this.touchPosition(position);
      position.addOpen(runnerIndex, isBack, stakeMinor, priceX100, 1);
      account.exposureMinor += position.refreshExposure();
    }
    return orderId;
  }

  /** Builds the hand-off for an instruction that passed its check. */
  approve(account: RiskAccount, instruction: PlaceInstruction | CancelInstruction | ReplaceInstruction, index: number, alreadyHeld = false): ApprovedInstruction {
    switch (instruction.kind) {
      case 'place': {
        const selfTrade = SELF_TRADE_CODES[instruction.selfTrade ?? 'cancel_newest'];
        const persistence = instruction.persistence ?? 'lapse';
        const postOnly = instruction.postOnly ?? false;
        const orderId = this.hold(
          account,
          instruction.marketId,
          instruction.runnerIndex,
          instruction.side === 'back',
          instruction.priceTicks,
          instruction.stakeMinor,
          instruction.clientOrderId,
          persistence === 'persist',
          postOnly,
          selfTrade,
          alreadyHeld,
        );
        return {
          kind: 'place',
          accountId: account.accountId,
          instructionIndex: index,
          orderId,
          clientOrderId: instruction.clientOrderId,
          marketId: instruction.marketId,
          runnerIndex: instruction.runnerIndex,
          side: instruction.side,
          priceTicks: instruction.priceTicks,
          stakeMinor: instruction.stakeMinor,
          persistence,
          timeInForce: instruction.timeInForce ?? 'gtc',
          minFillMinor: instruction.minFillMinor ?? 0,
          postOnly,
          selfTrade,
        };
      }
      case 'cancel':
        return {
          kind: 'cancel',
          accountId: account.accountId,
          instructionIndex: index,
          marketId: instruction.marketId,
          orderId: instruction.orderId,
          reduceByMinor: instruction.reduceByMinor ?? 0,
        };
      case 'replace': {
        if (this.partitionShare) this.replaceInFlight = true;
        const old = this.orders.get(instruction.orderId);
        assert(old !== undefined, 'an approved replace names an open order');
        const market = this.markets.get(old.marketId);
        assert(market !== undefined, 'an open order has a market');
        const newOrderId = this.hold(
          account,
          old.marketId,
          old.runnerIndex,
          old.isBack,
          instruction.priceTicks,
          old.remainingMinor,
          instruction.clientOrderId,
          old.persist,
          old.postOnly,
          old.selfTrade,
          false,
        );
        return {
          kind: 'replace',
          accountId: account.accountId,
          instructionIndex: index,
          marketId: old.marketId,
          orderId: old.orderId,
          newOrderId,
          clientOrderId: instruction.clientOrderId,
          priceTicks: instruction.priceTicks,
        };
      }
    }
  }

  private positionOf(account: RiskAccount, market: RiskMarket): Position {
    let position = account.positions.get(market.marketId);
    if (position === undefined) {
      position = new Position(account.accountId, market.marketId, market.runnerCount, market.numberOfWinners);
      if (market.status === 'settled' || market.status === 'voided') position.finished = true;
      account.positions.set(market.marketId, position);
      market.positions.set(account.accountId, position);
    }
    return position;
  }

  // ----- Matching events (R2) -------------------------------------------------------------

  onMarketEvent(event: MarketEvent): void {
    switch (event.type) {
      case 'MarketCreated': {
        const ladder = ladderById(event.ladderId);
        assert(ladder !== undefined, 'a created market has a known ladder');
        this.markets.set(event.marketId, {
          marketId: event.marketId,
          runnerCount: event.runnerCount,
          ladder,
          minStakeMinor: event.minStakeMinor,
          numberOfWinners: event.numberOfWinners,
          persistenceAllowed: event.persistenceAllowed,
          status: 'open',
          positions: new Map(),
        });
        return;
      }
      case 'MarketSuspended':
        return this.setStatus(event.marketId, 'suspended');
      case 'MarketResumed':
        return this.setStatus(event.marketId, 'open');
      case 'MarketClosed':
        return this.setStatus(event.marketId, 'closed');
      case 'MarketTurnedInPlay':
      case 'MarketBetDelayChanged':
      case 'OrderAccepted':
      case 'OrderDelayed':
      case 'OrderReleased':
        return;
      case 'MarketSettled':
        this.setStatus(event.marketId, 'settled');
        return this.settle(event.marketId, event.winners, event.commissionBps);
      case 'MarketVoided':
        this.setStatus(event.marketId, 'voided');
        return this.finish(event.marketId);
      case 'MarketResettled':
        this.setStatus(event.marketId, event.outcome);
        return this.resettle(event.marketId, event.winners, event.commissionBps);
      case 'OrderMatched':
        this.onFill(event.backOrderId, event.stakeMinor, event.liabilityMinor);
        this.onFill(event.layOrderId, event.stakeMinor, event.liabilityMinor);
        return;
      case 'OrderReduced': {
        const order = this.orders.get(event.orderId);
        assert(order !== undefined, 'a reduced order is open');
        this.setRemaining(order, order.remainingMinor - event.reducedByMinor);
        return;
      }
      case 'OrderClosed': {
        const order = this.orders.get(event.orderId);
        assert(order !== undefined, 'a closed order was open');
        this.setRemaining(order, 0);
        this.orders.delete(order.orderId);
        const account = this.accounts.get(order.accountId) as RiskAccount;
        account.openOrders--;
        return;
      }
      case 'InstructionRefused':
        return this.onRefused(event);
    }
  }

  private setStatus(marketId: MarketId, status: RiskMarket['status']): void {
    const market = this.markets.get(marketId);
    assert(market !== undefined, 'a market event names a known market');
    market.status = status;
  }

  /** R2 in a risk partition: the side of a fill whose order this stage holds. */
  applyFill(orderId: OrderId, stakeMinor: number, liability: number): void {
    this.onFill(orderId, stakeMinor, liability);
  }

  /**
   * R2 in a risk partition: an order reached its market smaller than it is held (a replacement
   * whose original was partly filled while the replace was on its way); holds only its size.
   */
  fitHeld(orderId: OrderId, sizeMinor: number): void {
    const order = this.orders.get(orderId);
    assert(order !== undefined, 'an accepted order is held');
    if (order.remainingMinor > sizeMinor) this.setRemaining(order, sizeMinor);
  }

  private onFill(orderId: OrderId, stakeMinor: number, liability: number): void {
    const order = this.orders.get(orderId);
    assert(order !== undefined, 'a matched order is open');
    assert(order.remainingMinor >= stakeMinor, 'a fill never exceeds the remaining size');
    const account = this.accounts.get(order.accountId) as RiskAccount;
    const position = account.positions.get(order.marketId) as Position;
    this.touch(account);
    this.touchPosition(position);
    position.addOpen(order.runnerIndex, order.isBack, order.remainingMinor, order.priceX100, -1);
    order.remainingMinor -= stakeMinor;
    position.addOpen(order.runnerIndex, order.isBack, order.remainingMinor, order.priceX100, 1);
    position.addMatched(order.runnerIndex, order.isBack, stakeMinor, liability);
    const change = position.refreshExposure();
    assert(change <= 0, 'a fill never raises exposure');
    account.exposureMinor += change;
  }

  private setRemaining(order: RiskOrder, remainingMinor: number): void {
    assert(remainingMinor >= 0 && remainingMinor <= order.remainingMinor, 'open size only goes down');
    const account = this.accounts.get(order.accountId) as RiskAccount;
    const position = account.positions.get(order.marketId) as Position;
    this.touch(account);
    this.touchPosition(position);
    position.addOpen(order.runnerIndex, order.isBack, order.remainingMinor, order.priceX100, -1);
    order.remainingMinor = remainingMinor;
    position.addOpen(order.runnerIndex, order.isBack, remainingMinor, order.priceX100, 1);
    const change = position.refreshExposure();
    assert(change <= 0, 'a cancel never raises exposure');
    account.exposureMinor += change;
  }

  private onRefused(event: Extract<MarketEvent, { type: 'InstructionRefused' }>): void {
    if (event.instruction !== 'cancel') {
      const order = this.orders.get(event.orderId);
      if (order !== undefined && order.accountId === event.accountId) {
        this.setRemaining(order, 0);
        this.orders.delete(order.orderId);
        (this.accounts.get(order.accountId) as RiskAccount).openOrders--;
      }
    }
    const orderId = event.instruction === 'place' ? null : event.orderId;
    this.reject(event.accountId, event.instruction, event.instructionIndex, event.marketId, event.clientOrderId, orderId, event.code);
  }

  private finish(marketId: MarketId): void {
    const market = this.markets.get(marketId) as RiskMarket;
    for (const position of market.positions.values()) {
      const account = this.accounts.get(position.accountId) as RiskAccount;
      this.touch(account);
      this.touchPosition(position);
      position.finished = true;
      account.exposureMinor += position.refreshExposure();
    }
  }

  private settle(marketId: MarketId, winners: readonly DeadHeat[], commissionBps: number): void {
    const market = this.markets.get(marketId) as RiskMarket;
    const house = this.accounts.get(HOUSE_ACCOUNT_ID) as RiskAccount;
    const accountIds = [...market.positions.keys()].sort((a, b) => a - b);
    let resultsSum = 0;
    let commissionSum = 0;
    for (const accountId of accountIds) {
      const position = market.positions.get(accountId) as Position;
      const account = this.accounts.get(accountId) as RiskAccount;
      this.touch(account);
      this.touchPosition(position);
      const result = settledResultMinor(position, winners);
      const commission = result > 0 ? mulDivFloor(result, commissionBps, 10_000) : 0;
      position.finished = true;
      position.settledResultMinor = result - commission;
      position.settledCommissionMinor = commission;
      account.exposureMinor += position.refreshExposure();
      account.balanceMinor += result - commission;
      this.periodResult(account);
      account.lossPeriodResultMinor += result - commission;
      resultsSum += result;
      commissionSum += commission;
      this.out.emit({
        type: 'AccountSettled',
        accountId,
        seq: ++account.seq,
        marketId,
        pnlMinor: result,
        commissionMinor: commission,
        balanceMinor: account.balanceMinor,
      });
    }
    // Results sum to zero or just below (each account's result is rounded down once).
    assert(this.partitionShare || resultsSum <= 0, 'settlement never creates money');
    const houseTakeMinor = commissionSum - resultsSum;
    this.touch(house);
    house.balanceMinor += houseTakeMinor;
    this.out.emit({
      type: 'AccountSettled',
      accountId: HOUSE_ACCOUNT_ID,
      seq: ++house.seq,
      marketId,
      pnlMinor: houseTakeMinor,
      commissionMinor: 0,
      balanceMinor: house.balanceMinor,
    });
  }

  /**
   * Replaces every account's result on a settled or void market (winners null: void). The previous
   * result net of commission is reversed and the new one applied; the house's take moves by the
   * opposite of the accounts' changes, so money is conserved. A balance may go below zero (a
   * clawback): the account then owes the difference and can only lower its risk until deposits
   * or later results repay it.
   */
  private resettle(marketId: MarketId, winners: readonly DeadHeat[] | null, commissionBps: number): void {
    const market = this.markets.get(marketId) as RiskMarket;
    const house = this.accounts.get(HOUSE_ACCOUNT_ID) as RiskAccount;
    const accountIds = [...market.positions.keys()].sort((a, b) => a - b);
    let previousNetSum = 0;
    let netSum = 0;
    let resultsSum = 0;
    this.resettling = true;
    for (const accountId of accountIds) {
      const position = market.positions.get(accountId) as Position;
      const account = this.accounts.get(accountId) as RiskAccount;
      assert(position.finished && position.exposureMinor === 0, 'a resettled position is finished');
      this.touch(account);
      const previousCommission = position.settledCommissionMinor;
      const previousNet = position.settledResultMinor;
      const result = winners === null ? 0 : settledResultMinor(position, winners);
      const commission = result > 0 ? mulDivFloor(result, commissionBps, 10_000) : 0;
      const change = result - commission - previousNet;
      position.settledResultMinor = result - commission;
      position.settledCommissionMinor = commission;
      account.balanceMinor += change;
      this.periodResult(account);
      account.lossPeriodResultMinor += change;
      previousNetSum += previousNet;
      netSum += result - commission;
      resultsSum += result;
      this.out.emit({
        type: 'AccountResettled',
        accountId,
        seq: ++account.seq,
        marketId,
        previousPnlMinor: previousNet + previousCommission,
        previousCommissionMinor: previousCommission,
        pnlMinor: result,
        commissionMinor: commission,
        changeMinor: change,
        balanceMinor: account.balanceMinor,
      });
    }
    assert(this.partitionShare || resultsSum <= 0, 'resettlement never creates money');
    // The house's take from a market is the opposite of the accounts' results net of commission.
    const houseChangeMinor = previousNetSum - netSum;
    this.touch(house);
    house.balanceMinor += houseChangeMinor;
    assert(this.partitionShare || house.balanceMinor >= 0, 'the house balance is never negative');
    this.out.emit({
      type: 'AccountResettled',
      accountId: HOUSE_ACCOUNT_ID,
      seq: ++house.seq,
      marketId,
      previousPnlMinor: -previousNetSum,
      previousCommissionMinor: 0,
      pnlMinor: -netSum,
      commissionMinor: 0,
      changeMinor: houseChangeMinor,
      balanceMinor: house.balanceMinor,
    });
  }

  /** Feeds every account (balances, exposure, limits, positions) into a state hash, in account order. */
  hashAccounts(hasher: StateHasher): void {
    for (const account of this.accounts.values()) {
      hasher.number(account.accountId).number(account.balanceMinor).number(account.exposureMinor);
      hasher.number(account.seq).number(account.openOrders).number(account.clientOrders.size).string(account.status);
      hasher.number(account.limitsSetAtMs).number(account.lossPeriodIndex).number(account.lossPeriodResultMinor);
      for (const position of account.positions.values()) {
        hasher.number(position.marketId).number(position.exposureMinor);
        hasher.number(position.settledResultMinor).number(position.settledCommissionMinor);
        for (let i = 0; i < position.runnerCount; i++) {
          hasher.number(position.ifWinMinor[i] as number).number(position.ifLoseMinor[i] as number);
          hasher.number(position.openBackMinor[i] as number).number(position.openLayMinor[i] as number);
        }
      }
    }
  }
}

/** Sorts items[0, count) by compare: insertion sort for the few a command usually touches. */
function sortPrefix<T>(items: T[], count: number, compare: (a: T, b: T) => number): void {
  if (count > 16) {
    const sorted = items.slice(0, count).sort(compare);
    for (let i = 0; i < count; i++) items[i] = sorted[i] as T;
    return;
  }
  for (let i = 1; i < count; i++) {
    const item = items[i] as T;
    let j = i - 1;
    while (j >= 0 && compare(items[j] as T, item) > 0) {
      items[j + 1] = items[j] as T;
      j--;
    }
    items[j + 1] = item;
  }
}

function byAccountThenMarket(a: Position, b: Position): number {
  return a.accountId - b.accountId || a.marketId - b.marketId;
}

function byAccount(a: RiskAccount, b: RiskAccount): number {
  return a.accountId - b.accountId;
}

/** Why an account in this status may not place or replace an order; null when it may. */
export function tradingStatusRejectCode(status: AccountStatus): RejectCode | null {
  switch (status) {
    case 'active':
      return null;
    case 'suspended':
      return 'account_suspended';
    case 'frozen':
      return 'account_frozen';
  }
}

/**
 * floor(Σ_i ifLose[i] + Σ_w (ifWin[w] − ifLose[w]) × n_w / d_w), one floor over the whole sum,
 * computed exactly over a common denominator.
 */
export function settledResultMinor(position: Position, winners: readonly DeadHeat[]): number {
  let denominator = 1n;
  for (const winner of winners) denominator = lcm(denominator, BigInt(winner.factorDenominator));
  let numerator = 0n;
  for (let i = 0; i < position.runnerCount; i++) numerator += BigInt(position.ifLoseMinor[i] as number) * denominator;
  for (const winner of winners) {
    const i = winner.runnerIndex;
    const delta = BigInt((position.ifWinMinor[i] as number) - (position.ifLoseMinor[i] as number));
    numerator += (delta * BigInt(winner.factorNumerator) * denominator) / BigInt(winner.factorDenominator);
  }
  let quotient = numerator / denominator;
  if (numerator % denominator !== 0n && numerator < 0n) quotient -= 1n;
  const result = Number(quotient);
  assert(Number.isSafeInteger(result), 'a settled result is a safe integer');
  return result;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function lcm(a: bigint, b: bigint): bigint {
  return (a / gcd(a, b)) * b;
}

