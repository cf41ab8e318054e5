// Disputes in PostgreSQL (gateway_disputes), and what the ledger of record says about a market
// being disputed: when its current result was posted and whether an account had matched bets on
// it. The ledger's tables are the settlement worker's (in the gateway's database, or another one).

import type pg from 'pg';
import type { AccountId, DeadHeat, MarketId } from '@playchacha/protocol';
import { inTransaction } from '../../../settlement/src/db/database.js';
import { LedgerUnavailableError } from './ledger-history.js';

export type DisputeStatus = 'open' | 'upheld' | 'resettled';

export interface Dispute {
  readonly disputeId: number;
  readonly accountId: AccountId;
  readonly marketId: MarketId;
  readonly reason: string;
  readonly status: DisputeStatus;
  /** When the result disputed was posted to the ledger; the window runs from here. */
  readonly resultAt: string;
  readonly openedAt: string;
  readonly resolvedAt: string | null;
  readonly resolvedBy: AccountId | null;
  readonly resolutionReason: string | null;
  /** The winners the market was resettled with (null: voided, or not resettled). */
  readonly resolutionWinners: DeadHeat[] | null;
}

/** The market's current result in the ledger, and whether the account had matched bets on it. */
export interface MarketResultFacts {
  readonly outcome: 'settled' | 'voided';
  readonly resultAtMs: number;
  readonly accountHadMatchedBets: boolean;
}

interface DisputeRow {
  dispute_id: string;
  account_id: string;
  market_id: string;
  reason: string;
  status: DisputeStatus;
  result_at: Date;
  opened_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution_reason: string | null;
  resolution_winners: DeadHeat[] | null;
}

function toDispute(row: DisputeRow): Dispute {
  return {
    disputeId: Number(row.dispute_id),
    accountId: Number(row.account_id),
    marketId: Number(row.market_id),
    reason: row.reason,
    status: row.status,
    resultAt: row.result_at.toISOString(),
    openedAt: row.opened_at.toISOString(),
    resolvedAt: row.resolved_at === null ? null : row.resolved_at.toISOString(),
    resolvedBy: row.resolved_by === null ? null : Number(row.resolved_by),
    resolutionReason: row.resolution_reason,
    resolutionWinners: row.resolution_winners,
  };
}

export class DisputeStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ledgerPool: pg.Pool,
  ) {}

  /**
   * From the ledger: the market's latest result (its settlement or void, or the newest
   * resettlement) and whether the account held escrow on it (matched bets with money at risk).
   * Null when the ledger has no result for the market.
   */
  async marketResult(accountId: AccountId, marketId: MarketId): Promise<MarketResultFacts | null> {
    let rows: Array<{ outcome: 'settled' | 'voided'; result_at: Date; matched: boolean }>;
    try {
      ({ rows } = await this.ledgerPool.query(
        `SELECT COALESCE(r.outcome, s.outcome) AS outcome, GREATEST(s.applied_at, r.applied_at) AS result_at,
                EXISTS (SELECT 1 FROM ledger_accounts a JOIN ledger_lines l ON l.ledger_account_id = a.id
                         WHERE a.kind = 'user_escrow' AND a.owner_account_id = $1 AND a.market_id = $2 AND l.amount_minor > 0) AS matched
           FROM market_settlements s
           LEFT JOIN LATERAL (SELECT outcome, applied_at FROM market_resettlements
                               WHERE market_id = s.market_id ORDER BY command_seq DESC LIMIT 1) r ON true
          WHERE s.market_id = $2`,
        [accountId, marketId],
      ));
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') throw new LedgerUnavailableError('the ledger tables are not in this database');
      throw error;
    }
    const row = rows[0];
    if (row === undefined) return null;
    return { outcome: row.outcome, resultAtMs: row.result_at.getTime(), accountHadMatchedBets: row.matched };
  }

  /** Opens a dispute; null when the account already has an open one on the market. */
  async open(accountId: AccountId, marketId: MarketId, reason: string, resultAtMs: number): Promise<Dispute | null> {
    const { rows } = await this.pool.query<DisputeRow>(
      `INSERT INTO gateway_disputes (account_id, market_id, reason, result_at) VALUES ($1, $2, $3, to_timestamp($4 / 1000.0))
       ON CONFLICT (account_id, market_id) WHERE status = 'open' DO NOTHING
       RETURNING *`,
      [accountId, marketId, reason, resultAtMs],
    );
    const row = rows[0];
    return row === undefined ? null : toDispute(row);
  }

  async byId(disputeId: number): Promise<Dispute | null> {
    const { rows } = await this.pool.query<DisputeRow>('SELECT * FROM gateway_disputes WHERE dispute_id = $1', [disputeId]);
    const row = rows[0];
    return row === undefined ? null : toDispute(row);
  }

  /** Newest first. */
  async ofAccount(accountId: AccountId, limit: number): Promise<Dispute[]> {
    const { rows } = await this.pool.query<DisputeRow>(
      'SELECT * FROM gateway_disputes WHERE account_id = $1 ORDER BY dispute_id DESC LIMIT $2',
      [accountId, limit],
    );
    return rows.map(toDispute);
  }

  /** Oldest first, so the longest waiting comes first; all statuses when status is null. */
  async list(status: DisputeStatus | null, limit: number): Promise<Dispute[]> {
    const { rows } = await this.pool.query<DisputeRow>(
      `SELECT * FROM gateway_disputes WHERE $1::text IS NULL OR status = $1 ORDER BY dispute_id LIMIT $2`,
      [status, limit],
    );
    return rows.map(toDispute);
  }

  /**
   * Resolves a dispute under its row lock: `decide` sees the dispute (open) and returns the
   * resolution, after doing what it takes (a resettlement); if it throws, nothing is recorded.
   * Concurrent resolutions of one dispute wait for each other, so only one can act.
   */
  async resolve(
    disputeId: number,
    decide: (dispute: Dispute) => Promise<{ status: 'upheld' | 'resettled'; resolvedBy: AccountId; reason: string; winners: readonly DeadHeat[] | null }>,
  ): Promise<Dispute | 'not_found' | 'not_open'> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<DisputeRow>('SELECT * FROM gateway_disputes WHERE dispute_id = $1 FOR UPDATE', [disputeId]);
      const row = rows[0];
      if (row === undefined) return 'not_found';
      if (row.status !== 'open') return 'not_open';
      const resolution = await decide(toDispute(row));
      const updated = await client.query<DisputeRow>(
        `UPDATE gateway_disputes
            SET status = $2, resolved_at = now(), resolved_by = $3, resolution_reason = $4, resolution_winners = $5::jsonb
          WHERE dispute_id = $1
         RETURNING *`,
        [disputeId, resolution.status, resolution.resolvedBy, resolution.reason, resolution.winners === null ? null : JSON.stringify(resolution.winners)],
      );
      return toDispute(updated.rows[0] as DisputeRow);
    });
  }
}
