// Applies event frames to the ledger in ONE database transaction per batch: the cursor row of the
// stream is locked first (one writer per stream at a time), frames at or below the cursor are
// skipped (already applied: a redelivery), the rest must follow the cursor without a gap, the
// ledger accounts read are locked in id order, and the transactions, lines, market outcomes,
// applied entry ids (unique) and the new cursor are written together.

import type { StreamItem } from './io/event-stream.js';
import { identityOf } from './posting/ledger-codes.js';
import { codesRead, debtCodesRead, postEntries, type CommandEntry, type Posting } from './posting/posting-rules.js';
import { inTransaction, query, toMinor, type Db, type DbClient } from './db/database.js';

/** The next frame does not follow the last one applied: entries are missing. Not retryable. */
export class StreamGapError extends Error {
  override name = 'StreamGapError';
}

/**
 * Command entries posted per chunk (see applyBatch). Each chunk's lines update the balances of
 * the accounts they touch once, so smaller chunks overlap more but update accounts more often.
 */
const POSTING_CHUNK_ENTRIES_DEFAULT = 8_192;

export interface BatchResult {
  readonly appliedEntryIds: string[];
  readonly skippedEntryIds: string[];
  readonly transactions: number;
  readonly lastSeq: number;
}

export interface ApplyOptions {
  readonly streamKey: string;
  readonly partition: string;
  /** Runs inside the database transaction just before COMMIT (used to inject faults in tests). */
  readonly beforeCommit?: () => Promise<void>;
  /** Command entries posted and written per chunk (default 8,192). */
  readonly postingChunkEntries?: number;
}

export async function applyBatch(db: Db, items: readonly StreamItem[], options: ApplyOptions): Promise<BatchResult> {
  const { streamKey, partition } = options;
  const sorted = [...items].sort((a, b) => a.frame.lastSeq - b.frame.lastSeq);
  return inTransaction(db, async (tx) => {
    await query(tx, 'INSERT INTO stream_cursors (stream_key, last_seq) VALUES ($1, 0) ON CONFLICT DO NOTHING', [streamKey]);
    const [cursor] = await query(tx, 'SELECT last_seq FROM stream_cursors WHERE stream_key = $1 FOR UPDATE', [streamKey]);
    let lastSeq = toMinor(cursor?.['last_seq']);
    const fresh: StreamItem[] = [];
    const skippedEntryIds: string[] = [];
    for (const item of sorted) {
      if (item.frame.lastSeq <= lastSeq) {
        skippedEntryIds.push(item.entryId);
        continue;
      }
      if (item.frame.firstSeq !== lastSeq + 1) {
        throw new StreamGapError(`${streamKey}: entry ${item.entryId} starts at seq ${item.frame.firstSeq}, the ledger is at ${lastSeq}`);
      }
      fresh.push(item);
      lastSeq = item.frame.lastSeq;
    }
    if (fresh.length === 0) return { appliedEntryIds: [], skippedEntryIds, transactions: 0, lastSeq };

    const entries: CommandEntry[] = fresh.flatMap((item) => item.frame.entries.map((e) => ({ seq: e.seq, events: e.events })));
    const codes = codesRead(entries);
    await ensureAccounts(tx, codes);
    // Debt accounts are read when they exist: an account without one owes nothing.
    const read = [...new Set([...codes, ...debtCodesRead(entries)])];
    const rows = await query(tx, 'SELECT id, code, balance_minor FROM ledger_accounts WHERE code = ANY($1::text[]) ORDER BY id FOR UPDATE', [read]);
    let balances: ReadonlyMap<string, number> = new Map(rows.map((row) => [row['code'] as string, toMinor(row['balance_minor'])]));
    const accountIds = new Map(rows.map((row) => [row['code'] as string, String(row['id'])]));
    // Posted and written in chunks, two at a time: the database writes one chunk while the next
    // is posted from the balances the previous one left. Still one database transaction.
    const chunkEntries = options.postingChunkEntries ?? POSTING_CHUNK_ENTRIES_DEFAULT;
    if (!Number.isSafeInteger(chunkEntries) || chunkEntries <= 0) throw new RangeError(`postingChunkEntries must be a positive integer, not ${chunkEntries}`);
    let transactions = 0;
    let writing: Promise<void> | null = null;
    try {
      for (let start = 0; start < entries.length; start += chunkEntries) {
        const posting = postEntries(partition, entries.slice(start, start + chunkEntries), balances);
        balances = posting.balances;
        transactions += posting.transactions.length;
        await writing;
        writing = writePosting(tx, posting, partition, accountIds);
      }
      await writing;
    } catch (error) {
      await writing?.catch(() => undefined);
      throw error;
    }
    await query(
      tx,
      `INSERT INTO applied_stream_entries (stream_key, entry_id, first_seq, last_seq)
       SELECT $1, * FROM unnest($2::text[], $3::int8[], $4::int8[])`,
      [streamKey, fresh.map((i) => i.entryId), fresh.map((i) => i.frame.firstSeq), fresh.map((i) => i.frame.lastSeq)],
    );
    await query(tx, 'UPDATE stream_cursors SET last_seq = $2 WHERE stream_key = $1', [streamKey, lastSeq]);
    await options.beforeCommit?.();
    return {
      appliedEntryIds: fresh.map((i) => i.entryId),
      skippedEntryIds,
      transactions,
      lastSeq,
    };
  });
}

