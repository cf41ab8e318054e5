// The engine core: the risk stage (keyed by account) and the matching stage (keyed by market)
// composed in one process, exchange-core style:
//   1. the risk stage checks an instruction and holds its worst case (R1);
//   2. the matching stage applies it to the market and emits events (ME);
//   3. the risk stage follows those events, moving held money to matched or releasing it (R2).
// Pure and synchronous: the same envelopes in the same order give the same events and state.

import {
  assert,
  BATCH_INSTRUCTIONS_MAX,
  HOUSE_ACCOUNT_ID,
  isId,
  type AccountId,
  type Command,
  type CommandEnvelope,
  type EngineEvent,
  type Instruction,
  type InstructionKind,
  type MarketEvent,
  type MarketId,
  type RunnerIndex,
  type Side,
} from '@playchacha/protocol';
import { asInstruction, isClientOrderId, isObject } from './command-shape.js';
import { checkInvariants } from './invariants.js';
import { MatchingStage, type MatchingSnapshot } from './matching-stage.js';
import type { AccountView, ExchangeModel, LevelView, MarketView, OrderView } from './model.js';
import { NONE, SIDE_BACK, SIDE_LAY, FLAG_DELAYED } from './order-book.js';
import { RiskStage, type RiskAccount, type RiskSnapshot } from './risk-stage.js';
import { StateHasher } from './state-hash.js';

export interface CoreSnapshot {
  readonly version: 1;
  readonly lastSeq: number;
  readonly lastTimestampMs: number;
  readonly risk: RiskSnapshot;
  readonly matching: MatchingSnapshot;
}

export interface ExchangeCoreOptions {
  /** Order ids are orderIdStart, orderIdStart + orderIdStride, ... (partitions use distinct starts). */
  readonly orderIdStart?: number;
  readonly orderIdStride?: number;
}

export class ExchangeCore implements ExchangeModel {
  readonly risk: RiskStage;
  readonly matching: MatchingStage;
  private events: EngineEvent[] = [];
  private lastSeq = 0;
  private lastTimestampMs = 0;

  constructor(options: ExchangeCoreOptions = {}) {
    const output = { emit: (event: EngineEvent) => this.events.push(event) };
    this.risk = new RiskStage(output, options.orderIdStride ?? 1, options.orderIdStart ?? 1);
    this.matching = new MatchingStage((event: MarketEvent) => {
      this.events.push(event);
      this.risk.onMarketEvent(event);
    });
  }

  /** The whole state as plain data, taken between commands; `fromSnapshot` restores it exactly. */
  snapshot(): CoreSnapshot {
    return {
      version: 1,
      lastSeq: this.lastSeq,
      lastTimestampMs: this.lastTimestampMs,
      risk: this.risk.exportState(),
      matching: this.matching.exportState(),
    };
  }

  static fromSnapshot(snapshot: CoreSnapshot, options: ExchangeCoreOptions = {}): ExchangeCore {
    assert(snapshot.version === 1, `unknown snapshot version ${snapshot.version}`);
    const core = new ExchangeCore(options);
    core.lastSeq = snapshot.lastSeq;
    core.lastTimestampMs = snapshot.lastTimestampMs;
    core.risk.importState(snapshot.risk);
    core.matching.importState(snapshot.matching);
    core.checkInvariants();
    return core;
  }

  /** When the engine must next move time on to release a delayed order; null when none waits. */
  nextReleaseAtMs(): number | null {
    return this.matching.nextReleaseAtMs();
  }

  /** The sequence number of the last command applied (0 before any). */
  get lastAppliedSeq(): number {
    return this.lastSeq;
  }

  apply(envelope: CommandEnvelope): readonly EngineEvent[] {
    assert(Number.isSafeInteger(envelope.seq) && envelope.seq > this.lastSeq, 'journal sequence numbers rise');
    assert(
      Number.isSafeInteger(envelope.timestampMs) && envelope.timestampMs >= this.lastTimestampMs,
      'journal timestamps never go back',
    );
    this.lastSeq = envelope.seq;
    this.lastTimestampMs = envelope.timestampMs;
    this.events = [];
    this.risk.beginCommand(envelope.seq, envelope.timestampMs);
    this.matching.setTime(envelope.timestampMs);
    this.matching.releaseDue();
    this.dispatch(envelope.seq, envelope.command as unknown);
    this.risk.endCommand();
    return this.events;
  }

