// An account's wallet history from the ledger of record (the settlement worker's tables): one
// entry per ledger transaction that touched the account, with what it did to the available
// balance, to the money held for open orders and to the escrow of matched bets. Newest first.

import type pg from 'pg';
import type { AccountId } from '@playchacha/protocol';

export interface HistoryEntry {
  readonly transactionId: number;
  /** deposit, withdrawal, position (bets placed, matched, cancelled), settlement. */
  readonly kind: string;
  readonly marketId: number | null;
  readonly reference: string | null;
  readonly createdAt: string;
  readonly availableDeltaMinor: number;
  readonly heldDeltaMinor: number;
  readonly escrowDeltaMinor: number;
  /** What the account owes after a resettlement clawed back more than it had (negative: owed more). */
  readonly debtDeltaMinor: number;
}

/** The ledger tables are missing: the settlement worker writes to another database. */
export class LedgerUnavailableError extends Error {
  override name = 'LedgerUnavailableError';
}

interface Row {
  transaction_id: string;
  kind: string;
  market_id: string | null;
  reference: string | null;
  created_at: Date;
  available: string;
  held: string;
  escrow: string;
  debt: string;
}

function toInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`ledger amount ${text} is not a safe integer`);
  return value;
}

export class LedgerHistory {
  constructor(private readonly pool: pg.Pool) {}

  async list(accountId: AccountId, options: { limit: number; beforeId?: number }): Promise<HistoryEntry[]> {
    let rows: Row[];
    try {
      ({ rows } = await this.pool.query<Row>(
        `SELECT t.id AS transaction_id, t.kind, t.market_id, t.reference, t.created_at,
                COALESCE(SUM(l.amount_minor) FILTER (WHERE a.kind = 'user_available'), 0) AS available,
                COALESCE(SUM(l.amount_minor) FILTER (WHERE a.kind = 'user_held'), 0) AS held,
                COALESCE(SUM(l.amount_minor) FILTER (WHERE a.kind = 'user_escrow'), 0) AS escrow,
                COALESCE(SUM(l.amount_minor) FILTER (WHERE a.kind = 'user_debt'), 0) AS debt
           FROM ledger_accounts a
           JOIN ledger_lines l ON l.ledger_account_id = a.id
           JOIN ledger_transactions t ON t.id = l.transaction_id
          WHERE a.owner_account_id = $1 AND ($2::int8 IS NULL OR t.id < $2)
          GROUP BY t.id
          ORDER BY t.id DESC
          LIMIT $3`,
        [accountId, options.beforeId ?? null, options.limit],
      ));
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') throw new LedgerUnavailableError('the ledger tables are not in this database');
      throw error;
    }
    return rows.map((row) => ({
      transactionId: Number(row.transaction_id),
      kind: row.kind,
      marketId: row.market_id === null ? null : Number(row.market_id),
      reference: row.reference,
      createdAt: row.created_at.toISOString(),
      availableDeltaMinor: toInteger(row.available),
      heldDeltaMinor: toInteger(row.held),
      escrowDeltaMinor: toInteger(row.escrow),
      debtDeltaMinor: toInteger(row.debt),
    }));
  }

  /**
   * The markets an account had held or matched money on that are settled or void, newest first,
   * as they stand after any resettlement. From the ledger: a settlement transaction moves the
   * account's escrow and held on the market and pays available escrow + held + result −
   * commission, with the house's commission line carrying the commission; a resettlement
   * transaction moves the account's change of (result − commission) and the house's change of
   * commission. So the account's lines in both kinds sum to result − commission now, and the
   * commission lines to the commission now.
   */
  async settledMarkets(accountId: AccountId, options: { limit: number }): Promise<SettledMarket[]> {
    let rows: SettledRow[];
    try {
      ({ rows } = await this.pool.query<SettledRow>(
        `SELECT s.market_id,
                COALESCE(latest.outcome, s.outcome) AS outcome,
                CASE WHEN latest.id IS NULL THEN s.winners ELSE latest.winners END AS winners,
                CASE WHEN latest.id IS NULL THEN s.commission_bps ELSE latest.commission_bps END AS commission_bps,
                COALESCE(latest.applied_at, s.applied_at) AS applied_at,
                latest.id IS NOT NULL AS resettled,
                COALESCE(r.net, 0) AS net, COALESCE(r.commission, 0) AS commission
           FROM market_settlements s
           JOIN (SELECT DISTINCT market_id FROM ledger_accounts
                  WHERE owner_account_id = $1 AND market_id IS NOT NULL) mine ON mine.market_id = s.market_id
           LEFT JOIN LATERAL (
             SELECT * FROM market_resettlements x WHERE x.market_id = s.market_id ORDER BY x.command_seq DESC, x.id DESC LIMIT 1
           ) latest ON true
           LEFT JOIN LATERAL (
             SELECT SUM(l.amount_minor) FILTER (WHERE a.owner_account_id = $1) AS net,
                    SUM(l.amount_minor) FILTER (WHERE a.kind = 'house_commission') AS commission
               FROM ledger_transactions t
               JOIN ledger_lines l ON l.transaction_id = t.id
               JOIN ledger_accounts a ON a.id = l.ledger_account_id
              WHERE t.account_id = $1 AND t.market_id = s.market_id AND t.kind IN ('settlement', 'resettlement')
           ) r ON true
          ORDER BY COALESCE(latest.command_seq, s.command_seq) DESC, s.market_id DESC
          LIMIT $2`,
        [accountId, options.limit],
      ));
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') throw new LedgerUnavailableError('the ledger tables are not in this database');
      throw error;
    }
    return rows.map((row) => {
      const netMinor = toInteger(row.net);
      const commissionMinor = toInteger(row.commission);
      return {
        marketId: Number(row.market_id),
        outcome: row.outcome,
        winners: row.winners,
        commissionBps: row.commission_bps,
        settledAt: row.applied_at.toISOString(),
        resettled: row.resettled,
        grossMinor: netMinor + commissionMinor,
        commissionMinor,
        netMinor,
      };
    });
  }
}

/** One market the account had money on, after its settlement or void, with what it paid. */
export interface SettledMarket {
  readonly marketId: number;
  readonly outcome: 'settled' | 'voided';
  /** The winners and their dead-heat factors; null for a void. */
  readonly winners: Array<{ readonly runnerIndex: number; readonly factorNumerator: number; readonly factorDenominator: number }> | null;
  readonly commissionBps: number | null;
  readonly settledAt: string;
  /** Whether the market was resettled (or un-voided) since; the figures are as they stand now. */
  readonly resettled: boolean;
  /** The account's result on the market before commission. */
  readonly grossMinor: number;
  readonly commissionMinor: number;
  /** What the settlement paid into the available balance beyond the money returned from escrow and held: gross − commission. */
  readonly netMinor: number;
}

interface SettledRow {
  market_id: string;
  outcome: 'settled' | 'voided';
  winners: SettledMarket['winners'];
  commission_bps: number | null;
  applied_at: Date;
  resettled: boolean;
  net: string;
  commission: string;
}