async function ensureAccounts(tx: DbClient, codes: readonly string[]): Promise<void> {
  if (codes.length === 0) return;
  const identities = codes.map(identityOf);
  await query(
    tx,
    `INSERT INTO ledger_accounts (code, kind, owner_account_id, market_id)
     SELECT * FROM unnest($1::text[], $2::ledger_account_kind[], $3::int8[], $4::int8[])
     ORDER BY 1
     ON CONFLICT (code) DO NOTHING`,
    [identities.map((a) => a.code), identities.map((a) => a.kind), identities.map((a) => a.ownerAccountId), identities.map((a) => a.marketId)],
  );
}

/** `accountIds`: the ledger account id of every code the posting may touch (locked by the caller). */
async function writePosting(tx: DbClient, posting: Posting, partition: string, accountIds: ReadonlyMap<string, string>): Promise<void> {
  const { transactions } = posting;
  if (transactions.length > 0) {
    const created = await query(
      tx,
      `INSERT INTO ledger_transactions (idempotency_key, kind, partition, command_seq, account_id, market_id, reference)
       SELECT key, kind, $1, command_seq, account_id, market_id, reference
         FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], $7::text[])
           AS t(key, kind, command_seq, account_id, market_id, reference)
       RETURNING id, idempotency_key`,
      [
        partition,
        transactions.map((t) => t.key),
        transactions.map((t) => t.kind),
        transactions.map((t) => t.commandSeq),
        transactions.map((t) => t.accountId),
        transactions.map((t) => t.marketId),
        transactions.map((t) => t.reference),
      ],
    );
    const transactionIds = new Map(created.map((row) => [row['idempotency_key'] as string, String(row['id'])]));
    // Accounts only ever credited here (the house, payment clearing) were not read by the posting.
    const ids = new Map(accountIds);
    const unread = [...new Set(transactions.flatMap((t) => t.lines.map((line) => line.code)))].filter((code) => !ids.has(code));
    if (unread.length > 0) {
      for (const row of await query(tx, 'SELECT id, code FROM ledger_accounts WHERE code = ANY($1::text[])', [unread])) ids.set(row['code'] as string, String(row['id']));
    }
    const lines = transactions.flatMap((t) => t.lines.map((line) => ({ transactionId: idOf(transactionIds, t.key), accountId: idOf(ids, line.code), amountMinor: line.amountMinor })));
    const inserted = await tx.query(
      `INSERT INTO ledger_lines (transaction_id, ledger_account_id, amount_minor)
       SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[])`,
      [lines.map((l) => l.transactionId), lines.map((l) => l.accountId), lines.map((l) => l.amountMinor)],
    );
    if (inserted.rowCount !== lines.length) throw new Error(`wrote ${inserted.rowCount} of ${lines.length} ledger lines`);
  }
  for (const outcome of posting.outcomes) {
    await query(
      tx,
      `INSERT INTO market_settlements (market_id, outcome, partition, command_seq, winners, commission_bps)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6)`,
      [
        outcome.marketId,
        outcome.outcome,
        partition,
        outcome.commandSeq,
        outcome.winners === null ? null : JSON.stringify(outcome.winners),
        outcome.commissionBps,
      ],
    );
  }
  for (const resettlement of posting.resettlements) {
    await query(
      tx,
      `INSERT INTO market_resettlements (market_id, partition, command_seq, previous_outcome, outcome, winners, commission_bps, reason)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)`,
      [
        resettlement.marketId,
        partition,
        resettlement.commandSeq,
        resettlement.previousOutcome,
        resettlement.outcome,
        resettlement.winners === null ? null : JSON.stringify(resettlement.winners),
        resettlement.commissionBps,
        resettlement.reason,
      ],
    );
  }
  if (posting.accounts.length > 0) {
    const a = posting.accounts;
    await query(
      tx,
      `INSERT INTO reported_accounts (account_id, account_seq, balance_minor, exposure_minor, available_minor)
       SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[])
       ON CONFLICT (account_id) DO UPDATE SET
         account_seq = EXCLUDED.account_seq, balance_minor = EXCLUDED.balance_minor,
         exposure_minor = EXCLUDED.exposure_minor, available_minor = EXCLUDED.available_minor
       WHERE reported_accounts.account_seq < EXCLUDED.account_seq`,
      [a.map((r) => r.accountId), a.map((r) => r.accountSeq), a.map((r) => r.balanceMinor), a.map((r) => r.exposureMinor), a.map((r) => r.availableMinor)],
    );
  }
  if (posting.positions.length > 0) {
    const p = posting.positions;
    await query(
      tx,
      `INSERT INTO reported_positions (account_id, market_id, account_seq, exposure_minor, escrow_minor)
       SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[])
       ON CONFLICT (account_id, market_id) DO UPDATE SET
         account_seq = EXCLUDED.account_seq, exposure_minor = EXCLUDED.exposure_minor, escrow_minor = EXCLUDED.escrow_minor
       WHERE reported_positions.account_seq < EXCLUDED.account_seq`,
      [p.map((r) => r.accountId), p.map((r) => r.marketId), p.map((r) => r.accountSeq), p.map((r) => r.exposureMinor), p.map((r) => r.escrowMinor)],
    );
  }
}

function idOf(ids: ReadonlyMap<string, string>, key: string): string {
  const id = ids.get(key);
  if (id === undefined) throw new Error(`no ledger id for ${key}`);
  return id;
}
