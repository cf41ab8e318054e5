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
//                              receives the difference. All PositionUpdated of one account in one
//                              command form ONE transaction (one net available line), so money
//                              moved between two markets in one command never shows a transient
//                              negative available balance.
//   AccountSettled a≠0, m      E = escrow(a,m), H = held(a,m) (from the ledger), r = pnlMinor,
//                              c = commissionMinor:
//                                escrow(a,m) −E, held(a,m) −H, pot(m) −r,
//                                available(a) +(E + H + r − c), house:commission +c
//                              The pot pays each account's gross result (a loser's negative r
//                              flows into it from its escrow); commission goes straight to the house.
//   AccountSettled 0, m        after every account of m: the pot holds −Σr ≥ 0, the rounding left
//                              by flooring each result. pot(m) −rest, house:rounding +rest; the
//                              house's pnlMinor must equal Σc + rest.
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
  /** `<partition>:<commandSeq>:<n>`: the n-th transaction of that command; unique in the ledger. */
  readonly key: string;
  readonly kind: TransactionKind;
  readonly commandSeq: number;
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

/** Thrown when the events cannot be posted consistently with the ledger (a bug somewhere). */
export class PostingError extends Error {
  override name = 'PostingError';
}

/** The ledger accounts whose current balances postEntries needs. */
export function codesRead(entries: readonly CommandEntry[]): string[] {
  const codes = new Set<string>();
  for (const entry of entries) {
    for (const event of entry.events) {
      switch (event.type) {
        case 'FundsDeposited':
        case 'FundsWithdrawn':
          codes.add(availableCode(event.accountId));
          break;
        case 'PositionUpdated':
          codes.add(availableCode(event.accountId));
          codes.add(heldCode(event.accountId, event.marketId));
          codes.add(escrowCode(event.accountId, event.marketId));
          break;
        case 'AccountSettled':
          codes.add(potCode(event.marketId));
          if (event.accountId !== HOUSE_ACCOUNT_ID) {
            codes.add(availableCode(event.accountId));
            codes.add(heldCode(event.accountId, event.marketId));
            codes.add(escrowCode(event.accountId, event.marketId));
          }
          break;
        case 'AccountResettled':
          codes.add(potCode(event.marketId));
          if (event.accountId !== HOUSE_ACCOUNT_ID) {
            codes.add(availableCode(event.accountId));
            codes.add(debtCode(event.accountId));
          }
          break;
        default:
          break;
      }
    }
  }
  return [...codes].sort();
}

/**
 * The debt accounts whose balances postEntries needs when they exist (an account without one owes
 * nothing): those of every account whose available balance the entries credit.
 */
export function debtCodesRead(entries: readonly CommandEntry[]): string[] {
  const codes = new Set<string>();
  for (const entry of entries) {
    for (const event of entry.events) {
      if (event.type === 'FundsDeposited' || event.type === 'PositionUpdated' || event.type === 'AccountSettled' || event.type === 'AccountResettled') {
        if (event.accountId !== HOUSE_ACCOUNT_ID) codes.add(debtCode(event.accountId));
      }
    }
  }
  return [...codes].sort();
}