  private dispatch(commandSeq: number, command: unknown): void {
    if (!isObject(command) || typeof command['type'] !== 'string') {
      this.commandRejected(commandSeq, 'unknown', 'invalid_command');
      return;
    }
    const typed = command as unknown as Command;
    const code = this.route(commandSeq, typed);
    if (code !== null) this.commandRejected(commandSeq, typed.type, code);
  }

  private route(commandSeq: number, command: Command): ReturnType<RiskStage['openAccount']> {
    switch (command.type) {
      case 'OpenAccount':
        return this.risk.openAccount(command.accountId, command.limits);
      case 'Deposit':
        return this.risk.transfer('deposit', command.accountId, command.transferId, command.amountMinor);
      case 'Withdraw':
        return this.risk.transfer('withdraw', command.accountId, command.transferId, command.amountMinor);
      case 'SetAccountLimits':
        return this.risk.setLimits(command.accountId, command.limits);
      case 'SetAccountStatus':
        return this.setAccountStatus(command);
      case 'CreateMarket':
        return this.matching.createMarket(command);
      case 'SuspendMarket':
      case 'ResumeMarket':
      case 'TurnInPlay':
      case 'SetBetDelay':
      case 'CloseMarket':
      case 'SettleMarket':
      case 'VoidMarket':
      case 'ResettleMarket':
        return this.matching.lifecycle(command);
      case 'PlaceOrder':
        return this.single(commandSeq, command, 'place');
      case 'CancelOrder':
        return this.single(commandSeq, command, 'cancel');
      case 'ReplaceOrder':
        return this.single(commandSeq, command, 'replace');
      case 'Batch':
        return this.batch(commandSeq, command.accountId, command.mode, command.instructions);
      case 'MassCancel':
        return this.massCancel(command);
      case 'Clock':
        return null;
      default:
        return 'invalid_command';
    }
  }

  /** A PlaceOrder, CancelOrder or ReplaceOrder: one best-effort instruction, read from the command itself. */
  private single(commandSeq: number, command: Command & { accountId: unknown }, kind: InstructionKind): ReturnType<RiskStage['openAccount']> {
    const accountId = command.accountId;
    if (!isId(accountId)) return 'invalid_command';
    const account = this.risk.accounts.get(accountId);
    if (account === undefined || accountId === HOUSE_ACCOUNT_ID) return 'unknown_account';
    this.bestEffort(commandSeq, account, command, 0, kind);
    return null;
  }

  private batch(commandSeq: number, accountId: unknown, mode: unknown, instructions: unknown): ReturnType<RiskStage['openAccount']> {
    if (!isId(accountId) || (mode !== 'all_or_none' && mode !== 'best_effort') || !Array.isArray(instructions)) {
      return 'invalid_command';
    }
    const wellFramed = instructions.every(
      (raw: unknown) => isObject(raw) && (raw['kind'] === 'place' || raw['kind'] === 'cancel' || raw['kind'] === 'replace'),
    );
    if (!wellFramed) return 'invalid_command';
    if (!this.risk.accountExists(accountId)) return 'unknown_account';
    if (instructions.length === 0) return 'batch_empty';
    if (instructions.length > BATCH_INSTRUCTIONS_MAX) return 'batch_too_large';
    if (mode === 'all_or_none') {
      const marketIds = new Set(instructions.map((raw: unknown) => (isObject(raw) ? raw['marketId'] : undefined)));
      if (marketIds.size > 1) return 'batch_multi_market';
    }
    return this.instructions(commandSeq, accountId, mode, instructions);
  }

