// Posting rules: the engine's events, command by command, as double-entry ledger transactions.
// Pure: no I/O. The caller passes the ledger's current balances of the accounts the rules read
// (see codesRead) and gets back the transactions, each of whose lines sum to zero.
//
// Signs: a line adds its amount to its account's balance. User, house and pot balances are money
// the exchange holds for someone; payment clearing goes negative by what came in from outside.
//
//   FundsDeposited a, x        clearing −x, available(a) +x
//   FundsWithdrawn a, x        available(a) −x, clearing +x
//   PositionUpdated a, m       mirror the engine: escrow(a,m) := escrowMinor and
//                              held(a,m) := exposureMinor − escrowMinor; available(a) pays or
//                              receives the difference. All PositionUpdated of one command form
//                              ONE transaction (a matched bet: both sides' lines), with one net
//                              available line per account, so money moved between two markets in
//                              one command never shows a transient negative available balance. Its
//                              account and market are those of every update, or null when they
//                              differ.
//   AccountSettled a≠0, m      E = escrow(a,m), H = held(a,m) (from the ledger), r = pnlMinor,
//                              c = commissionMinor:
//                                escrow(a,m) −E, held(a,m) −H, pot(m) −r,
//                                available(a) +(E + H + r − c), house:commission +c
//                              The pot pays each account's gross result (a loser's negative r
//                              flows into it from its escrow); commission goes straight to the house.
//   AccountSettled 0, m        after every account of m: the pot holds −Σr ≥ 0, the rounding left
//                              by flooring each result. pot(m) −rest, house:rounding +rest; the
//                              house's pnlMinor must equal Σc + rest. From a risk partition of a
//                              partitioned engine the rest goes to the house's share there,
//                              house:share:<partition>, and may be below zero: the partition's
//                              accounts won what other partitions' accounts lost (the same for
//                              AccountResettled 0).
//   MarketSettled/MarketVoided recorded once per market (the caller keeps them unique).
//   void                       the engine's PositionUpdated to zero returns escrow and held.
//   AccountResettled a≠0, m    the previous result r0, c0 reversed and the new r, c applied, as new
//                              lines (the market's escrow and held are already zero):
//                                pot(m) −(r − r0), house:commission +(c − c0), and the account's
//                                change x = (r − c) − (r0 − c0): available +x when x ≥ 0; when
//                                x < 0, available −min(available, −x) and debt(a) −(the rest).
//   AccountResettled 0, m      after every account of m: the pot holds −Σ(r − r0), the change in
//                              rounding. pot(m) −rest, house:rounding +rest; the house's changeMinor
//                              must equal Σ(c − c0) + rest.
//   MarketResettled            recorded once per command (market_resettlements).
//   debt repayment             at the end of every command, an account that owes (debt < 0) and
//                              has money in available moves min(available, −debt) to its debt
//                              account: deposits, payouts and released escrow repay the debt first.
//                              So debt(a) < 0 only while available(a) = 0, and the engine's
//                              available = available(a) + debt(a).
//
// After a settlement every escrow(·,m), held(·,m) and pot(m) is zero: the market's money has gone
// to the accounts' available balances and the house. Order within a command: the engine emits
// AccountSettled during a command and PositionUpdated/AccountUpdated at its end (risk-stage
// endCommand). AccountSettled releases whatever the ledger holds on the market, so the
// PositionUpdated to zero after it posts nothing; had it come first, it would release escrow and
// held to available and AccountSettled would then move only r − c: the balances after the command
// are the same either way. PositionUpdated events are therefore collected and posted at the end of
// their command. After every command each touched available balance must be ≥ 0 (I2); a negative
// one means the ledger and the engine disagree, and the rules throw.

import type { DeadHeat, EngineEvent } from '@playchacha/protocol';
import { HOUSE_ACCOUNT_ID } from '@playchacha/protocol';
import {
  availableCode,
  debtCode,
  escrowCode,
  heldCode,
  HOUSE_COMMISSION_CODE,
  HOUSE_ROUNDING_CODE,
  PAYMENT_CLEARING_CODE,
  potCode,
} from './ledger-codes.js';

