// Reconciliation: the engine's balances per account against the ledger's. For a user the ledger's
// available is its available account plus its debt account (≤ 0, what it owes after a
// resettlement's clawback), its exposure the sum of its held and escrow accounts, its balance the
// sum of all four; for the house (account 0) the balance is commission + rounding + its shares
// (a partitioned engine's, one per risk partition).
// The engine's figures come from its AccountUpdated events (read from the events stream up to the
// seq the ledger has applied) or from a live engine state; over a partitioned engine, from every
// risk partition's stream, the house's figures summed over its shares.

import type { Redis } from 'ioredis';
import { HOUSE_ACCOUNT_ID } from '@playchacha/protocol';
import { decodeEventFrame } from '../../engine/src/io/frame-codec.js';
import { eventsKey } from '../../engine/src/io/redis-streams.js';
import { query, toMinor, type Db } from './db/database.js';

export interface AccountFigures {
  readonly accountId: number;
  readonly balanceMinor: number;
  readonly exposureMinor: number;
  readonly availableMinor: number;
}

export interface Difference {
  readonly accountId: number;
  readonly field: 'balanceMinor' | 'exposureMinor' | 'availableMinor';
  readonly engineMinor: number;
  readonly ledgerMinor: number;
}

export async function ledgerFigures(db: Db): Promise<Map<number, AccountFigures>> {
  const figures = new Map<number, AccountFigures>();
  const users = await query(db, 'SELECT account_id, available_minor, held_minor, escrow_minor, debt_minor, total_minor FROM user_balances');
  for (const row of users) {
    const accountId = toMinor(row['account_id']);
    figures.set(accountId, {
      accountId,
      balanceMinor: toMinor(row['total_minor']),
      exposureMinor: toMinor(row['held_minor']) + toMinor(row['escrow_minor']),
      availableMinor: toMinor(row['available_minor'] ?? 0) + toMinor(row['debt_minor'] ?? 0),
    });
  }
  const [house] = await query(
    db,
    "SELECT COALESCE(SUM(balance_minor), 0) AS minor FROM ledger_accounts WHERE kind IN ('house_commission', 'house_rounding', 'house_share')",
  );
  const houseMinor = toMinor(house?.['minor'] ?? 0);
  figures.set(HOUSE_ACCOUNT_ID, { accountId: HOUSE_ACCOUNT_ID, balanceMinor: houseMinor, exposureMinor: 0, availableMinor: houseMinor });
  return figures;
}

/** Every difference between the two sides; an account missing on one side counts as all zero. */
export function compareFigures(engine: Iterable<AccountFigures>, ledger: ReadonlyMap<number, AccountFigures>): Difference[] {
  const engineById = new Map<number, AccountFigures>();
  for (const figures of engine) engineById.set(figures.accountId, figures);
  const ids = [...new Set([...engineById.keys(), ...ledger.keys()])].sort((a, b) => a - b);
  const zero = (accountId: number): AccountFigures => ({ accountId, balanceMinor: 0, exposureMinor: 0, availableMinor: 0 });
  const differences: Difference[] = [];
  for (const accountId of ids) {
    const e = engineById.get(accountId) ?? zero(accountId);
    const l = ledger.get(accountId) ?? zero(accountId);
    for (const field of ['balanceMinor', 'exposureMinor', 'availableMinor'] as const) {
      if (e[field] !== l[field]) differences.push({ accountId, field, engineMinor: e[field], ledgerMinor: l[field] });
    }
  }
  return differences;
}

/** The seq the ledger has applied of a partition's events stream. */
export async function appliedSeq(db: Db, partition: string): Promise<number> {
  const [row] = await query(db, 'SELECT last_seq FROM stream_cursors WHERE stream_key = $1', [eventsKey(partition)]);
  return row === undefined ? 0 : toMinor(row['last_seq']);
}

/** The engine's last AccountUpdated per account in the events stream, up to and including uptoSeq. */
export async function engineFiguresFromStream(redis: Redis, partition: string, uptoSeq: number): Promise<AccountFigures[]> {
  const figures = new Map<number, AccountFigures>();
  let start = '-';
  for (;;) {
    const page = await redis.xrangeBuffer(eventsKey(partition), start, `${uptoSeq}-0`, 'COUNT', 256);
    for (const [, fields] of page) {
      const payload = fields[1];
      if (payload === undefined) continue;
      for (const entry of decodeEventFrame(payload).entries) {
        for (const event of entry.events) {
          if (event.type !== 'AccountUpdated') continue;
          const { accountId, balanceMinor, exposureMinor, availableMinor } = event;
          figures.set(accountId, { accountId, balanceMinor, exposureMinor, availableMinor });
        }
      }
    }
    const last = page.at(-1);
    if (page.length < 256 || last === undefined) break;
    start = `(${last[0].toString()}`;
  }
  return [...figures.values()];
}

/**
 * The engine's figures across the risk partitions of a partitioned engine, each stream read up to
 * the seq the ledger has applied of it: an account is reported by its own risk partition, the
 * house by every one (a share each), so its figures are the sum of the shares.
 */
export async function engineFiguresFromStreams(redis: Redis, db: Db, partitions: readonly string[]): Promise<AccountFigures[]> {
  const figures = new Map<number, AccountFigures>();
  for (const partition of partitions) {
    for (const account of await engineFiguresFromStream(redis, partition, await appliedSeq(db, partition))) {
      const before = figures.get(account.accountId);
      if (before !== undefined && account.accountId !== HOUSE_ACCOUNT_ID) {
        throw new Error(`account ${account.accountId} is reported by more than one risk partition (${partition} among them)`);
      }
      figures.set(account.accountId, {
        accountId: account.accountId,
        balanceMinor: (before?.balanceMinor ?? 0) + account.balanceMinor,
        exposureMinor: (before?.exposureMinor ?? 0) + account.exposureMinor,
        availableMinor: (before?.availableMinor ?? 0) + account.availableMinor,
      });
    }
  }
  return [...figures.values()];
}

export function formatDifference(d: Difference): string {
  return `account ${d.accountId} ${d.field}: engine ${d.engineMinor}, ledger ${d.ledgerMinor}`;
}
