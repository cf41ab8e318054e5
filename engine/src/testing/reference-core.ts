// The naive reference implementation of the exchange rules (ARCHITECTURE.md, "Exchange rules").
// It is written to be read, not to be fast: open orders live in one plain array, the book is found
// by filtering and sorting that array, and every exposure is recomputed from scratch from the list
// of fills and open orders each time it is needed. The property tests compare the fast core with it.
//
// Details the specification leaves open, and the plainest choice made here for each:
//
//  1. Validation shape. `invalid_command` means a required field is missing or has the wrong
//     JavaScript type, an enum has an unknown value, an id is not a positive safe integer
//     (`isId`), or an id string has the wrong length (client order id 1–32, transfer id 1–64,
//     void reason 1–200). Value problems with a dedicated code use that code (runner, price,
//     stake, min fill, amount, limits, market definition, settlement).
//  2. Command-level problems of an order command (accountId not an id; Batch mode or
//     instructions malformed, or an instruction that is not an object with a known kind) give a
//     single CommandRejected invalid_command. Everything inside an instruction gives OrderRejected.
//  3. An order command or batch for an account that does not exist gets a single CommandRejected
//     `unknown_account` (there is no account stream to put an OrderRejected on).
//  4. Idempotency records: every place/replace instruction that gets past the invalid_command
//     check for an existing account records its client order id with its result (the order id,
//     or the reject code). invalid_command and unknown_account are not recorded.
//  5. all_or_none batches are tried on a copy of the whole state in which orders rest without
//     matching (each instruction sees the earlier ones' orders, cancels and replaces, no fills);
//     if all pass, the batch is applied for real, instruction by instruction. If one is rejected,
//     the copy is dropped and the instructions are answered in order against the real state:
//     the failing one gets its own code, an instruction whose client order id is already
//     recorded (before the batch or by an earlier instruction of this answer) gets OrderDuplicate,
//     every other one gets `batch_instruction_rejected`; each answered place/replace records its
//     client order id with the code it got. Instructions after the failing one are not checked.
//  6. Transfer ids are unique per account, shared by deposits and withdrawals, and only applied
//     transfers are recorded (a rejected transfer id may be used again).
//     Deposit: invalid_command → unknown_account → invalid_amount → duplicate_transfer →
//     balance_limit. Withdraw: the same with account_frozen, then insufficient_funds (amount >
//     available) last.
//  7. OpenAccount: invalid_command → account_exists → invalid_limits. SetAccountLimits:
//     invalid_command → unknown_account → invalid_limits. Limits are all safe integers;
//     stakeMinorMax, openOrdersMax and lossLimitPeriodMs must be ≥ 1, the others ≥ 0. A
//     SetAccountLimits replaces the whole limits object (an absent field means no limit; the
//     open-order cap is then OPEN_ORDERS_PER_ACCOUNT_DEFAULT). Limits are not checked against
//     orders already open.
//  8. Loss-limit windows are anchored at OpenAccount, at a SetAccountLimits that sets a loss limit
//     where there was none, and at one that changes lossLimitPeriodMs of an existing loss limit;
//     a change of the amount alone keeps the anchor. Without lossLimitPeriodMs the window never
//     ends. The realised net result sums (pnl − commission) of the settlements since the anchor
//     whose command timestamp is in the current window [anchor + k·period, now]; in the first
//     window (k = 0) it adds what was carried over at a period change: the realised net result of
//     the window in progress when the period changed. So no change of limits forgets a loss.
//  9. The house (account 0) cannot be named by any command (0 is not an `isId`), so it never
//     trades; it receives commission and rounding, gets AccountUpdated when its balance changes,
//     and no AccountSettled.
// 10. CreateMarket: invalid_command (marketId, field types) → market_exists →
//     invalid_market_definition (runnerCount 2..RUNNERS_PER_MARKET_MAX, known ladder, minStake
//     1..STAKE_MINOR_MAX, commission 0..COMMISSION_BPS_MAX, numberOfWinners 1..runnerCount − 1).
// 11. Market transitions: Suspend from open; Resume from suspended; TurnInPlay from open or
//     suspended and not yet in play (the status is kept); SetBetDelay only on an in-play market
//     that is open or suspended (it does not move the release time of orders already delayed);
//     Close from open or suspended; Settle from closed; Void from open, suspended or closed;
//     Resettle from settled (new winners, or null to void) or voided (new winners only).
//     Anything else is invalid_transition. A bet delay outside 0..BET_DELAY_MS_MAX is
//     invalid_market_definition. Order of checks: invalid_command → unknown_market → value
//     checks (delay, settlement) → invalid_transition.
// 12. The market's own event (MarketSuspended, MarketTurnedInPlay, MarketClosed, MarketVoided,
//     MarketSettled) comes before the OrderClosed events it causes.
// 13. Settlement: winners must be distinct valid runners with 1 ≤ denominator ≤
//     DEAD_HEAT_DENOMINATOR_MAX and 1 ≤ numerator ≤ denominator; a single-winner market needs a
//     factor sum of exactly 1, a k-winner market a sum ≤ k (an empty list is allowed there).
//     AccountSettled goes to every account with at least one fill on the market, by ascending
//     id, after MarketSettled. Settlement times for the loss limit are the SettleMarket timestamp.
// 14. "Would match on arrival" (post-only and bet delay) means: the opposite side of the runner
//     has a resting order at a crossing price, whoever owns it. A post-only order that would
//     match is closed at once, even on a market with a bet delay (it is never delayed).
//     On arrival the checks run in the order post-only → fill-or-kill → min fill → matching.
//     post-only may be combined with any time in force.
// 15. Self-trade prevention follows the incoming order's mode. Under cancel_both the resting order
//     is closed first, then the incoming one.
// 16. A cancel (or replace) names an open order of the account on the named market; anything
//     else (unknown id, another account's order, a closed order, another market) is
//     unknown_order. Cancel checks: invalid_command (reduceByMinor, when present, must be a
//     safe integer ≥ 1) → unknown_account → unknown_market → unknown_order. No market-state
//     check is needed: open orders exist only on open or suspended markets, where cancels are
//     allowed. Delayed orders may be cancelled, reduced and replaced.
// 17. Replace checks: invalid_command → duplicate → unknown_account → unknown_market →
//     unknown_order → invalid_price → market state → funds.
// 18. MassCancel: accountId, when present, must be an id; runnerIndex needs marketId; an
//     operator cancel (no accountId) needs marketId; unknown account, unknown market and a bad
//     runner give CommandRejected unknown_account / unknown_market / invalid_runner. Closing
//     nothing is not an error.
// 19. AccountUpdated is emitted at the end of a command for each account whose (balance,
//     exposure) differs from before the command (releases of delayed orders included), by
//     ascending id; an account opened by the command counts as (0, 0) before it.
// 20. A released delayed order gets OrderReleased, then arrives at the book as a new order
//     (OrderMatched, OrderClosed) at the start of the command that released them, and take the
//     back of the queue at the time of release.
// 21. The reference never emits InstructionRefused: in-process, the risk stage and the matching
//     stage see the same state, so every refusal is an OrderRejected.
// 22. OrderRejected echoes the instruction's marketId when it is a number (else 0), its client
//     order id when it is a valid one (else null; always null for cancel) and, for cancel and
//     replace, the named order id when it is a number (else null).
// 23. ResettleMarket: invalid_command (marketId, reason 1–200, winners neither null nor an
//     array) → unknown_market → invalid_settlement → invalid_transition. AccountResettled goes to
//     every account with a fill on the market, by ascending id, after MarketResettled; the house
//     gets none (as with AccountSettled). The change counts toward the loss limit at the
//     ResettleMarket timestamp. A balance may go below zero; while available is below zero every
//     order that raises exposure is insufficient_funds, as is every withdrawal.
// 24. SetAccountStatus: invalid_command (accountId, status not active/suspended/frozen) →
//     unknown_account; AccountStatusSet is emitted even when the status does not change. Freezing
//     closes every open order of the account (account_frozen) after AccountStatusSet. A place or
//     replace of a suspended or frozen account is rejected account_suspended / account_frozen
//     right after the duplicate check, before any other rule; cancels and mass cancels work.

