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
                COALESCE(SUM(l.amount_minor) FILTER (WHERE a.kind = 'user_escrow'), 0) AS escrow
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
    }));
  }
}