export type TransactionKind =
  | 'deposit'
  | 'withdrawal'
  | 'position'
  | 'settlement'
  | 'house_settlement'
  | 'resettlement'
  | 'house_resettlement'
  | 'debt_repayment';

export interface LedgerLine {
  readonly code: string;
  readonly amountMinor: number;
}

export interface LedgerTransaction {
  readonly kind: TransactionKind;
  readonly commandSeq: number;
  /** The n-th transaction of its command: (partition, commandSeq, entryIndex) is unique in the ledger. */
  readonly entryIndex: number;
  readonly accountId: number | null;
  readonly marketId: number | null;
  readonly reference: string | null;
  readonly lines: readonly LedgerLine[];
}

export interface MarketOutcome {
  readonly marketId: number;
  readonly outcome: 'settled' | 'voided';
  readonly commandSeq: number;
  readonly winners: readonly DeadHeat[] | null;
  readonly commissionBps: number | null;
}

export interface MarketResettlement {
  readonly marketId: number;
  readonly commandSeq: number;
  readonly previousOutcome: 'settled' | 'voided';
  readonly outcome: 'settled' | 'voided';
  readonly winners: readonly DeadHeat[] | null;
  readonly commissionBps: number;
  readonly reason: string;
}

export interface ReportedAccount {
  readonly accountId: number;
  readonly accountSeq: number;
  readonly balanceMinor: number;
  readonly exposureMinor: number;
  readonly availableMinor: number;
}

export interface ReportedPosition {
  readonly accountId: number;
  readonly marketId: number;
  readonly accountSeq: number;
  readonly exposureMinor: number;
  readonly escrowMinor: number;
}

/** One command's events, in the engine's order. */
export interface CommandEntry {
  readonly seq: number;
  readonly events: readonly EngineEvent[];
}

export interface Posting {
  readonly transactions: LedgerTransaction[];
  readonly outcomes: MarketOutcome[];
  readonly resettlements: MarketResettlement[];
  /** The engine's last reported figures per account and per position in these entries. */
  readonly accounts: ReportedAccount[];
  readonly positions: ReportedPosition[];
  /** The balances after the transactions, for every account read or written. */
  readonly balances: Map<string, number>;
}

/** The event types the posting rules read; postEntries and accountsRead ignore every other. */
export const POSTED_EVENT_TYPES: ReadonlySet<EngineEvent['type']> = new Set<EngineEvent['type']>([
  'FundsDeposited',
  'FundsWithdrawn',
  'PositionUpdated',
  'AccountSettled',
  'AccountResettled',
  'MarketSettled',
  'MarketVoided',
  'MarketResettled',
  'AccountUpdated',
]);

/** Thrown when the events cannot be posted consistently with the ledger (a bug somewhere). */
export class PostingError extends Error {
  override name = 'PostingError';
}

/** The ledger accounts whose current balances postEntries needs. */
export function codesRead(entries: readonly CommandEntry[]): string[] {
  return accountsRead(entries).codes;
}

/**
 * codesRead, and the debt accounts whose balances postEntries needs when they exist (an account
 * without one owes nothing): those of every account whose available balance the entries credit.
 * Each sorted.
 */