  private instructions(
    commandSeq: number,
    accountId: unknown,
    mode: 'all_or_none' | 'best_effort',
    raws: readonly unknown[],
  ): ReturnType<RiskStage['openAccount']> {
    if (!isId(accountId)) return 'invalid_command';
    const account = this.risk.accounts.get(accountId);
    if (account === undefined || accountId === HOUSE_ACCOUNT_ID) return 'unknown_account';
    if (mode === 'best_effort') {
      raws.forEach((raw, index) => this.bestEffort(commandSeq, account, raw, index));
    } else {
      this.allOrNone(commandSeq, account, raws);
    }
    return null;
  }

  private readonly changes: Parameters<RiskStage['check']>[2] = [];
  private readonly openOrdersDelta = { value: 0 };

  private bestEffort(commandSeq: number, account: RiskAccount, raw: unknown, index: number, kind?: InstructionKind): void {
    const instruction = asInstruction(raw, kind);
    if (instruction === null) {
      this.rejectMalformed(account.accountId, raw, index, 'invalid_command', kind);
      return;
    }
    if (this.answeredAsDuplicate(commandSeq, account.accountId, instruction)) return;
    const changes = this.changes;
    this.openOrdersDelta.value = 0;
    const code = this.risk.check(account, instruction, changes, this.openOrdersDelta);
    if (code !== null) {
      this.risk.undo(account, changes);
      this.rejectInstruction(account.accountId, instruction, index, code);
      return;
    }
    if (instruction.kind === 'place') {
      // The checked worst case stays held: it is the order's hold.
      this.risk.keep(changes);
      this.matching.execute(this.risk.approve(account, instruction, index, true));
      return;
    }
    // A cancel's release and a replace's old order stay held until the market closes them.
    this.risk.undo(account, changes);
    this.matching.execute(this.risk.approve(account, instruction, index));
  }

  private allOrNone(commandSeq: number, account: RiskAccount, raws: readonly unknown[]): void {
    const parsed = raws.map((raw) => asInstruction(raw));
    const seen = new Set<string>();
    const changes: Parameters<RiskStage['check']>[2] = [];
    const openOrdersDelta = { value: 0 };
    let failedIndex = -1;
    let failedCode: ReturnType<RiskStage['openAccount']> = null;
    for (let index = 0; index < parsed.length && failedIndex < 0; index++) {
      const instruction = parsed[index];
      if (instruction === null || instruction === undefined) {
        failedIndex = index;
        failedCode = 'invalid_command';
        break;
      }
      if (instruction.kind !== 'cancel') {
        if (seen.has(instruction.clientOrderId) || this.risk.duplicateOf(account.accountId, instruction.clientOrderId)) continue;
        seen.add(instruction.clientOrderId);
      }
      const code = this.risk.check(account, instruction, changes, openOrdersDelta);
      if (code !== null) {
        failedIndex = index;
        failedCode = code;
      }
    }
    this.risk.undo(account, changes);
    parsed.forEach((instruction, index) => {
      if (instruction === null || instruction === undefined) {
        this.rejectMalformed(account.accountId, raws[index], index, failedIndex === index ? 'invalid_command' : 'batch_instruction_rejected');
        return;
      }
      if (this.answeredAsDuplicate(commandSeq, account.accountId, instruction)) return;
      if (failedIndex >= 0) {
        this.rejectInstruction(account.accountId, instruction, index, index === failedIndex && failedCode !== null ? failedCode : 'batch_instruction_rejected');
        return;
      }
      // An earlier instruction may have matched the named order in full (or closed it by
      // self-trade prevention) since the batch was checked: there is nothing left to act on.
      if (instruction.kind !== 'place' && !this.risk.orders.has(instruction.orderId)) {
        this.rejectInstruction(account.accountId, instruction, index, 'unknown_order');
        return;
      }
      this.matching.execute(this.risk.approve(account, instruction, index));
    });
  }

  private answeredAsDuplicate(commandSeq: number, accountId: AccountId, instruction: Instruction): boolean {
    if (instruction.kind === 'cancel') return false;
    const original = this.risk.duplicateOf(accountId, instruction.clientOrderId);
    if (original === undefined) return false;
    this.events.push({
      type: 'OrderDuplicate',
      commandSeq,
      accountId,
      clientOrderId: instruction.clientOrderId,
      orderId: original.orderId,
      code: original.code,
    });
    return true;
  }