import {
  BALANCE_MINOR_MAX,
  BATCH_INSTRUCTIONS_MAX,
  BET_DELAY_MS_MAX,
  CLIENT_ORDER_ID_LENGTH_MAX,
  COMMISSION_BPS_DEFAULT,
  COMMISSION_BPS_MAX,
  DEAD_HEAT_DENOMINATOR_MAX,
  HOUSE_ACCOUNT_ID,
  OPEN_ORDERS_PER_ACCOUNT_DEFAULT,
  REASON_LENGTH_MAX,
  RUNNERS_PER_MARKET_MAX,
  STAKE_MINOR_MAX,
  TRANSFER_ID_LENGTH_MAX,
  TRANSFER_MINOR_MAX,
  assert,
  isId,
  isTick,
  ladderById,
  liabilityMinor,
  mulDivFloor,
  priceX100OfTick,
  type AccountEvent,
  type AccountId,
  type AccountLimits,
  type AccountStatus,
  type CloseReason,
  type CommandEnvelope,
  type DeadHeat,
  type EngineEvent,
  type InstructionKind,
  type Ladder,
  type MarketEvent,
  type MarketId,
  type OrderId,
  type Persistence,
  type RejectCode,
  type RunnerIndex,
  type SelfTradePrevention,
  type Side,
  type TimeInForce,
} from '@playchacha/protocol';
import type { AccountView, ExchangeModel, LevelView, MarketStatus, MarketTradedView, MarketView, OrderView } from '../core/model.js';
import { marketStatusRejectCode } from '../core/model.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type MarketEventBody = DistributiveOmit<MarketEvent, 'marketId' | 'seq'>;
type AccountEventBody = DistributiveOmit<AccountEvent, 'accountId' | 'seq'>;
type Raw = Record<string, unknown>;
type MutableLimits = { -readonly [K in keyof AccountLimits]: AccountLimits[K] };

interface ClientOrderRecord {
  readonly orderId: OrderId | null;
  readonly code: RejectCode | null;
}

interface SettlementRecord {
  readonly timestampMs: number;
  readonly netMinor: number;
}

interface AccountRec {
  readonly accountId: AccountId;
  balanceMinor: number;
  limits: AccountLimits;
  status: AccountStatus;
  lossLimitAnchorMs: number;
  /** Settlements before this index happened before the anchor. */
  lossLimitAnchorIndex: number;
  /** The realised net result carried into the first window at a period change. */
  lossCarriedMinor: number;
  readonly settlements: SettlementRecord[];
  seq: number;
  readonly transferIds: Set<string>;
  readonly clientOrders: Map<string, ClientOrderRecord>;
}

interface MarketRec {
  readonly marketId: MarketId;
  readonly runnerCount: number;
  readonly ladderId: string;
  readonly minStakeMinor: number;
  readonly commissionBps: number;
  readonly numberOfWinners: number;
  readonly persistenceAllowed: boolean;
  status: MarketStatus;
  /** The winners of the current settlement; null unless the market is settled. */
  winners: readonly DeadHeat[] | null;
  inPlay: boolean;
  betDelayMs: number;
  seq: number;
}

type OrderStatus = 'pending' | 'delayed' | 'resting';

interface OrderRec {
  readonly orderId: OrderId;
  readonly accountId: AccountId;
  readonly marketId: MarketId;
  readonly runnerIndex: RunnerIndex;
  readonly side: Side;
  readonly priceTicks: number;
  readonly clientOrderId: string;
  readonly persistence: Persistence;
  readonly timeInForce: TimeInForce;
  readonly minFillMinor: number | null;
  readonly postOnly: boolean;
  readonly selfTrade: SelfTradePrevention;
  readonly sizeMinor: number;
  remainingMinor: number;
  matchedMinor: number;
  cancelledMinor: number;
  status: OrderStatus;
  releaseAtMs: number;
  /** Position in arrival order at the book; set when the order starts to rest. */
  arrival: number;
}

/** The part of an order the exposure formula reads. */
interface OpenPart {
  readonly accountId: AccountId;
  readonly marketId: MarketId;
  readonly runnerIndex: RunnerIndex;
  readonly side: Side;
  readonly priceTicks: number;
  readonly remainingMinor: number;
}

export interface FillView {
  readonly fillId: number;
  readonly marketId: MarketId;
  readonly runnerIndex: RunnerIndex;
  readonly priceTicks: number;
  readonly stakeMinor: number;
  readonly liabilityMinor: number;
  readonly backOrderId: OrderId;
  readonly backAccountId: AccountId;
  readonly layOrderId: OrderId;
  readonly layAccountId: AccountId;
}

interface State {
  readonly accounts: Map<AccountId, AccountRec>;
  readonly markets: Map<MarketId, MarketRec>;
  /** Every open order (pending while it is being processed, delayed, or resting). */
  openOrders: OrderRec[];
  readonly fills: FillView[];
  nextOrderId: number;
  nextFillId: number;
  nextArrival: number;
}

type Outcome =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'rejected'; readonly code: RejectCode };

const ACCEPTED: Outcome = { kind: 'accepted' };
const DUPLICATE: Outcome = { kind: 'duplicate' };
const rejected = (code: RejectCode): Outcome => ({ kind: 'rejected', code });

const SIDES: readonly string[] = ['back', 'lay'];
const PERSISTENCES: readonly string[] = ['lapse', 'persist'];
const TIMES_IN_FORCE: readonly string[] = ['gtc', 'fok', 'ioc'];
const SELF_TRADE_MODES: readonly string[] = ['cancel_newest', 'cancel_oldest', 'cancel_both'];
const INSTRUCTION_KINDS: readonly string[] = ['place', 'cancel', 'replace'];

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= maxLength;
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function isOneOf(value: unknown, allowed: readonly string[]): value is string {
  return typeof value === 'string' && allowed.includes(value);
}

function optional(value: unknown, test: (v: unknown) => boolean): boolean {
  return value === undefined || test(value);
}

function bigFloorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && n < 0n !== d < 0n ? q - 1n : q;
}

function parseLimits(raw: Raw): AccountLimits | null {
  const limits: MutableLimits = {};
  const rules: ReadonlyArray<readonly [keyof AccountLimits, number]> = [
    ['stakeMinorMax', 1],
    ['marketExposureMinorMax', 0],
    ['openOrdersMax', 1],
    ['lossLimitMinor', 0],
    ['lossLimitPeriodMs', 1],
  ];
  for (const [key, min] of rules) {
    const value = raw[key];
    if (value === undefined) continue;
    if (!isIntIn(value, min, Number.MAX_SAFE_INTEGER)) return null;
    limits[key] = value;
  }
  return limits;
}

export class ReferenceCore implements ExchangeModel {
  private state: State;
  private out: EngineEvent[] = [];
  private nowMs = 0;
  private commandSeq = 0;

  constructor() {
    this.state = {
      accounts: new Map(),
      markets: new Map(),
      openOrders: [],
      fills: [],
      nextOrderId: 1,
      nextFillId: 1,
      nextArrival: 1,
    };
    this.state.accounts.set(HOUSE_ACCOUNT_ID, this.newAccount(HOUSE_ACCOUNT_ID, {}));
  }

  // ---------------------------------------------------------------------------------------------
  // ExchangeModel

  apply(envelope: CommandEnvelope): readonly EngineEvent[] {
    this.out = [];
    this.nowMs = envelope.timestampMs;
    this.commandSeq = envelope.seq;
    const before = this.balancesAndExposures();
    this.releaseDelayedOrders();
    this.dispatch(envelope.command as unknown);
    this.emitAccountUpdates(before);
    const events = this.out;
    this.out = [];
    return events;
  }

  accounts(): AccountView[] {
    return [...this.state.accounts.keys()]
      .sort((a, b) => a - b)
      .map((id) => this.account(id))
      .filter((view): view is AccountView => view !== undefined);
  }

  account(accountId: AccountId): AccountView | undefined {
    const account = this.state.accounts.get(accountId);
    if (account === undefined) return undefined;
    const exposureMinor = this.totalExposureMinor(accountId, this.state.openOrders);
    return {
      accountId,
      balanceMinor: account.balanceMinor,
      exposureMinor,
      availableMinor: account.balanceMinor - exposureMinor,
    };
  }

  openOrders(): OrderView[] {
    return [...this.state.openOrders]
      .sort((a, b) => a.orderId - b.orderId)
      .map((order) => ({
        orderId: order.orderId,
        accountId: order.accountId,
        marketId: order.marketId,
        runnerIndex: order.runnerIndex,
        side: order.side,
        priceTicks: order.priceTicks,
        sizeMinor: order.sizeMinor,
        remainingMinor: order.remainingMinor,
        matchedMinor: order.matchedMinor,
        cancelledMinor: order.cancelledMinor,
        delayed: order.status === 'delayed',
      }));
  }

  market(marketId: MarketId): MarketView | undefined {
    const market = this.state.markets.get(marketId);
    if (market === undefined) return undefined;
    return {
      marketId,
      status: market.status,
      inPlay: market.inPlay,
      betDelayMs: market.betDelayMs,
      runnerCount: market.runnerCount,
      seq: market.seq,
    };
  }