export function accountsRead(entries: readonly CommandEntry[]): { codes: string[]; debtCodes: string[] } {
  const available = new Set<number>();
  const debt = new Set<number>();
  const debtIfAny = new Set<number>();
  const pots = new Set<number>();
  /** Account → the markets whose held and escrow accounts are read. */
  const positions = new Map<number, Set<number>>();
  const position = (accountId: number, marketId: number): void => {
    let markets = positions.get(accountId);
    if (markets === undefined) positions.set(accountId, (markets = new Set()));
    markets.add(marketId);
  };
  for (const entry of entries) {
    for (const event of entry.events) {
      switch (event.type) {
        case 'FundsDeposited':
          available.add(event.accountId);
          if (event.accountId !== HOUSE_ACCOUNT_ID) debtIfAny.add(event.accountId);
          break;
        case 'FundsWithdrawn':
          available.add(event.accountId);
          break;
        case 'PositionUpdated':
          available.add(event.accountId);
          position(event.accountId, event.marketId);
          if (event.accountId !== HOUSE_ACCOUNT_ID) debtIfAny.add(event.accountId);
          break;
        case 'AccountSettled':
          pots.add(event.marketId);
          if (event.accountId !== HOUSE_ACCOUNT_ID) {
            available.add(event.accountId);
            position(event.accountId, event.marketId);
            debtIfAny.add(event.accountId);
          }
          break;
        case 'AccountResettled':
          pots.add(event.marketId);
          if (event.accountId !== HOUSE_ACCOUNT_ID) {
            available.add(event.accountId);
            debt.add(event.accountId);
            debtIfAny.add(event.accountId);
          }
          break;
        default:
          break;
      }
    }
  }
  const codes: string[] = [];
  for (const accountId of available) codes.push(availableCode(accountId));
  for (const accountId of debt) codes.push(debtCode(accountId));
  for (const marketId of pots) codes.push(potCode(marketId));
  for (const [accountId, markets] of positions) {
    for (const marketId of markets) codes.push(heldCode(accountId, marketId), escrowCode(accountId, marketId));
  }
  return { codes: codes.sort(), debtCodes: [...debtIfAny].map(debtCode).sort() };
}

export interface PostingOptions {
  /**
   * The entries come from a risk partition of a partitioned engine, where the house has a share:
   * the code of that share's ledger account. The partition's accounts may win more than they lose
   * on a market (their counterparts are in other partitions), so the house's settlement there
   * moves the pot's rest, which may be below zero, to the share instead of house:rounding.
   */
  readonly houseShareCode?: string;
}