  private rejectInstruction(accountId: AccountId, instruction: Instruction, index: number, code: NonNullable<ReturnType<RiskStage['openAccount']>>): void {
    this.risk.reject(
      accountId,
      instruction.kind,
      index,
      instruction.marketId,
      instruction.kind === 'cancel' ? null : instruction.clientOrderId,
      instruction.kind === 'place' ? null : instruction.orderId,
      code,
    );
  }

  private rejectMalformed(accountId: AccountId, raw: unknown, index: number, code: 'invalid_command' | 'batch_instruction_rejected' = 'invalid_command', knownKind?: InstructionKind): void {
    const fields = isObject(raw) ? raw : {};
    const kind: InstructionKind = knownKind ?? (fields['kind'] === 'cancel' || fields['kind'] === 'replace' ? fields['kind'] : 'place');
    const marketId = fields['marketId'];
    const orderId = fields['orderId'];
    const clientOrderId = fields['clientOrderId'];
    this.risk.reject(
      accountId,
      kind,
      index,
      typeof marketId === 'number' && Number.isSafeInteger(marketId) ? marketId : 0,
      kind !== 'cancel' && isClientOrderId(clientOrderId) ? clientOrderId : null,
      kind !== 'place' && isId(orderId) ? orderId : null,
      code,
    );
  }

  /** Freezing an account also closes all its open orders, in ascending order id. */
  private setAccountStatus(command: Extract<Command, { type: 'SetAccountStatus' }>): ReturnType<RiskStage['openAccount']> {
    const code = this.risk.setAccountStatus(command.accountId, command.status);
    if (code === null && command.status === 'frozen') {
      this.matching.massCancel(command.accountId, undefined, undefined, undefined, 'account_frozen');
    }
    return code;
  }

  private massCancel(command: Extract<Command, { type: 'MassCancel' }>): ReturnType<RiskStage['openAccount']> {
    const { accountId, marketId, runnerIndex, side } = command as Record<string, unknown> & typeof command;
    if (accountId !== undefined && !isId(accountId)) return 'invalid_command';
    if (marketId !== undefined && !isId(marketId)) return 'invalid_command';
    if (side !== undefined && side !== 'back' && side !== 'lay') return 'invalid_command';
    if (runnerIndex !== undefined && (typeof runnerIndex !== 'number' || !Number.isInteger(runnerIndex))) return 'invalid_command';
    if (accountId === undefined && marketId === undefined) return 'invalid_command';
    if (runnerIndex !== undefined && marketId === undefined) return 'invalid_command';
    if (accountId !== undefined && (!this.risk.accountExists(accountId) || accountId === HOUSE_ACCOUNT_ID)) return 'unknown_account';
    const market = marketId === undefined ? undefined : this.matching.markets.get(marketId);
    if (marketId !== undefined && market === undefined) return 'unknown_market';
    if (runnerIndex !== undefined && market !== undefined && (runnerIndex < 0 || runnerIndex >= market.runnerCount)) {
      return 'invalid_runner';
    }
    this.matching.massCancel(accountId, marketId, runnerIndex, side);
    return null;
  }

  private commandRejected(commandSeq: number, commandType: string, code: NonNullable<ReturnType<RiskStage['openAccount']>>): void {
    this.events.push({ type: 'CommandRejected', commandSeq, commandType, code });
  }

  // ----- Views ----------------------------------------------------------------------------

  accounts(): AccountView[] {
    const views: AccountView[] = [];
    for (const account of this.risk.accounts.values()) views.push(accountView(account));
    return views.sort((a, b) => a.accountId - b.accountId);
  }

  account(accountId: AccountId): AccountView | undefined {
    const account = this.risk.accounts.get(accountId);
    return account === undefined ? undefined : accountView(account);
  }