export function postEntries(partition: string, entries: readonly CommandEntry[], openingBalances: ReadonlyMap<string, number>): Posting {
  const balances = new Map(openingBalances);
  const transactions: LedgerTransaction[] = [];
  const outcomes: MarketOutcome[] = [];
  const resettlements: MarketResettlement[] = [];
  const accounts = new Map<number, ReportedAccount>();
  const positions = new Map<string, ReportedPosition>();
  const balanceOf = (code: string): number => balances.get(code) ?? 0;

  for (const entry of entries) {
    let index = 0;
    const touchedAvailable = new Set<string>();
    const commissionByMarket = new Map<number, number>();
    const commissionChangeByMarket = new Map<number, number>();
    const positionUpdates = new Map<number, Array<Extract<EngineEvent, { type: 'PositionUpdated' }>>>();

    const post = (kind: TransactionKind, accountId: number | null, marketId: number | null, reference: string | null, raw: LedgerLine[]): void => {
      const lines = mergeLines(raw);
      if (lines.length === 0) return;
      const sum = lines.reduce((total, line) => total + line.amountMinor, 0);
      if (lines.length < 2 || sum !== 0) throw new PostingError(`unbalanced ${kind} at seq ${entry.seq}: ${JSON.stringify(lines)}`);
      for (const line of lines) {
        const balance = balanceOf(line.code) + line.amountMinor;
        if (!Number.isSafeInteger(balance)) throw new PostingError(`balance of ${line.code} leaves the safe integers`);
        balances.set(line.code, balance);
        if (line.code.startsWith('available:')) touchedAvailable.add(line.code);
      }
      transactions.push({ key: `${partition}:${entry.seq}:${index++}`, kind, commandSeq: entry.seq, accountId, marketId, reference, lines });
    };

    for (const event of entry.events) {
      switch (event.type) {
        case 'FundsDeposited':
          post('deposit', event.accountId, null, event.transferId, [
            { code: PAYMENT_CLEARING_CODE, amountMinor: -event.amountMinor },
            { code: availableCode(event.accountId), amountMinor: event.amountMinor },
          ]);
          break;
        case 'FundsWithdrawn':
          post('withdrawal', event.accountId, null, event.transferId, [
            { code: availableCode(event.accountId), amountMinor: -event.amountMinor },
            { code: PAYMENT_CLEARING_CODE, amountMinor: event.amountMinor },
          ]);
          break;
        case 'PositionUpdated': {
          const list = positionUpdates.get(event.accountId) ?? [];
          list.push(event);
          positionUpdates.set(event.accountId, list);
          positions.set(`${event.accountId}:${event.marketId}`, {
            accountId: event.accountId,
            marketId: event.marketId,
            accountSeq: event.seq,
            exposureMinor: event.exposureMinor,
            escrowMinor: event.escrowMinor,
          });
          break;
        }
        case 'AccountSettled': {
          const { accountId, marketId, pnlMinor, commissionMinor } = event;
          const pot = potCode(marketId);
          if (accountId === HOUSE_ACCOUNT_ID) {
            const restMinor = balanceOf(pot);
            const commissionMinorSum = commissionByMarket.get(marketId) ?? 0;
            if (restMinor < 0 || pnlMinor !== commissionMinorSum + restMinor) {
              throw new PostingError(
                `house settlement of market ${marketId} at seq ${entry.seq}: pnl ${pnlMinor} ≠ commission ${commissionMinorSum} + rounding ${restMinor}`,
              );
            }
            post('house_settlement', HOUSE_ACCOUNT_ID, marketId, null, [
              { code: pot, amountMinor: -restMinor },
              { code: HOUSE_ROUNDING_CODE, amountMinor: restMinor },
            ]);
            break;
          }
          const escrowMinor = balanceOf(escrowCode(accountId, marketId));
          const heldMinor = balanceOf(heldCode(accountId, marketId));
          commissionByMarket.set(marketId, (commissionByMarket.get(marketId) ?? 0) + commissionMinor);
          post('settlement', accountId, marketId, null, [
            { code: escrowCode(accountId, marketId), amountMinor: -escrowMinor },
            { code: heldCode(accountId, marketId), amountMinor: -heldMinor },
            { code: pot, amountMinor: -pnlMinor },
            { code: availableCode(accountId), amountMinor: escrowMinor + heldMinor + pnlMinor - commissionMinor },
            { code: HOUSE_COMMISSION_CODE, amountMinor: commissionMinor },
          ]);
          break;
        }
        case 'AccountResettled': {
          const { accountId, marketId, changeMinor } = event;
          const pot = potCode(marketId);
          if (accountId === HOUSE_ACCOUNT_ID) {
            const restMinor = balanceOf(pot);
            const commissionChangeMinor = commissionChangeByMarket.get(marketId) ?? 0;
            if (changeMinor !== commissionChangeMinor + restMinor) {
              throw new PostingError(
                `house resettlement of market ${marketId} at seq ${entry.seq}: change ${changeMinor} ≠ commission ${commissionChangeMinor} + rounding ${restMinor}`,
              );
            }
            post('house_resettlement', HOUSE_ACCOUNT_ID, marketId, null, [
              { code: pot, amountMinor: -restMinor },
              { code: HOUSE_ROUNDING_CODE, amountMinor: restMinor },
            ]);
            break;
          }
          const resultChangeMinor = event.pnlMinor - event.previousPnlMinor;
          const commissionChangeMinor = event.commissionMinor - event.previousCommissionMinor;
          if (changeMinor !== resultChangeMinor - commissionChangeMinor) {
            throw new PostingError(`resettlement of account ${accountId} at seq ${entry.seq}: change ${changeMinor} ≠ ${resultChangeMinor} − ${commissionChangeMinor}`);
          }
          commissionChangeByMarket.set(marketId, (commissionChangeByMarket.get(marketId) ?? 0) + commissionChangeMinor);
          const available = availableCode(accountId);
          const fromAvailableMinor = changeMinor >= 0 ? changeMinor : -Math.min(balanceOf(available), -changeMinor);
          post('resettlement', accountId, marketId, null, [
            { code: pot, amountMinor: -resultChangeMinor },
            { code: HOUSE_COMMISSION_CODE, amountMinor: commissionChangeMinor },
            { code: available, amountMinor: fromAvailableMinor },
            { code: debtCode(accountId), amountMinor: changeMinor - fromAvailableMinor },
          ]);
          touchedAvailable.add(available);
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
          accounts.set(event.accountId, {
            accountId: event.accountId,
            accountSeq: event.seq,
            balanceMinor: event.balanceMinor,
            exposureMinor: event.exposureMinor,
            availableMinor: event.availableMinor,
          });
          break;
        default:
          break;
      }
    }

    const accountIds = [...positionUpdates.keys()].sort((a, b) => a - b);
    for (const accountId of accountIds) {
      const updates = positionUpdates.get(accountId) ?? [];
      const lines: LedgerLine[] = [];
      let availableDeltaMinor = 0;
      const marketIds = new Set<number>();
      // A later update of the same position in this command moves from the earlier one's targets.
      const targets = new Map<string, number>();
      const current = (code: string): number => targets.get(code) ?? balanceOf(code);
      for (const update of updates) {
        const heldTargetMinor = update.exposureMinor - update.escrowMinor;
        if (update.escrowMinor < 0 || heldTargetMinor < 0) {
          throw new PostingError(`impossible position ${JSON.stringify(update)} at seq ${entry.seq}`);
        }
        const escrow = escrowCode(accountId, update.marketId);
        const held = heldCode(accountId, update.marketId);
        const escrowDeltaMinor = update.escrowMinor - current(escrow);
        const heldDeltaMinor = heldTargetMinor - current(held);
        lines.push({ code: escrow, amountMinor: escrowDeltaMinor }, { code: held, amountMinor: heldDeltaMinor });
        availableDeltaMinor -= escrowDeltaMinor + heldDeltaMinor;
        marketIds.add(update.marketId);
        targets.set(escrow, update.escrowMinor);
        targets.set(held, heldTargetMinor);
      }
      lines.push({ code: availableCode(accountId), amountMinor: availableDeltaMinor });
      const marketId = marketIds.size === 1 ? ([...marketIds][0] as number) : null;
      post('position', accountId, marketId, null, lines);
    }

    for (const code of [...touchedAvailable]) {
      const accountId = Number(code.slice('available:'.length));
      const debt = debtCode(accountId);
      const repaidMinor = Math.min(balanceOf(code), -balanceOf(debt));
      if (repaidMinor > 0) {
        post('debt_repayment', accountId, null, null, [
          { code, amountMinor: -repaidMinor },
          { code: debt, amountMinor: repaidMinor },
        ]);
      }
    }
    for (const code of touchedAvailable) {
      if (balanceOf(code) < 0) throw new PostingError(`${code} would be ${balanceOf(code)} after seq ${entry.seq} (I2)`);
      const debt = debtCode(Number(code.slice('available:'.length)));
      if (balanceOf(debt) > 0) throw new PostingError(`${debt} would be ${balanceOf(debt)} after seq ${entry.seq} (I2)`);
    }
  }

  return {
    transactions,
    outcomes,
    resettlements,
    accounts: [...accounts.values()],
    positions: [...positions.values()],
    balances,
  };
}

/** Sums lines per account in first-seen order and drops zeros. */
function mergeLines(lines: readonly LedgerLine[]): LedgerLine[] {
  const sums = new Map<string, number>();
  for (const line of lines) sums.set(line.code, (sums.get(line.code) ?? 0) + line.amountMinor);
  return [...sums].filter(([, amountMinor]) => amountMinor !== 0).map(([code, amountMinor]) => ({ code, amountMinor }));
}