export function postEntries(entries: readonly CommandEntry[], openingBalances: ReadonlyMap<string, number>, options: PostingOptions = {}): Posting {
  const houseShareCode = options.houseShareCode;
  const houseRestCode = houseShareCode ?? HOUSE_ROUNDING_CODE;
  const balances = new Map(openingBalances);
  const transactions: LedgerTransaction[] = [];
  const outcomes: MarketOutcome[] = [];
  const resettlements: MarketResettlement[] = [];
  // The last AccountUpdated per account and PositionUpdated per position (keyed by its escrow code).
  const accounts = new Map<number, AccountUpdated>();
  const positions = new Map<string, PositionUpdated>();
  const names = new AccountCodes();
  const balanceOf = (code: string): number => balances.get(code) ?? 0;

  // The command being posted (reset for each entry; kept outside the loop so that posting a
  // command allocates no closures).
  let seq = 0;
  let index = 0;
  /** The accounts whose available balance this command moved, in the order first moved. */
  const touchedAvailable = new Set<number>();
  /** The command's PositionUpdated events, grouped by account (in order within one) at its end. */
  const positionUpdates: PositionUpdated[] = [];
  const post = (kind: TransactionKind, accountId: number | null, marketId: number | null, reference: string | null, raw: LedgerLine[]): void => {
    const lines = mergeLines(raw);
    if (lines.length === 0) return;
    let sum = 0;
    for (const line of lines) sum += line.amountMinor;
    if (lines.length < 2 || sum !== 0) throw new PostingError(`unbalanced ${kind} at seq ${seq}: ${JSON.stringify(lines)}`);
    for (const line of lines) {
      const balance = balanceOf(line.code) + line.amountMinor;
      if (!Number.isSafeInteger(balance)) throw new PostingError(`balance of ${line.code} leaves the safe integers`);
      balances.set(line.code, balance);
      const availableOf = names.ownerOfAvailable(line.code);
      if (availableOf !== undefined) touchedAvailable.add(availableOf);
    }
    transactions.push({ kind, commandSeq: seq, entryIndex: index++, accountId, marketId, reference, lines });
  };

  for (const entry of entries) {
    seq = entry.seq;
    index = 0;
    touchedAvailable.clear();
    positionUpdates.length = 0;
    // Only settlement and resettlement commands use these.
    let commissionByMarket: Map<number, number> | undefined;
    let commissionChangeByMarket: Map<number, number> | undefined;

    for (const event of entry.events) {
      switch (event.type) {
        case 'FundsDeposited':
          post('deposit', event.accountId, null, event.transferId, [
            { code: PAYMENT_CLEARING_CODE, amountMinor: -event.amountMinor },
            { code: names.available(event.accountId), amountMinor: event.amountMinor },
          ]);
          break;
        case 'FundsWithdrawn':
          post('withdrawal', event.accountId, null, event.transferId, [
            { code: names.available(event.accountId), amountMinor: -event.amountMinor },
            { code: PAYMENT_CLEARING_CODE, amountMinor: event.amountMinor },
          ]);
          break;
        case 'PositionUpdated':
          positionUpdates.push(event);
          positions.set(names.escrow(event.accountId, event.marketId), event);
          break;
        case 'AccountSettled': {
          const { accountId, marketId, pnlMinor, commissionMinor } = event;
          const pot = names.pot(marketId);
          if (accountId === HOUSE_ACCOUNT_ID) {
            const restMinor = balanceOf(pot);
            const commissionMinorSum = commissionByMarket?.get(marketId) ?? 0;
            if ((restMinor < 0 && houseShareCode === undefined) || pnlMinor !== commissionMinorSum + restMinor) {
              throw new PostingError(
                `house settlement of market ${marketId} at seq ${entry.seq}: pnl ${pnlMinor} ≠ commission ${commissionMinorSum} + rounding ${restMinor}`,
              );
            }
            post('house_settlement', HOUSE_ACCOUNT_ID, marketId, null, [
              { code: pot, amountMinor: -restMinor },
              { code: houseRestCode, amountMinor: restMinor },
            ]);
            break;
          }
          const escrow = names.escrow(accountId, marketId);
          const held = names.held(accountId, marketId);
          const escrowMinor = balanceOf(escrow);
          const heldMinor = balanceOf(held);
          commissionByMarket ??= new Map();
          commissionByMarket.set(marketId, (commissionByMarket.get(marketId) ?? 0) + commissionMinor);
          post('settlement', accountId, marketId, null, [
            { code: escrow, amountMinor: -escrowMinor },
            { code: held, amountMinor: -heldMinor },
            { code: pot, amountMinor: -pnlMinor },
            { code: names.available(accountId), amountMinor: escrowMinor + heldMinor + pnlMinor - commissionMinor },
            { code: HOUSE_COMMISSION_CODE, amountMinor: commissionMinor },
          ]);
          break;
        }
        case 'AccountResettled': {
          const { accountId, marketId, changeMinor } = event;
          const pot = names.pot(marketId);
          if (accountId === HOUSE_ACCOUNT_ID) {
            const restMinor = balanceOf(pot);
            const commissionChangeMinor = commissionChangeByMarket?.get(marketId) ?? 0;
            if (changeMinor !== commissionChangeMinor + restMinor) {
              throw new PostingError(
                `house resettlement of market ${marketId} at seq ${entry.seq}: change ${changeMinor} ≠ commission ${commissionChangeMinor} + rounding ${restMinor}`,
              );
            }
            post('house_resettlement', HOUSE_ACCOUNT_ID, marketId, null, [
              { code: pot, amountMinor: -restMinor },
              { code: houseRestCode, amountMinor: restMinor },
            ]);
            break;
          }
          const resultChangeMinor = event.pnlMinor - event.previousPnlMinor;
          const commissionChangeMinor = event.commissionMinor - event.previousCommissionMinor;
          if (changeMinor !== resultChangeMinor - commissionChangeMinor) {
            throw new PostingError(`resettlement of account ${accountId} at seq ${entry.seq}: change ${changeMinor} ≠ ${resultChangeMinor} − ${commissionChangeMinor}`);
          }
          commissionChangeByMarket ??= new Map();
          commissionChangeByMarket.set(marketId, (commissionChangeByMarket.get(marketId) ?? 0) + commissionChangeMinor);
          const available = names.available(accountId);
          const fromAvailableMinor = changeMinor >= 0 ? changeMinor : -Math.min(balanceOf(available), -changeMinor);
          post('resettlement', accountId, marketId, null, [
            { code: pot, amountMinor: -resultChangeMinor },
            { code: HOUSE_COMMISSION_CODE, amountMinor: commissionChangeMinor },
            { code: available, amountMinor: fromAvailableMinor },
            { code: names.debt(accountId), amountMinor: changeMinor - fromAvailableMinor },
          ]);
          touchedAvailable.add(accountId);
          break;
        }
        case 'MarketResettled':
          resettlements.push({
            marketId: event.marketId,
            commandSeq: entry.seq,
            previousOutcome: event.previousOutcome,
            outcome: event.outcome,
            winners: event.winners,
            commissionBps: event.commissionBps,
            reason: event.reason,
          });
          break;
        case 'MarketSettled':
          outcomes.push({
            marketId: event.marketId,
            outcome: 'settled',
            commandSeq: entry.seq,
            winners: event.winners,
            commissionBps: event.commissionBps,
          });
          break;
        case 'MarketVoided':
          outcomes.push({ marketId: event.marketId, outcome: 'voided', commandSeq: entry.seq, winners: null, commissionBps: null });
          break;
        case 'AccountUpdated':
          accounts.set(event.accountId, event);
          break;
        default:
          break;
      }
    }

    // Stable: an account's updates keep their order.
    if (positionUpdates.length > 1) positionUpdates.sort(byAccountId);
    const positionLines: LedgerLine[] = [];
    let positionAccountId: number | null | undefined;
    let positionMarketId: number | null | undefined;
    for (let first = 0; first < positionUpdates.length; ) {
      const accountId = (positionUpdates[first] as PositionUpdated).accountId;
      let end = first + 1;
      while (end < positionUpdates.length && (positionUpdates[end] as PositionUpdated).accountId === accountId) end++;
      let availableDeltaMinor = 0;
      positionAccountId = positionAccountId === undefined || positionAccountId === accountId ? accountId : null;
      // A later update of the same position in this command moves from the earlier one's targets.
      const targets = end - first > 1 ? new Map<string, number>() : null;
      for (let u = first; u < end; u++) {
        const update = positionUpdates[u] as PositionUpdated;
        const heldTargetMinor = update.exposureMinor - update.escrowMinor;
        if (update.escrowMinor < 0 || heldTargetMinor < 0) {
          throw new PostingError(`impossible position ${JSON.stringify(update)} at seq ${entry.seq}`);
        }
        const escrow = names.escrow(accountId, update.marketId);
        const held = names.held(accountId, update.marketId);
        const escrowDeltaMinor = update.escrowMinor - (targets?.get(escrow) ?? balanceOf(escrow));
        const heldDeltaMinor = heldTargetMinor - (targets?.get(held) ?? balanceOf(held));
        positionLines.push({ code: escrow, amountMinor: escrowDeltaMinor }, { code: held, amountMinor: heldDeltaMinor });
        availableDeltaMinor -= escrowDeltaMinor + heldDeltaMinor;
        positionMarketId = positionMarketId === undefined || positionMarketId === update.marketId ? update.marketId : null;
        targets?.set(escrow, update.escrowMinor);
        targets?.set(held, heldTargetMinor);
      }
      positionLines.push({ code: names.available(accountId), amountMinor: availableDeltaMinor });
      first = end;
    }
    if (positionLines.length > 0) post('position', positionAccountId ?? null, positionMarketId ?? null, null, positionLines);

    // Repaying touches only the account's own available and debt balances: each account is
    // repaid and checked in one step.
    for (const accountId of touchedAvailable) {
      const available = names.available(accountId);
      const debt = names.debt(accountId);
      let availableMinor = balanceOf(available);
      let debtMinor = balanceOf(debt);
      const repaidMinor = Math.min(availableMinor, -debtMinor);
      if (repaidMinor > 0) {
        post('debt_repayment', accountId, null, null, [
          { code: available, amountMinor: -repaidMinor },
          { code: debt, amountMinor: repaidMinor },
        ]);
        availableMinor -= repaidMinor;
        debtMinor += repaidMinor;
      }
      if (availableMinor < 0) throw new PostingError(`${available} would be ${availableMinor} after seq ${entry.seq} (I2)`);
      if (debtMinor > 0) throw new PostingError(`${debt} would be ${debtMinor} after seq ${entry.seq} (I2)`);
    }
  }

  return {
    transactions,
    outcomes,
    resettlements,
    accounts: Array.from(accounts.values(), (e) => ({
      accountId: e.accountId,
      accountSeq: e.seq,
      balanceMinor: e.balanceMinor,
      exposureMinor: e.exposureMinor,
      availableMinor: e.availableMinor,
    })),
    positions: Array.from(positions.values(), (e) => ({
      accountId: e.accountId,
      marketId: e.marketId,
      accountSeq: e.seq,
      exposureMinor: e.exposureMinor,
      escrowMinor: e.escrowMinor,
    })),
    balances,
  };
}