  bookSide(marketId: MarketId, runnerIndex: RunnerIndex, side: Side): LevelView[] {
    const resting = this.state.openOrders
      .filter(
        (o) => o.status === 'resting' && o.marketId === marketId && o.runnerIndex === runnerIndex && o.side === side,
      )
      .sort((a, b) => (side === 'back' ? a.priceTicks - b.priceTicks : b.priceTicks - a.priceTicks) || a.arrival - b.arrival);
    const levels: { priceTicks: number; orderIds: OrderId[]; totalMinor: number }[] = [];
    for (const order of resting) {
      const last = levels[levels.length - 1];
      if (last !== undefined && last.priceTicks === order.priceTicks) {
        last.orderIds.push(order.orderId);
        last.totalMinor += order.remainingMinor;
      } else {
        levels.push({ priceTicks: order.priceTicks, orderIds: [order.orderId], totalMinor: order.remainingMinor });
      }
    }
    return levels;
  }

  /** Recomputed from the list of fills: each runner's latest fill price and summed stake. */
  traded(marketId: MarketId): MarketTradedView | undefined {
    const market = this.state.markets.get(marketId);
    if (market === undefined) return undefined;
    const fills = this.state.fills.filter((fill) => fill.marketId === marketId);
    const runners = Array.from({ length: market.runnerCount }, (_, runnerIndex) => {
      const own = fills.filter((fill) => fill.runnerIndex === runnerIndex);
      return {
        runnerIndex,
        lastPriceTicks: own.length === 0 ? null : (own[own.length - 1] as FillView).priceTicks,
        matchedMinor: own.reduce((sum, fill) => sum + fill.stakeMinor, 0),
      };
    });
    return { runners, matchedMinor: fills.reduce((sum, fill) => sum + fill.stakeMinor, 0) };
  }

  // ---------------------------------------------------------------------------------------------
  // Extra read-only views for tests

  /** Every fill so far, by ascending fill id. */
  fills(): FillView[] {
    return this.state.fills.map((fill) => ({ ...fill }));
  }

  /** The ladder of a market, or undefined for an unknown market. */
  ladderOf(marketId: MarketId): Ladder | undefined {
    const market = this.state.markets.get(marketId);
    return market === undefined ? undefined : this.ladder(market);
  }

  numberOfWinners(marketId: MarketId): number | undefined {
    return this.state.markets.get(marketId)?.numberOfWinners;
  }

  /** Every market id, ascending. */
  marketIds(): MarketId[] {
    return [...this.state.markets.keys()].sort((a, b) => a - b);
  }

