// The risk stage's front door (R1): reads order commands (single instructions, batches, mass
// cancels, a freeze), answers repeats of a client order id, checks and holds each instruction in the
// risk stage, and hands what passed to the matching stage through a MatchingPort. In one process
// the port is the matching stage itself; in a risk partition it collects hand-offs for the
// matching partitions' journals.

import {
  BATCH_INSTRUCTIONS_MAX,
  HOUSE_ACCOUNT_ID,
  isId,
  type AccountId,
  type CloseReason,
  type Command,
  type EngineEvent,
  type Instruction,
  type InstructionKind,
  type MarketId,
  type RejectCode,
  type Side,
} from '@playchacha/protocol';
import { asInstruction, isClientOrderId, isObject } from './command-shape.js';
import { OpenChanges, type RiskAccount, type RiskStage } from './risk-stage.js';
import type { ApprovedInstruction } from './stage-messages.js';

/** Where approved instructions and account-wide cancels go. */
export interface MatchingPort {
  execute(instruction: ApprovedInstruction): void;
  /** Closes an account's open orders (of one market, runner, side when given). */
  massCancel(accountId: AccountId, marketId: MarketId | undefined, runnerIndex: number | undefined, side: Side | undefined, reason: CloseReason): void;
}

export class OrderEntry {
  private readonly changes = new OpenChanges();
  private readonly openOrdersDelta = { value: 0 };

  constructor(
    private readonly risk: RiskStage,
    private readonly matching: MatchingPort,
    private readonly emit: (event: EngineEvent) => void,
  ) {}

  /**
   * The commands the risk stage answers wherever it runs (accounts, transfers, limits, status and
   * orders): their reject code or null; undefined for any other command.
   */
  accountCommand(commandSeq: number, command: Command): RejectCode | null | undefined {
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
      case 'PlaceOrder':
        return this.single(commandSeq, command, 'place');
      case 'CancelOrder':
        return this.single(commandSeq, command, 'cancel');
      case 'ReplaceOrder':
        return this.single(commandSeq, command, 'replace');
      case 'Batch':
        return this.batch(commandSeq, command.accountId, command.mode, command.instructions);
      default:
        return undefined;
    }
  }

  /** A PlaceOrder, CancelOrder or ReplaceOrder: one best-effort instruction, read from the command itself. */
  single(commandSeq: number, command: Command & { accountId: unknown }, kind: InstructionKind): RejectCode | null {
    const accountId = command.accountId;
    if (!isId(accountId)) return 'invalid_command';
    const account = this.risk.accounts.get(accountId);
    if (account === undefined || accountId === HOUSE_ACCOUNT_ID) return 'unknown_account';
    this.bestEffort(commandSeq, account, command, 0, kind);
    return null;
  }

  batch(commandSeq: number, accountId: unknown, mode: unknown, instructions: unknown): RejectCode | null {
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

  private instructions(commandSeq: number, accountId: unknown, mode: 'all_or_none' | 'best_effort', raws: readonly unknown[]): RejectCode | null {
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

  private bestEffort(commandSeq: number, account: RiskAccount, raw: unknown, index: number, kind?: InstructionKind): void {
    const instruction = asInstruction(raw, kind);
    if (instruction === null) {
      this.rejectMalformed(account.accountId, raw, index, 'invalid_command', kind);
      return;
    }
    if (this.answeredAsDuplicate(commandSeq, account, instruction)) return;
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
    const changes = new OpenChanges();
    const openOrdersDelta = { value: 0 };
    let failedIndex = -1;
    let failedCode: RejectCode | null = null;
    this.risk.beginBatchCheck();
    for (let index = 0; index < parsed.length && failedIndex < 0; index++) {
      const instruction = parsed[index];
      if (instruction === null || instruction === undefined) {
        failedIndex = index;
        failedCode = 'invalid_command';
        break;
      }
      if (instruction.kind !== 'cancel') {
        if (seen.has(instruction.clientOrderId) || this.risk.duplicateOf(account, instruction.clientOrderId)) continue;
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
      if (this.answeredAsDuplicate(commandSeq, account, instruction)) return;
      if (failedIndex >= 0) {
        this.rejectInstruction(account.accountId, instruction, index, index === failedIndex && failedCode !== null ? failedCode : 'batch_instruction_rejected');
        return;
      }
      // An earlier instruction may have matched the named order in full (or closed it by
      // self-trade prevention) since the batch was checked: there is nothing left to act on.
      // (Across partitions the matching partition finds that out and refuses it instead.)
      if (instruction.kind !== 'place' && !this.risk.orders.has(instruction.orderId)) {
        this.rejectInstruction(account.accountId, instruction, index, 'unknown_order');
        return;
      }
      this.matching.execute(this.risk.approve(account, instruction, index));
    });
  }

  private answeredAsDuplicate(commandSeq: number, account: RiskAccount, instruction: Instruction): boolean {
    if (instruction.kind === 'cancel') return false;
    const original = this.risk.duplicateOf(account, instruction.clientOrderId);
    if (original === undefined) return false;
    this.emit({
      type: 'OrderDuplicate',
      commandSeq,
      accountId: account.accountId,
      clientOrderId: instruction.clientOrderId,
      orderId: original.orderId,
      code: original.code,
    });
    return true;
  }

  private rejectInstruction(accountId: AccountId, instruction: Instruction, index: number, code: RejectCode): void {
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
  setAccountStatus(command: Extract<Command, { type: 'SetAccountStatus' }>): RejectCode | null {
    const code = this.risk.setAccountStatus(command.accountId, command.status);
    if (code === null && command.status === 'frozen') {
      this.matching.massCancel(command.accountId, undefined, undefined, undefined, 'account_frozen');
    }
    return code;
  }
}

/**
 * The checks of a MassCancel command; null when valid. `accountKnown` and `runnerCountOf` answer
 * from the stage that receives it (undefined: an unknown market).
 */
export function massCancelRejectCode(
  command: Extract<Command, { type: 'MassCancel' }>,
  accountKnown: (accountId: AccountId) => boolean,
  runnerCountOf: (marketId: MarketId) => number | undefined,
): RejectCode | null {
  const { accountId, marketId, runnerIndex, side } = command as Record<string, unknown> & typeof command;
  if (accountId !== undefined && !isId(accountId)) return 'invalid_command';
  if (marketId !== undefined && !isId(marketId)) return 'invalid_command';
  if (side !== undefined && side !== 'back' && side !== 'lay') return 'invalid_command';
  if (runnerIndex !== undefined && (typeof runnerIndex !== 'number' || !Number.isInteger(runnerIndex))) return 'invalid_command';
  if (accountId === undefined && marketId === undefined) return 'invalid_command';
  if (runnerIndex !== undefined && marketId === undefined) return 'invalid_command';
  if (accountId !== undefined && (!accountKnown(accountId) || accountId === HOUSE_ACCOUNT_ID)) return 'unknown_account';
  const runnerCount = marketId === undefined ? undefined : runnerCountOf(marketId);
  if (marketId !== undefined && runnerCount === undefined) return 'unknown_market';
  if (runnerIndex !== undefined && runnerCount !== undefined && (runnerIndex < 0 || runnerIndex >= runnerCount)) {
    return 'invalid_runner';
  }
  return null;
}