type PositionUpdated = Extract<EngineEvent, { type: 'PositionUpdated' }>;
type AccountUpdated = Extract<EngineEvent, { type: 'AccountUpdated' }>;

function byAccountId(a: PositionUpdated, b: PositionUpdated): number {
  return a.accountId - b.accountId;
}

/** Sums lines per account in first-seen order and drops zeros (`lines` itself when it has neither). */
function mergeLines(lines: LedgerLine[]): LedgerLine[] {
  if (lines.length <= 16 && !hasRepeatOrZero(lines)) return lines;
  if (lines.length > 16) {
    const sums = new Map<string, number>();
    for (const line of lines) sums.set(line.code, (sums.get(line.code) ?? 0) + line.amountMinor);
    return [...sums].filter(([, amountMinor]) => amountMinor !== 0).map(([code, amountMinor]) => ({ code, amountMinor }));
  }
  const merged: LedgerLine[] = [];
  let zeros = false;
  for (const line of lines) {
    // A transaction has a handful of lines: a linear search beats a map.
    let i = 0;
    while (i < merged.length && (merged[i] as LedgerLine).code !== line.code) i++;
    const sumMinor = (i < merged.length ? (merged[i] as LedgerLine).amountMinor : 0) + line.amountMinor;
    merged[i] = { code: line.code, amountMinor: sumMinor };
    if (sumMinor === 0) zeros = true;
  }
  return zeros ? merged.filter((line) => line.amountMinor !== 0) : merged;
}