  /** Checks the reference's own bookkeeping; throws on a violation. */
  checkOwnState(): void {
    const seen = new Set<OrderId>();
    for (const order of this.state.openOrders) {
      assert(!seen.has(order.orderId), `order ${order.orderId} is open twice`);
      seen.add(order.orderId);
      assert(order.status !== 'pending', `order ${order.orderId} was left pending`);
      assert(order.remainingMinor > 0, `open order ${order.orderId} has nothing remaining`);
      assert(
        order.sizeMinor === order.remainingMinor + order.matchedMinor + order.cancelledMinor,
        `order ${order.orderId}: size ≠ remaining + matched + cancelled`,
      );
      const market = this.state.markets.get(order.marketId);
      assert(market !== undefined, `order ${order.orderId} is on an unknown market`);
      assert(market.status === 'open' || market.status === 'suspended', `order ${order.orderId} open on a ${market.status} market`);
      if (order.status === 'delayed') assert(market.status === 'open', `delayed order ${order.orderId} on a suspended market`);
    }
    for (const marketId of this.marketIds()) {
      const market = this.state.markets.get(marketId);
      assert(market !== undefined, 'market vanished');
      for (let runner = 0; runner < market.runnerCount; runner += 1) {
        for (const side of ['back', 'lay'] as const) {
          const resting = this.state.openOrders.filter(
            (o) => o.status === 'resting' && o.marketId === marketId && o.runnerIndex === runner && o.side === side,
          );
          for (const a of resting) {
            for (const b of resting) {
              if (a.priceTicks === b.priceTicks && a.orderId !== b.orderId) {
                assert(a.arrival !== b.arrival, `orders ${a.orderId} and ${b.orderId} share an arrival`);
              }
            }
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  private dispatch(command: unknown): void {
    if (!isRecord(command) || typeof command.type !== 'string') {
      this.rejectCommand('unknown', 'invalid_command');
      return;
    }
    switch (command.type) {
      case 'OpenAccount':
        return this.openAccount(command);
      case 'Deposit':
        return this.deposit(command);
      case 'Withdraw':
        return this.withdraw(command);
      case 'SetAccountLimits':
        return this.setAccountLimits(command);
      case 'SetAccountStatus':
        return this.setAccountStatus(command);
      case 'CreateMarket':
        return this.createMarket(command);
      case 'SuspendMarket':
      case 'ResumeMarket':
      case 'CloseMarket':
        return this.simpleTransition(command);
      case 'TurnInPlay':
      case 'SetBetDelay':
        return this.betDelayCommand(command);
      case 'SettleMarket':
        return this.settleMarket(command);
      case 'VoidMarket':
        return this.voidMarket(command);
      case 'ResettleMarket':
        return this.resettleMarket(command);
      case 'PlaceOrder':
      case 'CancelOrder':
      case 'ReplaceOrder':
        return this.singleInstruction(command);
      case 'Batch':
        return this.batch(command);
      case 'MassCancel':
        return this.massCancel(command);
      case 'Clock':
        return;
      default:
        this.rejectCommand(command.type, 'invalid_command');
    }
  }

  private openAccount(command: Raw): void {
    if (!isId(command.accountId) || !optional(command.limits, isRecord)) {
      return this.rejectCommand('OpenAccount', 'invalid_command');
    }
    if (this.state.accounts.has(command.accountId)) return this.rejectCommand('OpenAccount', 'account_exists');
    const limits = command.limits === undefined ? {} : parseLimits(command.limits as Raw);
    if (limits === null) return this.rejectCommand('OpenAccount', 'invalid_limits');
    const account = this.newAccount(command.accountId, limits);
    this.state.accounts.set(account.accountId, account);
    this.emitAccount(account, { type: 'AccountOpened', limits });
  }

  private deposit(command: Raw): void {
    const checked = this.checkTransfer('Deposit', command);
    if (checked === null) return;
    const { account, transferId, amountMinor } = checked;
    if (account.balanceMinor + amountMinor > BALANCE_MINOR_MAX) return this.rejectCommand('Deposit', 'balance_limit');
    account.transferIds.add(transferId);
    account.balanceMinor += amountMinor;
    this.emitAccount(account, { type: 'FundsDeposited', transferId, amountMinor, balanceMinor: account.balanceMinor });
  }

  private withdraw(command: Raw): void {
    const checked = this.checkTransfer('Withdraw', command);
    if (checked === null) return;
    const { account, transferId, amountMinor } = checked;
    const available = account.balanceMinor - this.totalExposureMinor(account.accountId, this.state.openOrders);
    if (account.status === 'frozen') return this.rejectCommand('Withdraw', 'account_frozen');
    if (amountMinor > available) return this.rejectCommand('Withdraw', 'insufficient_funds');
    account.transferIds.add(transferId);
    account.balanceMinor -= amountMinor;
    this.emitAccount(account, { type: 'FundsWithdrawn', transferId, amountMinor, balanceMinor: account.balanceMinor });
  }

  private checkTransfer(
    type: 'Deposit' | 'Withdraw',
    command: Raw,
  ): { account: AccountRec; transferId: string; amountMinor: number } | null {
    const { accountId, transferId, amountMinor } = command;
    if (!isId(accountId) || !isText(transferId, TRANSFER_ID_LENGTH_MAX) || typeof amountMinor !== 'number') {
      this.rejectCommand(type, 'invalid_command');
      return null;
    }
    const account = this.state.accounts.get(accountId);
    if (account === undefined) {
      this.rejectCommand(type, 'unknown_account');
      return null;
    }
    if (!isIntIn(amountMinor, 1, TRANSFER_MINOR_MAX)) {
      this.rejectCommand(type, 'invalid_amount');
      return null;
    }
    if (account.transferIds.has(transferId)) {
      this.rejectCommand(type, 'duplicate_transfer');
      return null;
    }
    return { account, transferId, amountMinor };
  }

  private setAccountLimits(command: Raw): void {
    if (!isId(command.accountId) || !isRecord(command.limits)) {
      return this.rejectCommand('SetAccountLimits', 'invalid_command');
    }
    const account = this.state.accounts.get(command.accountId);
    if (account === undefined) return this.rejectCommand('SetAccountLimits', 'unknown_account');
    const limits = parseLimits(command.limits);
    if (limits === null) return this.rejectCommand('SetAccountLimits', 'invalid_limits');
    if (limits.lossLimitMinor !== undefined) {
      if (account.limits.lossLimitMinor === undefined) {
        this.anchorLossWindow(account, 0);
      } else if (limits.lossLimitPeriodMs !== account.limits.lossLimitPeriodMs) {
        this.anchorLossWindow(account, this.realisedNetMinor(account));
      }
    }
    account.limits = limits;
    this.emitAccount(account, { type: 'AccountLimitsSet', limits });
  }

  private anchorLossWindow(account: AccountRec, carriedMinor: number): void {
    account.lossLimitAnchorMs = this.nowMs;
    account.lossLimitAnchorIndex = account.settlements.length;
    account.lossCarriedMinor = carriedMinor;
  }

  private setAccountStatus(command: Raw): void {
    const status = command.status;
    if (!isId(command.accountId) || !isOneOf(status, ['active', 'suspended', 'frozen'])) {
      return this.rejectCommand('SetAccountStatus', 'invalid_command');
    }
    const account = this.state.accounts.get(command.accountId);
    if (account === undefined) return this.rejectCommand('SetAccountStatus', 'unknown_account');
    account.status = status as AccountStatus;
    this.emitAccount(account, { type: 'AccountStatusSet', status: account.status });
    if (account.status === 'frozen') this.closeOrdersWhere((o) => o.accountId === account.accountId, 'account_frozen');
  }

  private createMarket(command: Raw): void {
    const c = command;
    const typesOk =
      isId(c.marketId) &&
      typeof c.runnerCount === 'number' &&
      optional(c.ladderId, (v) => typeof v === 'string') &&
      optional(c.minStakeMinor, (v) => typeof v === 'number') &&
      optional(c.commissionBps, (v) => typeof v === 'number') &&
      optional(c.numberOfWinners, (v) => typeof v === 'number') &&
      optional(c.persistenceAllowed, (v) => typeof v === 'boolean');
    if (!typesOk || !isId(c.marketId)) return this.rejectCommand('CreateMarket', 'invalid_command');
    if (this.state.markets.has(c.marketId)) return this.rejectCommand('CreateMarket', 'market_exists');
    const runnerCount = c.runnerCount as number;
    const ladderId = (c.ladderId as string | undefined) ?? 'standard';
    const minStakeMinor = (c.minStakeMinor as number | undefined) ?? 1;
    const commissionBps = (c.commissionBps as number | undefined) ?? COMMISSION_BPS_DEFAULT;
    const numberOfWinners = (c.numberOfWinners as number | undefined) ?? 1;
    const persistenceAllowed = (c.persistenceAllowed as boolean | undefined) ?? true;
    const valid =
      isIntIn(runnerCount, 2, RUNNERS_PER_MARKET_MAX) &&
      ladderById(ladderId) !== undefined &&
      isIntIn(minStakeMinor, 1, STAKE_MINOR_MAX) &&
      isIntIn(commissionBps, 0, COMMISSION_BPS_MAX) &&
      isIntIn(numberOfWinners, 1, runnerCount - 1);
    if (!valid) return this.rejectCommand('CreateMarket', 'invalid_market_definition');
    const market: MarketRec = {
      marketId: c.marketId,
      runnerCount,
      ladderId,
      minStakeMinor,
      commissionBps,
      numberOfWinners,
      persistenceAllowed,
      status: 'open',
      winners: null,
      inPlay: false,
      betDelayMs: 0,
      seq: 0,
    };
    this.state.markets.set(market.marketId, market);
    this.emitMarket(market, {
      type: 'MarketCreated',
      runnerCount,
      ladderId,
      minStakeMinor,
      commissionBps,
      numberOfWinners,
      persistenceAllowed,
    });
  }

  /** SuspendMarket, ResumeMarket, CloseMarket. */
  private simpleTransition(command: Raw): void {
    const type = command.type as 'SuspendMarket' | 'ResumeMarket' | 'CloseMarket';
    if (!isId(command.marketId)) return this.rejectCommand(type, 'invalid_command');
    const market = this.state.markets.get(command.marketId);
    if (market === undefined) return this.rejectCommand(type, 'unknown_market');
    if (type === 'SuspendMarket') {
      if (market.status !== 'open') return this.rejectCommand(type, 'invalid_transition');
      market.status = 'suspended';
      this.emitMarket(market, { type: 'MarketSuspended' });
      this.closeOrdersWhere((o) => o.marketId === market.marketId && o.status === 'delayed', 'lapsed_suspended');
    } else if (type === 'ResumeMarket') {
      if (market.status !== 'suspended') return this.rejectCommand(type, 'invalid_transition');
      market.status = 'open';
      this.emitMarket(market, { type: 'MarketResumed' });
    } else {
      if (market.status !== 'open' && market.status !== 'suspended') return this.rejectCommand(type, 'invalid_transition');
      market.status = 'closed';
      this.emitMarket(market, { type: 'MarketClosed' });
      this.closeOrdersWhere((o) => o.marketId === market.marketId, 'market_closed');
    }
  }

  /** TurnInPlay, SetBetDelay. */
  private betDelayCommand(command: Raw): void {
    const type = command.type as 'TurnInPlay' | 'SetBetDelay';
    if (!isId(command.marketId) || typeof command.betDelayMs !== 'number') {
      return this.rejectCommand(type, 'invalid_command');
    }
    const market = this.state.markets.get(command.marketId);
    if (market === undefined) return this.rejectCommand(type, 'unknown_market');
    const betDelayMs = command.betDelayMs;
    if (!isIntIn(betDelayMs, 0, BET_DELAY_MS_MAX)) return this.rejectCommand(type, 'invalid_market_definition');
    const live = market.status === 'open' || market.status === 'suspended';
    if (type === 'TurnInPlay') {
      if (!live || market.inPlay) return this.rejectCommand(type, 'invalid_transition');
      market.inPlay = true;
      market.betDelayMs = betDelayMs;
      this.emitMarket(market, { type: 'MarketTurnedInPlay', betDelayMs });
      this.closeOrdersWhere((o) => o.marketId === market.marketId && o.persistence === 'lapse', 'lapsed_in_play');
    } else {
      if (!live || !market.inPlay) return this.rejectCommand(type, 'invalid_transition');
      market.betDelayMs = betDelayMs;
      this.emitMarket(market, { type: 'MarketBetDelayChanged', betDelayMs });
    }
  }

  private voidMarket(command: Raw): void {
    if (!isId(command.marketId) || !isText(command.reason, REASON_LENGTH_MAX)) {
      return this.rejectCommand('VoidMarket', 'invalid_command');
    }
    const market = this.state.markets.get(command.marketId);
    if (market === undefined) return this.rejectCommand('VoidMarket', 'unknown_market');
    if (market.status === 'settled' || market.status === 'voided') return this.rejectCommand('VoidMarket', 'invalid_transition');
    market.status = 'voided';
    this.emitMarket(market, { type: 'MarketVoided', reason: command.reason });
    this.closeOrdersWhere((o) => o.marketId === market.marketId, 'market_voided');
  }

  private settleMarket(command: Raw): void {
    if (!isId(command.marketId) || !Array.isArray(command.winners)) {
      return this.rejectCommand('SettleMarket', 'invalid_command');
    }
    const market = this.state.markets.get(command.marketId);
    if (market === undefined) return this.rejectCommand('SettleMarket', 'unknown_market');
    const winners = this.parseWinners(market, command.winners as unknown[]);
    if (winners === null) return this.rejectCommand('SettleMarket', 'invalid_settlement');
    if (market.status !== 'closed') return this.rejectCommand('SettleMarket', 'invalid_transition');

    // Each account's result, held before the market leaves the exposure sum.
    const fills = this.state.fills.filter((f) => f.marketId === market.marketId);
    const accountIds = [...new Set(fills.flatMap((f) => [f.backAccountId, f.layAccountId]))].sort((a, b) => a - b);
    const results = accountIds.map((accountId) => {
      const heldMinor = this.marketExposureMinor(accountId, market, this.state.openOrders);
      const resultMinor = this.settlementResultMinor(accountId, market, winners);
      assert(resultMinor >= -heldMinor, `account ${accountId} settles below the worst case it held`);
      return { accountId, resultMinor };
    });

    market.status = 'settled';
    market.winners = winners;
    this.emitMarket(market, {
      type: 'MarketSettled',
      winners: winners.map((w) => ({ ...w })),
      commissionBps: market.commissionBps,
    });
    let resultsSumMinor = 0;
    let commissionSumMinor = 0;
    for (const { accountId, resultMinor } of results) {
      const account = this.state.accounts.get(accountId);
      assert(account !== undefined, `settling unknown account ${accountId}`);
      const commissionMinor = resultMinor > 0 ? mulDivFloor(resultMinor, market.commissionBps, 10_000) : 0;
      account.balanceMinor += resultMinor - commissionMinor;
      account.settlements.push({ timestampMs: this.nowMs, netMinor: resultMinor - commissionMinor });
      resultsSumMinor += resultMinor;
      commissionSumMinor += commissionMinor;
      this.emitAccount(account, {
        type: 'AccountSettled',
        marketId: market.marketId,
        pnlMinor: resultMinor,
        commissionMinor,
        balanceMinor: account.balanceMinor,
      });
    }
    assert(resultsSumMinor <= 0, 'settlement results sum above zero');
    const house = this.state.accounts.get(HOUSE_ACCOUNT_ID);
    assert(house !== undefined, 'the house account is missing');
    house.balanceMinor += commissionSumMinor - resultsSumMinor;
  }

  /**
   * Every account with a fill on the market gets its result under the new winners (0 when the
   * market becomes void) in place of its result under the old ones, both net of commission; the
   * house's balance moves by the opposite of their sum.
   */
  private resettleMarket(command: Raw): void {
    if (!isId(command.marketId) || !isText(command.reason, REASON_LENGTH_MAX) || (command.winners !== null && !Array.isArray(command.winners))) {
      return this.rejectCommand('ResettleMarket', 'invalid_command');
    }
    const market = this.state.markets.get(command.marketId);
    if (market === undefined) return this.rejectCommand('ResettleMarket', 'unknown_market');
    const winners = command.winners === null ? null : this.parseWinners(market, command.winners as unknown[]);
    if (command.winners !== null && winners === null) return this.rejectCommand('ResettleMarket', 'invalid_settlement');
    if (market.status !== 'settled' && market.status !== 'voided') return this.rejectCommand('ResettleMarket', 'invalid_transition');
    if (winners === null && market.status === 'voided') return this.rejectCommand('ResettleMarket', 'invalid_transition');

    const netOf = (accountId: AccountId, under: readonly DeadHeat[] | null): { pnlMinor: number; commissionMinor: number } => {
      if (under === null) return { pnlMinor: 0, commissionMinor: 0 };
      const pnlMinor = this.settlementResultMinor(accountId, market, under);
      return { pnlMinor, commissionMinor: pnlMinor > 0 ? mulDivFloor(pnlMinor, market.commissionBps, 10_000) : 0 };
    };
    const previousOutcome = market.status;
    const previousWinners = market.winners;
    market.status = winners === null ? 'voided' : 'settled';
    market.winners = winners;
    this.emitMarket(market, {
      type: 'MarketResettled',
      previousOutcome,
      outcome: market.status,
      winners: winners === null ? null : winners.map((w) => ({ ...w })),
      commissionBps: market.commissionBps,
      reason: command.reason,
    });
    const fills = this.state.fills.filter((f) => f.marketId === market.marketId);
    const accountIds = [...new Set(fills.flatMap((f) => [f.backAccountId, f.layAccountId]))].sort((a, b) => a - b);
    let changeSumMinor = 0;
    for (const accountId of accountIds) {
      const account = this.state.accounts.get(accountId);
      assert(account !== undefined, `resettling unknown account ${accountId}`);
      const before = netOf(accountId, previousWinners);
      const after = netOf(accountId, winners);
      const changeMinor = after.pnlMinor - after.commissionMinor - (before.pnlMinor - before.commissionMinor);
      account.balanceMinor += changeMinor;
      account.settlements.push({ timestampMs: this.nowMs, netMinor: changeMinor });
      changeSumMinor += changeMinor;
      this.emitAccount(account, {
        type: 'AccountResettled',
        marketId: market.marketId,
        previousPnlMinor: before.pnlMinor,
        previousCommissionMinor: before.commissionMinor,
        pnlMinor: after.pnlMinor,
        commissionMinor: after.commissionMinor,
        changeMinor,
        balanceMinor: account.balanceMinor,
      });
    }
    const house = this.state.accounts.get(HOUSE_ACCOUNT_ID);
    assert(house !== undefined, 'the house account is missing');
    house.balanceMinor -= changeSumMinor;
    assert(house.balanceMinor >= 0, 'the house balance went below zero');
  }

  private parseWinners(market: MarketRec, raw: readonly unknown[]): DeadHeat[] | null {
    const winners: DeadHeat[] = [];
    const seen = new Set<number>();
    for (const item of raw) {
      if (!isRecord(item)) return null;
      const { runnerIndex, factorNumerator, factorDenominator } = item;
      if (!isIntIn(runnerIndex, 0, market.runnerCount - 1) || seen.has(runnerIndex)) return null;
      if (!isIntIn(factorDenominator, 1, DEAD_HEAT_DENOMINATOR_MAX)) return null;
      if (!isIntIn(factorNumerator, 1, factorDenominator)) return null;
      seen.add(runnerIndex);
      winners.push({ runnerIndex, factorNumerator, factorDenominator });
    }
    // Σ n/d against the number of winners, exactly: Σ n × (D / d) against k × D.
    const common = winners.reduce((acc, w) => acc * BigInt(w.factorDenominator), 1n);
    const sum = winners.reduce((acc, w) => acc + BigInt(w.factorNumerator) * (common / BigInt(w.factorDenominator)), 0n);
    const k = BigInt(market.numberOfWinners);
    if (market.numberOfWinners === 1 ? sum !== common : sum > k * common) return null;
    return winners;
  }

  /** floor(Σ_i ifLose[i] + Σ_w (ifWin[w] − ifLose[w]) × n_w / d_w), one floor over the whole sum. */
  private settlementResultMinor(accountId: AccountId, market: MarketRec, winners: readonly DeadHeat[]): number {
    const { ifWin, ifLose } = this.position(accountId, market, []);
    const common = winners.reduce((acc, w) => acc * BigInt(w.factorDenominator), 1n);
    let numerator = ifLose.reduce((acc, v) => acc + BigInt(v), 0n) * common;
    for (const w of winners) {
      const delta = BigInt(ifWin[w.runnerIndex] ?? 0) - BigInt(ifLose[w.runnerIndex] ?? 0);
      numerator += delta * BigInt(w.factorNumerator) * (common / BigInt(w.factorDenominator));
    }
    const result = Number(bigFloorDiv(numerator, common));
    assert(Number.isSafeInteger(result), 'settlement result out of range');
    return result;
  }

  private massCancel(command: Raw): void {
    const { accountId, marketId, runnerIndex, side } = command;
    const shapeOk =
      optional(accountId, isId) &&
      optional(marketId, isId) &&
      optional(runnerIndex, (v) => typeof v === 'number') &&
      optional(side, (v) => isOneOf(v, SIDES)) &&
      (runnerIndex === undefined || marketId !== undefined) &&
      (accountId !== undefined || marketId !== undefined);
    if (!shapeOk) return this.rejectCommand('MassCancel', 'invalid_command');
    if (accountId !== undefined && !this.state.accounts.has(accountId as number)) {
      return this.rejectCommand('MassCancel', 'unknown_account');
    }
    if (marketId !== undefined) {
      const market = this.state.markets.get(marketId as number);
      if (market === undefined) return this.rejectCommand('MassCancel', 'unknown_market');
      if (runnerIndex !== undefined && !isIntIn(runnerIndex, 0, market.runnerCount - 1)) {
        return this.rejectCommand('MassCancel', 'invalid_runner');
      }
    }
    this.closeOrdersWhere(
      (o) =>
        (accountId === undefined || o.accountId === accountId) &&
        (marketId === undefined || o.marketId === marketId) &&
        (runnerIndex === undefined || o.runnerIndex === runnerIndex) &&
        (side === undefined || o.side === side),
      'mass_cancelled',
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Instructions

  private singleInstruction(command: Raw): void {
    const type = command.type as 'PlaceOrder' | 'CancelOrder' | 'ReplaceOrder';
    if (!isId(command.accountId)) return this.rejectCommand(type, 'invalid_command');
    if (!this.state.accounts.has(command.accountId)) return this.rejectCommand(type, 'unknown_account');
    const kind: InstructionKind = type === 'PlaceOrder' ? 'place' : type === 'CancelOrder' ? 'cancel' : 'replace';
    const instruction: Raw = { ...command, kind };
    const outcome = this.runInstruction(command.accountId, instruction, 0);
    if (outcome.kind === 'rejected') this.emitOrderRejected(command.accountId, instruction, 0, outcome.code);
  }

  private batch(command: Raw): void {
    const { accountId, mode, instructions } = command;
    if (
      !isId(accountId) ||
      !isOneOf(mode, ['all_or_none', 'best_effort']) ||
      !Array.isArray(instructions) ||
      !instructions.every((i) => isRecord(i) && isOneOf(i.kind, INSTRUCTION_KINDS))
    ) {
      return this.rejectCommand('Batch', 'invalid_command');
    }
    if (!this.state.accounts.has(accountId)) return this.rejectCommand('Batch', 'unknown_account');
    const list = instructions as Raw[];
    if (list.length === 0) return this.rejectCommand('Batch', 'batch_empty');
    if (list.length > BATCH_INSTRUCTIONS_MAX) return this.rejectCommand('Batch', 'batch_too_large');
    if (mode === 'best_effort') {
      list.forEach((instruction, index) => {
        const outcome = this.runInstruction(accountId, instruction, index);
        if (outcome.kind === 'rejected') this.emitOrderRejected(accountId, instruction, index, outcome.code);
      });
      return;
    }
    const firstMarketId = list[0]?.marketId;
    if (!list.every((i) => i.marketId === firstMarketId)) return this.rejectCommand('Batch', 'batch_multi_market');

    // Check the whole batch on a copy of the state in which nothing matches (orders only rest),
    // so each instruction sees the orders, cancels and replaces of the earlier ones but no fill;
    // fills only ever lower exposure, so a batch that passes cannot fail for funds when applied.
    const realState = this.state;
    const realOut = this.out;
    this.state = structuredClone(realState);
    this.out = [];
    this.trialWithoutMatching = true;
    let failure: { index: number; code: RejectCode } | null = null;
    for (const [index, instruction] of list.entries()) {
      const outcome = this.runInstruction(accountId, instruction, index);
      if (outcome.kind === 'rejected') {
        failure = { index, code: outcome.code };
        break;
      }
    }
    this.trialWithoutMatching = false;
    this.state = realState;
    this.out = realOut;
    if (failure === null) {
      list.forEach((instruction, index) => {
        const outcome = this.runInstruction(accountId, instruction, index);
        if (outcome.kind === 'rejected') this.emitOrderRejected(accountId, instruction, index, outcome.code);
      });
      return;
    }
    const account = this.state.accounts.get(accountId);
    list.forEach((instruction, index) => {
      const code: RejectCode = index === failure.index ? failure.code : 'batch_instruction_rejected';
      const clientOrderId = instruction.kind === 'cancel' ? undefined : instruction.clientOrderId;
      const recordable = account !== undefined && isText(clientOrderId, CLIENT_ORDER_ID_LENGTH_MAX);
      if (recordable) {
        const prior = account.clientOrders.get(clientOrderId);
        if (prior !== undefined && index !== failure.index) {
          this.emitDuplicate(accountId, clientOrderId, prior);
          return;
        }
        if (prior === undefined && code !== 'invalid_command') {
          account.clientOrders.set(clientOrderId, { orderId: null, code });
        }
      }
      this.emitOrderRejected(accountId, instruction, index, code);
    });
  }

  private runInstruction(accountId: AccountId, instruction: Raw, index: number): Outcome {
    switch (instruction.kind) {
      case 'place':
        return this.place(accountId, instruction);
      case 'cancel':
        return this.cancel(accountId, instruction);
      case 'replace':
        return this.replace(accountId, instruction);
      default:
        assert(false, `instruction ${index} has an unknown kind`);
    }
  }

  private place(accountId: AccountId, raw: Raw): Outcome {
    const shapeOk =
      isText(raw.clientOrderId, CLIENT_ORDER_ID_LENGTH_MAX) &&
      isId(raw.marketId) &&
      typeof raw.runnerIndex === 'number' &&
      isOneOf(raw.side, SIDES) &&
      typeof raw.priceTicks === 'number' &&
      typeof raw.stakeMinor === 'number' &&
      optional(raw.persistence, (v) => isOneOf(v, PERSISTENCES)) &&
      optional(raw.timeInForce, (v) => isOneOf(v, TIMES_IN_FORCE)) &&
      optional(raw.minFillMinor, (v) => typeof v === 'number') &&
      optional(raw.postOnly, (v) => typeof v === 'boolean') &&
      optional(raw.selfTrade, (v) => isOneOf(v, SELF_TRADE_MODES));
    if (!shapeOk) return rejected('invalid_command');
    const clientOrderId = raw.clientOrderId as string;
    const marketId = raw.marketId as MarketId;
    const runnerIndex = raw.runnerIndex as number;
    const side = raw.side as Side;
    const priceTicks = raw.priceTicks as number;
    const stakeMinor = raw.stakeMinor as number;
    const persistence = (raw.persistence as Persistence | undefined) ?? 'lapse';
    const timeInForce = (raw.timeInForce as TimeInForce | undefined) ?? 'gtc';
    const minFillMinor = (raw.minFillMinor as number | undefined) ?? null;
    const postOnly = (raw.postOnly as boolean | undefined) ?? false;
    const selfTrade = (raw.selfTrade as SelfTradePrevention | undefined) ?? 'cancel_newest';

    const account = this.state.accounts.get(accountId);
    if (account !== undefined) {
      const prior = account.clientOrders.get(clientOrderId);
      if (prior !== undefined) {
        this.emitDuplicate(accountId, clientOrderId, prior);
        return DUPLICATE;
      }
    }
    if (account === undefined) return rejected('unknown_account');
    const reject = (code: RejectCode): Outcome => {
      account.clientOrders.set(clientOrderId, { orderId: null, code });
      return rejected(code);
    };
    if (account.status !== 'active') return reject(account.status === 'suspended' ? 'account_suspended' : 'account_frozen');

    const market = this.state.markets.get(marketId);
    if (market === undefined) return reject('unknown_market');
    if (!isIntIn(runnerIndex, 0, market.runnerCount - 1)) return reject('invalid_runner');
    if (!isTick(this.ladder(market), priceTicks)) return reject('invalid_price');
    if (!isIntIn(stakeMinor, 1, STAKE_MINOR_MAX)) return reject('invalid_stake');
    if (minFillMinor !== null && (timeInForce !== 'ioc' || !isIntIn(minFillMinor, 1, stakeMinor))) {
      return reject('invalid_min_fill');
    }
    if (persistence === 'persist' && !market.persistenceAllowed) return reject('persistence_not_allowed');
    if (stakeMinor < market.minStakeMinor) return reject('stake_below_minimum');
    if (account.limits.stakeMinorMax !== undefined && stakeMinor > account.limits.stakeMinorMax) {
      return reject('stake_above_maximum');
    }
    const openCount = this.state.openOrders.filter((o) => o.accountId === accountId).length;
    if (openCount >= (account.limits.openOrdersMax ?? OPEN_ORDERS_PER_ACCOUNT_DEFAULT)) {
      return reject('too_many_open_orders');
    }
    const stateCode = this.marketStateCode(market);
    if (stateCode !== null) return reject(stateCode);
    const candidate: OpenPart = { accountId, marketId, runnerIndex, side, priceTicks, remainingMinor: stakeMinor };
    const fundsCode = this.fundsCode(account, market, [...this.state.openOrders, candidate]);
    if (fundsCode !== null) return reject(fundsCode);

    this.acceptOrder(market, {
      accountId,
      marketId,
      runnerIndex,
      side,
      priceTicks,
      clientOrderId,
      persistence,
      timeInForce,
      minFillMinor,
      postOnly,
      selfTrade,
      sizeMinor: stakeMinor,
    });
    return ACCEPTED;
  }

  private cancel(accountId: AccountId, raw: Raw): Outcome {
    const reduceByMinor = raw.reduceByMinor;
    if (
      !isId(raw.marketId) ||
      !isId(raw.orderId) ||
      !optional(reduceByMinor, (v) => isIntIn(v, 1, Number.MAX_SAFE_INTEGER))
    ) {
      return rejected('invalid_command');
    }
    if (!this.state.accounts.has(accountId)) return rejected('unknown_account');
    const market = this.state.markets.get(raw.marketId);
    if (market === undefined) return rejected('unknown_market');
    const order = this.findOpenOrder(accountId, market.marketId, raw.orderId);
    if (order === undefined) return rejected('unknown_order');
    if (typeof reduceByMinor === 'number' && reduceByMinor < order.remainingMinor) {
      order.remainingMinor -= reduceByMinor;
      order.cancelledMinor += reduceByMinor;
      this.emitMarket(market, {
        type: 'OrderReduced',
        orderId: order.orderId,
        accountId,
        runnerIndex: order.runnerIndex,
        side: order.side,
        priceTicks: order.priceTicks,
        reducedByMinor: reduceByMinor,
        remainingMinor: order.remainingMinor,
      });
    } else {
      this.closeOrder(order, 'cancelled');
    }
    return ACCEPTED;
  }

  private replace(accountId: AccountId, raw: Raw): Outcome {
    if (
      !isText(raw.clientOrderId, CLIENT_ORDER_ID_LENGTH_MAX) ||
      !isId(raw.marketId) ||
      !isId(raw.orderId) ||
      typeof raw.priceTicks !== 'number'
    ) {
      return rejected('invalid_command');
    }
    const clientOrderId = raw.clientOrderId;
    const priceTicks = raw.priceTicks;
    const account = this.state.accounts.get(accountId);
    if (account !== undefined) {
      const prior = account.clientOrders.get(clientOrderId);
      if (prior !== undefined) {
        this.emitDuplicate(accountId, clientOrderId, prior);
        return DUPLICATE;
      }
    }
    if (account === undefined) return rejected('unknown_account');
    const reject = (code: RejectCode): Outcome => {
      account.clientOrders.set(clientOrderId, { orderId: null, code });
      return rejected(code);
    };
    if (account.status !== 'active') return reject(account.status === 'suspended' ? 'account_suspended' : 'account_frozen');
    const market = this.state.markets.get(raw.marketId);
    if (market === undefined) return reject('unknown_market');
    const old = this.findOpenOrder(accountId, market.marketId, raw.orderId);
    if (old === undefined) return reject('unknown_order');
    if (!isTick(this.ladder(market), priceTicks)) return reject('invalid_price');
    const stateCode = this.marketStateCode(market);
    if (stateCode !== null) return reject(stateCode);
    const candidate: OpenPart = { ...old, priceTicks, remainingMinor: old.remainingMinor };
    const withReplacement = [...this.state.openOrders.filter((o) => o !== old), candidate];
    const fundsCode = this.fundsCode(account, market, withReplacement);
    if (fundsCode !== null) return reject(fundsCode);

    const stakeMinor = old.remainingMinor;
    this.closeOrder(old, 'replaced');
    this.acceptOrder(market, {
      accountId,
      marketId: market.marketId,
      runnerIndex: old.runnerIndex,
      side: old.side,
      priceTicks,
      clientOrderId,
      persistence: old.persistence,
      timeInForce: 'gtc',
      minFillMinor: null,
      postOnly: old.postOnly,
      selfTrade: old.selfTrade,
      sizeMinor: stakeMinor,
    });
    return ACCEPTED;
  }

  private marketStateCode(market: MarketRec): RejectCode | null {
    return marketStatusRejectCode(market.status);
  }


  /** The funds and limit checks of the risk stage, for the account's open orders becoming `orders`. */
  private fundsCode(account: AccountRec, market: MarketRec, orders: readonly OpenPart[]): RejectCode | null {
    const accountId = account.accountId;
    const oldMarketMinor = this.marketExposureMinor(accountId, market, this.state.openOrders);
    const newMarketMinor = this.marketExposureMinor(accountId, market, orders);
    const oldTotalMinor = this.totalExposureMinor(accountId, this.state.openOrders);
    const newTotalMinor = oldTotalMinor - oldMarketMinor + newMarketMinor;
    const raisesTotal = newTotalMinor > oldTotalMinor;
    if (raisesTotal && account.balanceMinor - newTotalMinor < 0) return 'insufficient_funds';
    const marketMax = account.limits.marketExposureMinorMax;
    if (marketMax !== undefined && newMarketMinor > oldMarketMinor && newMarketMinor > marketMax) {
      return 'market_exposure_limit';
    }
    const lossLimit = account.limits.lossLimitMinor;
    if (lossLimit !== undefined && raisesTotal && this.realisedLossMinor(account) + newTotalMinor > lossLimit) {
      return 'loss_limit_exceeded';
    }
    return null;
  }

  /** max(0, −(the realised net result of the current loss-limit window)). */
  private realisedLossMinor(account: AccountRec): number {
    return Math.max(0, -this.realisedNetMinor(account));
  }

  /** Σ settled results net of commission in the current loss-limit window, plus any carry (rule 8). */
  private realisedNetMinor(account: AccountRec): number {
    const anchor = account.lossLimitAnchorMs;
    const period = account.limits.lossLimitPeriodMs;
    const windowStartMs =
      period === undefined ? anchor : anchor + Math.floor((this.nowMs - anchor) / period) * period;
    const settled = account.settlements
      .filter((s, index) => index >= account.lossLimitAnchorIndex && s.timestampMs >= windowStartMs)
      .reduce((acc, s) => acc + s.netMinor, 0);
    return settled + (windowStartMs === anchor ? account.lossCarriedMinor : 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Orders and matching

  private acceptOrder(
    market: MarketRec,
    spec: Omit<OrderRec, 'orderId' | 'remainingMinor' | 'matchedMinor' | 'cancelledMinor' | 'status' | 'releaseAtMs' | 'arrival'>,
  ): void {
    const account = this.state.accounts.get(spec.accountId);
    assert(account !== undefined, 'accepting an order of an unknown account');
    const order: OrderRec = {
      ...spec,
      orderId: this.state.nextOrderId,
      remainingMinor: spec.sizeMinor,
      matchedMinor: 0,
      cancelledMinor: 0,
      status: 'pending',
      releaseAtMs: 0,
      arrival: 0,
    };
    this.state.nextOrderId += 1;
    this.state.openOrders.push(order);
    account.clientOrders.set(order.clientOrderId, { orderId: order.orderId, code: null });
    this.emitMarket(market, {
      type: 'OrderAccepted',
      orderId: order.orderId,
      accountId: order.accountId,
      clientOrderId: order.clientOrderId,
      runnerIndex: order.runnerIndex,
      side: order.side,
      priceTicks: order.priceTicks,
      stakeMinor: order.sizeMinor,
      persistence: order.persistence,
      timeInForce: order.timeInForce,
      timestampMs: this.nowMs,
    });
    if (!order.postOnly && market.inPlay && market.betDelayMs > 0 && this.crossingMakers(order).length > 0) {
      order.status = 'delayed';
      order.releaseAtMs = this.nowMs + market.betDelayMs;
      this.emitMarket(market, {
        type: 'OrderDelayed',
        orderId: order.orderId,
        accountId: order.accountId,
        releaseAtMs: order.releaseAtMs,
      });
      return;
    }
    this.arrive(order, market);
  }

  private releaseDelayedOrders(): void {
    const due = this.state.openOrders
      .filter((o) => o.status === 'delayed' && o.releaseAtMs <= this.nowMs)
      .sort((a, b) => a.releaseAtMs - b.releaseAtMs || a.orderId - b.orderId);
    for (const order of due) {
      if (order.status !== 'delayed') continue;
      const market = this.state.markets.get(order.marketId);
      assert(market !== undefined && market.status === 'open', 'a delayed order on a market that is not open');
      order.status = 'pending';
      this.emitMarket(market, { type: 'OrderReleased', orderId: order.orderId, accountId: order.accountId });
      this.arrive(order, market);
    }
  }

  /**
   * The resting orders an incoming order crosses, in the order it would meet them: best price
   * first (highest lay for an incoming back, lowest back for an incoming lay), then oldest first.
   */
  private crossingMakers(taker: OrderRec): OrderRec[] {
    const makerSide: Side = taker.side === 'back' ? 'lay' : 'back';
    return this.state.openOrders
      .filter(
        (o) =>
          o.status === 'resting' &&
          o.marketId === taker.marketId &&
          o.runnerIndex === taker.runnerIndex &&
          o.side === makerSide &&
          (taker.side === 'back' ? o.priceTicks >= taker.priceTicks : o.priceTicks <= taker.priceTicks),
      )
      .sort((a, b) => (taker.side === 'back' ? b.priceTicks - a.priceTicks : a.priceTicks - b.priceTicks) || a.arrival - b.arrival);
  }

  /** The liquidity the order could take before self-trade prevention would stop it. */
  private takeableMinor(taker: OrderRec): number {
    let total = 0;
    for (const maker of this.crossingMakers(taker)) {
      if (maker.accountId === taker.accountId) {
        if (taker.selfTrade === 'cancel_oldest') continue;
        break;
      }
      total += maker.remainingMinor;
    }
    return total;
  }

  /** An accepted (or released) order reaches the book. */
  /** While an all-or-none batch is checked, orders rest without matching. */
  private trialWithoutMatching = false;

  private arrive(taker: OrderRec, market: MarketRec): void {
    if (this.trialWithoutMatching) {
      taker.status = 'resting';
      taker.arrival = this.state.nextArrival;
      this.state.nextArrival += 1;
      return;
    }
    if (taker.postOnly && this.crossingMakers(taker).length > 0) {
      return this.closeOrder(taker, 'post_only_would_match');
    }
    if (taker.timeInForce === 'fok' && this.takeableMinor(taker) < taker.remainingMinor) {
      return this.closeOrder(taker, 'fill_or_kill');
    }
    if (taker.minFillMinor !== null && this.takeableMinor(taker) < taker.minFillMinor) {
      return this.closeOrder(taker, 'min_fill_not_met');
    }
    const ladder = this.ladder(market);
    while (taker.remainingMinor > 0) {
      const maker = this.crossingMakers(taker)[0];
      if (maker === undefined) break;
      if (maker.accountId === taker.accountId) {
        if (taker.selfTrade === 'cancel_oldest') {
          this.closeOrder(maker, 'self_trade');
          continue;
        }
        if (taker.selfTrade === 'cancel_both') this.closeOrder(maker, 'self_trade');
        return this.closeOrder(taker, 'self_trade');
      }
      const stakeMinor = Math.min(taker.remainingMinor, maker.remainingMinor);
      const priceX100 = priceX100OfTick(ladder, maker.priceTicks);
      const fillLiabilityMinor = liabilityMinor(stakeMinor, priceX100);
      for (const order of [taker, maker]) {
        order.remainingMinor -= stakeMinor;
        order.matchedMinor += stakeMinor;
      }
      const back = taker.side === 'back' ? taker : maker;
      const lay = taker.side === 'back' ? maker : taker;
      const fill: FillView = {
        fillId: this.state.nextFillId,
        marketId: market.marketId,
        runnerIndex: taker.runnerIndex,
        priceTicks: maker.priceTicks,
        stakeMinor,
        liabilityMinor: fillLiabilityMinor,
        backOrderId: back.orderId,
        backAccountId: back.accountId,
        layOrderId: lay.orderId,
        layAccountId: lay.accountId,
      };
      this.state.nextFillId += 1;
      this.state.fills.push(fill);
      this.emitMarket(market, {
        type: 'OrderMatched',
        fillId: fill.fillId,
        runnerIndex: fill.runnerIndex,
        priceTicks: fill.priceTicks,
        stakeMinor,
        liabilityMinor: fillLiabilityMinor,
        takerSide: taker.side,
        backOrderId: back.orderId,
        backAccountId: back.accountId,
        layOrderId: lay.orderId,
        layAccountId: lay.accountId,
      });
      if (maker.remainingMinor === 0) this.closeOrder(maker, 'matched');
    }
    if (taker.remainingMinor === 0) return this.closeOrder(taker, 'matched');
    if (taker.timeInForce === 'ioc') return this.closeOrder(taker, 'immediate_or_cancel');
    assert(taker.timeInForce === 'gtc', 'a fill-or-kill order passed its check but did not fill');
    taker.status = 'resting';
    taker.arrival = this.state.nextArrival;
    this.state.nextArrival += 1;
  }

  private findOpenOrder(accountId: AccountId, marketId: MarketId, orderId: OrderId): OrderRec | undefined {
    return this.state.openOrders.find(
      (o) => o.orderId === orderId && o.accountId === accountId && o.marketId === marketId,
    );
  }

  private closeOrdersWhere(predicate: (order: OrderRec) => boolean, reason: CloseReason): void {
    const closing = this.state.openOrders.filter(predicate).sort((a, b) => a.orderId - b.orderId);
    for (const order of closing) this.closeOrder(order, reason);
  }

  private closeOrder(order: OrderRec, reason: CloseReason): void {
    const market = this.state.markets.get(order.marketId);
    assert(market !== undefined, 'closing an order on an unknown market');
    order.cancelledMinor += order.remainingMinor;
    order.remainingMinor = 0;
    this.state.openOrders = this.state.openOrders.filter((o) => o !== order);
    this.emitMarket(market, {
      type: 'OrderClosed',
      orderId: order.orderId,
      accountId: order.accountId,
      runnerIndex: order.runnerIndex,
      side: order.side,
      priceTicks: order.priceTicks,
      reason,
      sizeMinor: order.sizeMinor,
      matchedMinor: order.matchedMinor,
      cancelledMinor: order.cancelledMinor,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Exposure, recomputed from the fills and the open orders every time

  private position(
    accountId: AccountId,
    market: MarketRec,
    orders: readonly OpenPart[],
  ): { ifWin: number[]; ifLose: number[]; openBack: number[]; openLay: number[] } {
    const n = market.runnerCount;
    const ifWin = new Array<number>(n).fill(0);
    const ifLose = new Array<number>(n).fill(0);
    const openBack = new Array<number>(n).fill(0);
    const openLay = new Array<number>(n).fill(0);
    const add = (values: number[], i: number, amount: number): void => {
      values[i] = (values[i] ?? 0) + amount;
    };
    for (const fill of this.state.fills) {
      if (fill.marketId !== market.marketId) continue;
      const r = fill.runnerIndex;
      if (fill.backAccountId === accountId) {
        add(ifWin, r, fill.liabilityMinor);
        add(ifLose, r, -fill.stakeMinor);
      }
      if (fill.layAccountId === accountId) {
        add(ifWin, r, -fill.liabilityMinor);
        add(ifLose, r, fill.stakeMinor);
      }
    }
    const ladder = this.ladder(market);
    for (const order of orders) {
      if (order.accountId !== accountId || order.marketId !== market.marketId) continue;
      if (order.side === 'back') add(openBack, order.runnerIndex, order.remainingMinor);
      else add(openLay, order.runnerIndex, liabilityMinor(order.remainingMinor, priceX100OfTick(ladder, order.priceTicks)));
    }
    return { ifWin, ifLose, openBack, openLay };
  }

  private marketExposureMinor(accountId: AccountId, market: MarketRec, orders: readonly OpenPart[]): number {
    if (market.status === 'settled' || market.status === 'voided') return 0;
    const { ifWin, ifLose, openBack, openLay } = this.position(accountId, market, orders);
    const n = market.runnerCount;
    const winValue = (i: number): number => (ifWin[i] ?? 0) - (openLay[i] ?? 0);
    const loseValue = (i: number): number => (ifLose[i] ?? 0) - (openBack[i] ?? 0);
    let worst: number;
    if (market.numberOfWinners === 1) {
      let allLose = 0;
      for (let i = 0; i < n; i += 1) allLose += loseValue(i);
      worst = Number.POSITIVE_INFINITY;
      for (let j = 0; j < n; j += 1) worst = Math.min(worst, allLose - loseValue(j) + winValue(j));
    } else {
      worst = 0;
      for (let i = 0; i < n; i += 1) worst += Math.min(winValue(i), loseValue(i));
    }
    return worst >= 0 ? 0 : -worst;
  }

  private totalExposureMinor(accountId: AccountId, orders: readonly OpenPart[]): number {
    let total = 0;
    for (const market of this.state.markets.values()) total += this.marketExposureMinor(accountId, market, orders);
    return total;
  }

  private balancesAndExposures(): Map<AccountId, readonly [number, number]> {
    const snapshot = new Map<AccountId, readonly [number, number]>();
    for (const account of this.state.accounts.values()) {
      snapshot.set(account.accountId, [
        account.balanceMinor,
        this.totalExposureMinor(account.accountId, this.state.openOrders),
      ]);
    }
    return snapshot;
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  private emitAccountUpdates(before: ReadonlyMap<AccountId, readonly [number, number]>): void {
    const ids = [...this.state.accounts.keys()].sort((a, b) => a - b);
    for (const accountId of ids) {
      const account = this.state.accounts.get(accountId);
      assert(account !== undefined, 'account vanished');
      const exposureMinor = this.totalExposureMinor(accountId, this.state.openOrders);
      const [balanceBefore, exposureBefore] = before.get(accountId) ?? [0, 0];
      if (balanceBefore === account.balanceMinor && exposureBefore === exposureMinor) continue;
      this.emitAccount(account, {
        type: 'AccountUpdated',
        balanceMinor: account.balanceMinor,
        exposureMinor,
        availableMinor: account.balanceMinor - exposureMinor,
      });
    }
  }

  private emitMarket(market: MarketRec, body: MarketEventBody): void {
    market.seq += 1;
    this.out.push({ ...body, marketId: market.marketId, seq: market.seq } as MarketEvent);
  }

  private emitAccount(account: AccountRec, body: AccountEventBody): void {
    account.seq += 1;
    this.out.push({ ...body, accountId: account.accountId, seq: account.seq } as AccountEvent);
  }

  private emitOrderRejected(accountId: AccountId, instruction: Raw, index: number, code: RejectCode): void {
    const kind = instruction.kind as InstructionKind;
    const body: AccountEventBody = {
      type: 'OrderRejected',
      instruction: kind,
      instructionIndex: index,
      marketId: typeof instruction.marketId === 'number' ? instruction.marketId : 0,
      clientOrderId:
        kind !== 'cancel' && isText(instruction.clientOrderId, CLIENT_ORDER_ID_LENGTH_MAX) ? instruction.clientOrderId : null,
      orderId: kind !== 'place' && typeof instruction.orderId === 'number' ? instruction.orderId : null,
      code,
    };
    const account = this.state.accounts.get(accountId);
    if (account === undefined) this.out.push({ ...body, accountId, seq: 0 } as AccountEvent);
    else this.emitAccount(account, body);
  }

  private emitDuplicate(accountId: AccountId, clientOrderId: string, prior: ClientOrderRecord): void {
    this.out.push({
      type: 'OrderDuplicate',
      commandSeq: this.commandSeq,
      accountId,
      clientOrderId,
      orderId: prior.orderId,
      code: prior.code,
    });
  }

  private rejectCommand(commandType: string, code: RejectCode): void {
    this.out.push({ type: 'CommandRejected', commandSeq: this.commandSeq, commandType, code });
  }

  // ---------------------------------------------------------------------------------------------

  private newAccount(accountId: AccountId, limits: AccountLimits): AccountRec {
    return {
      accountId,
      balanceMinor: 0,
      limits,
      status: 'active',
      lossLimitAnchorMs: this.nowMs,
      lossLimitAnchorIndex: 0,
      lossCarriedMinor: 0,
      settlements: [],
      seq: 0,
      transferIds: new Set(),
      clientOrders: new Map(),
    };
  }

  private ladder(market: MarketRec): Ladder {
    const ladder = ladderById(market.ladderId);
    assert(ladder !== undefined, `unknown ladder ${market.ladderId}`);
    return ladder;
  }
}
