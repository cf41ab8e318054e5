// The operators' audit log in PostgreSQL: who did what to which target, why, when and with what
// outcome. Append-only (a trigger refuses updates and deletes).

import type pg from 'pg';
import type { AccountId } from '@playchacha/protocol';

export interface AuditEntry {
  readonly auditId: number;
  readonly actorAccountId: AccountId;
  readonly action: string;
  readonly target: string;
  readonly reason: string;
  readonly details: Record<string, unknown>;
  readonly outcome: string;
  readonly createdAt: string;
}

export interface AuditRecord {
  readonly actorAccountId: AccountId;
  readonly action: string;
  readonly target: string;
  readonly reason: string;
  readonly details?: Record<string, unknown>;
  /** 'ok' or the stable code of the rejection. */
  readonly outcome: string;
}

interface AuditRow {
  audit_id: string;
  actor_account_id: string;
  action: string;
  target: string;
  reason: string;
  details: Record<string, unknown>;
  outcome: string;
  created_at: Date;
}

export class AuditLog {
  constructor(private readonly pool: pg.Pool) {}

  async record(entry: AuditRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO gateway_audit_log (actor_account_id, action, target, reason, details, outcome) VALUES ($1, $2, $3, $4, $5, $6)`,
      [entry.actorAccountId, entry.action, entry.target, entry.reason, JSON.stringify(entry.details ?? {}), entry.outcome],
    );
  }

  /** Newest first; `beforeId` pages back; `target` filters to one target such as `market:7`. */
  async list(options: { limit: number; beforeId?: number; target?: string; actorAccountId?: AccountId }): Promise<AuditEntry[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (options.beforeId !== undefined) where.push(`audit_id < $${values.push(options.beforeId)}`);
    if (options.target !== undefined) where.push(`target = $${values.push(options.target)}`);
    if (options.actorAccountId !== undefined) where.push(`actor_account_id = $${values.push(options.actorAccountId)}`);
    const limit = values.push(options.limit);
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT * FROM gateway_audit_log ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY audit_id DESC LIMIT $${limit}`,
      values,
    );
    return rows.map((row) => ({
      auditId: Number(row.audit_id),
      actorAccountId: Number(row.actor_account_id),
      action: row.action,
      target: row.target,
      reason: row.reason,
      details: row.details,
      outcome: row.outcome,
      createdAt: row.created_at.toISOString(),
    }));
  }
}