function hasRepeatOrZero(lines: readonly LedgerLine[]): boolean {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as LedgerLine;
    if (line.amountMinor === 0) return true;
    for (let j = 0; j < i; j++) if ((lines[j] as LedgerLine).code === line.code) return true;
  }
  return false;
}

/**
 * The codes of the accounts one posting names, each built once: the rules name the same few
 * accounts many times, and building and hashing a fresh string each time cost more than the rules.
 */
class AccountCodes {
  private readonly availableCodes = new Map<number, string>();
  private readonly availableOwners = new Map<string, number>();
  private readonly debtCodes = new Map<number, string>();
  private readonly potCodes = new Map<number, string>();
  private readonly heldCodes = new Map<number, Map<number, string>>();
  private readonly escrowCodes = new Map<number, Map<number, string>>();

  available(accountId: number): string {
    let code = this.availableCodes.get(accountId);
    if (code === undefined) {
      code = availableCode(accountId);
      this.availableCodes.set(accountId, code);
      this.availableOwners.set(code, accountId);
    }
    return code;
  }

  /** The account whose available balance `code` names, if it does. */
  ownerOfAvailable(code: string): number | undefined {
    return this.availableOwners.get(code);
  }

  debt(accountId: number): string {
    return memo(this.debtCodes, accountId, debtCode);
  }

  pot(marketId: number): string {
    return memo(this.potCodes, marketId, potCode);
  }

  held(accountId: number, marketId: number): string {
    return memo2(this.heldCodes, accountId, marketId, heldCode);
  }

  escrow(accountId: number, marketId: number): string {
    return memo2(this.escrowCodes, accountId, marketId, escrowCode);
  }
}

function memo(codes: Map<number, string>, id: number, build: (id: number) => string): string {
  let code = codes.get(id);
  if (code === undefined) {
    code = build(id);
    codes.set(id, code);
  }
  return code;
}

function memo2(codes: Map<number, Map<number, string>>, accountId: number, marketId: number, build: (accountId: number, marketId: number) => string): string {
  let byMarket = codes.get(accountId);
  if (byMarket === undefined) {
    byMarket = new Map();
    codes.set(accountId, byMarket);
  }
  let code = byMarket.get(marketId);
  if (code === undefined) {
    code = build(accountId, marketId);
    byMarket.set(marketId, code);
  }
  return code;
}