  openOrders(): OrderView[] {
    const views: OrderView[] = [];
    this.matching.slotOfOrder.forEach((_orderId, slot) => views.push(this.orderView(slot)));
    return views.sort((a, b) => a.orderId - b.orderId);
  }

  private orderView(slot: number): OrderView {
    const pool = this.matching.pool;
    const market = this.matching.marketBySlot[pool.marketSlot[slot] as number];
    assert(market !== undefined, 'an open order has a market');
    return {
      orderId: pool.orderId[slot] as number,
      accountId: pool.accountId[slot] as number,
      marketId: market.marketId,
      runnerIndex: pool.runnerIndex[slot] as number,
      side: pool.side[slot] === SIDE_BACK ? 'back' : 'lay',
      priceTicks: pool.priceTicks[slot] as number,
      sizeMinor: pool.sizeMinor[slot] as number,
      remainingMinor: pool.remainingMinor[slot] as number,
      matchedMinor: pool.matchedMinor[slot] as number,
      cancelledMinor: pool.cancelledMinor[slot] as number,
      delayed: ((pool.flags[slot] as number) & FLAG_DELAYED) !== 0,
    };
  }

  market(marketId: MarketId): MarketView | undefined {
    const market = this.matching.markets.get(marketId);
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
    const market = this.matching.markets.get(marketId);
    if (market === undefined || runnerIndex < 0 || runnerIndex >= market.runnerCount) return [];
    const ladder = market.sideLadder(runnerIndex, side === 'back' ? SIDE_BACK : SIDE_LAY);
    const pool = this.matching.pool;
    const levels: LevelView[] = [];
    const size = ladder.ladderSize;
    for (let i = 0; i < size; i++) {
      const tick = side === 'back' ? i : size - 1 - i;
      if (ladder.head[tick] === NONE) continue;
      const orderIds: number[] = [];
      for (let slot = ladder.head[tick] as number; slot !== NONE; slot = pool.next[slot] as number) {
        orderIds.push(pool.orderId[slot] as number);
      }
      levels.push({ priceTicks: tick, orderIds, totalMinor: ladder.totalMinor[tick] as number });
    }
    return levels;
  }

  /** A hash of the books, orders, accounts, positions and sequence numbers. */
  stateHash(): string {
    const hasher = new StateHasher();
    const pool = this.matching.pool;
    hasher.number(this.lastSeq).number(this.risk.orderIdNextValue).number(this.matching.fillIdNextValue).number(this.risk.netTransfersMinor);
    for (const market of this.matching.marketBySlot) {
      hasher.number(market.marketId).number(market.seq).string(market.status).number(market.inPlay ? 1 : 0).number(market.betDelayMs);
      for (const ladder of market.ladders) {
        for (let tick = 0; tick < ladder.ladderSize; tick++) {
          for (let slot = ladder.head[tick] as number; slot !== NONE; slot = pool.next[slot] as number) {
            this.hashOrder(hasher, slot);
          }
        }
      }
      for (const slot of market.delayed) this.hashOrder(hasher, slot).number(pool.releaseAtMs[slot] as number);
    }
    for (const account of this.risk.accounts.values()) {
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
    return hasher.digest();
  }

  private hashOrder(hasher: StateHasher, slot: number): StateHasher {
    const pool = this.matching.pool;
    return hasher
      .number(pool.orderId[slot] as number)
      .number(pool.accountId[slot] as number)
      .number(pool.priceTicks[slot] as number)
      .number(pool.side[slot] as number)
      .number(pool.remainingMinor[slot] as number)
      .number(pool.matchedMinor[slot] as number)
      .number(pool.cancelledMinor[slot] as number)
      .number(pool.flags[slot] as number);
  }

  /** Throws an AssertionError when any invariant of the books or the accounts is broken. */
  checkInvariants(): void {
    checkInvariants(this.risk, this.matching);
  }
}

function accountView(account: RiskAccount): AccountView {
  return {
    accountId: account.accountId,
    balanceMinor: account.balanceMinor,
    exposureMinor: account.exposureMinor,
    availableMinor: account.availableMinor,
  };
}
