// Applies event frames to the ledger in ONE database transaction per batch: the cursor row of the
// stream is locked first (one writer per stream at a time), frames at or below the cursor are
// skipped (already applied: a redelivery), the rest must follow the cursor without a gap, the
// ledger accounts read are locked in id order, and the transactions, lines, market outcomes,
// applied entry ids (unique) and the new cursor are written together.

import { HOUSE_ACCOUNT_ID } from '@playchacha/protocol';
import type { StreamItem } from './io/event-stream.js';
import { HOUSE_COMMISSION_CODE, HOUSE_ROUNDING_CODE, houseShareCode, identityOf, PAYMENT_CLEARING_CODE } from './posting/ledger-codes.js';
import {
  accountsRead,
  postEntries,
  type CommandEntry,
  type LedgerTransaction,
  type Posting,
  type ReportedAccount,
  type ReportedPosition,
} from './posting/posting-rules.js';
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

/** Accounts the posting rules do not read (only ever credit, or a house share): not locked. */
const CREDITED_ONLY_CODES = [HOUSE_COMMISSION_CODE, HOUSE_ROUNDING_CODE, PAYMENT_CLEARING_CODE];

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
  /**
   * The stream's partition in a partitioned engine (absent: a whole engine). A risk partition's
   * carries its accounts' money, the house's settlements going to its share there (see
   * PostingOptions); a matching partition's carries its markets' outcomes and resettlements and
   * must move no money.
   */
  readonly role?: 'risk' | 'matching';
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

    const entries: readonly CommandEntry[] = fresh.flatMap((item) => item.frame.entries);
    const { codes, debtCodes } = accountsRead(entries);
    const shareCode = options.role === 'risk' ? houseShareCode(partition) : undefined;
    await ensureAccounts(tx, shareCode === undefined ? codes : [...codes, shareCode]);
    // Debt accounts are read when they exist: an account without one owes nothing.
    const read = [...new Set([...codes, ...debtCodes])];
    const rows = await query(tx, 'SELECT id, code, balance_minor FROM ledger_accounts WHERE code = ANY($1::text[]) ORDER BY id FOR UPDATE', [read]);
    let balances: ReadonlyMap<string, number> = new Map(rows.map((row) => [row['code'] as string, toMinor(row['balance_minor'])]));
    const accountIds = new Map(rows.map((row) => [row['code'] as string, String(row['id'])]));
    // Accounts only ever credited here (the house, payment clearing) are not read by the posting.
    const creditedOnly = shareCode === undefined ? CREDITED_ONLY_CODES : [...CREDITED_ONLY_CODES, shareCode];
    for (const row of await query(tx, 'SELECT id, code FROM ledger_accounts WHERE code = ANY($1::text[])', [creditedOnly])) {
      accountIds.set(row['code'] as string, String(row['id']));
    }
    // Posted and written in chunks, two at a time: the database writes one chunk while the next
    // is posted from the balances the previous one left and its statement is built. Still one
    // database transaction.
    const chunkEntries = options.postingChunkEntries ?? POSTING_CHUNK_ENTRIES_DEFAULT;
    if (!Number.isSafeInteger(chunkEntries) || chunkEntries <= 0) throw new RangeError(`postingChunkEntries must be a positive integer, not ${chunkEntries}`);
    let transactions = 0;
    // The engine's last reported figures are written once per batch, after the last chunk.
    const reportedAccounts = new Map<number, ReportedAccount>();
    const reportedPositions = new Map<number, Map<number, ReportedPosition>>();
    let writing: Promise<void> | null = null;
    try {
      for (let start = 0; start < entries.length; start += chunkEntries) {
        const posting = postEntries(entries.slice(start, start + chunkEntries), balances, shareCode === undefined ? {} : { houseShareCode: shareCode });
        if (options.role === 'matching' && (posting.transactions.length > 0 || posting.accounts.length > 0 || posting.positions.length > 0)) {
          throw new Error(`${streamKey}: a matching partition's events moved money or reported accounts`);
        }
        balances = posting.balances;
        transactions += posting.transactions.length;
        // A risk partition reports only its share of the house: the house's figures are not kept.
        for (const account of posting.accounts) if (shareCode === undefined || account.accountId !== HOUSE_ACCOUNT_ID) reportedAccounts.set(account.accountId, account);
        for (const position of posting.positions) {
          let byMarket = reportedPositions.get(position.accountId);
          if (byMarket === undefined) reportedPositions.set(position.accountId, (byMarket = new Map()));
          byMarket.set(position.marketId, position);
        }
        const next = writePosting(tx, posting, partition, accountIds, writing);
        // A failure of the next chunk is seen when it is awaited (or the one before fails first).
        next.catch(() => undefined);
        await writing;
        writing = next;
      }
      await writing;
    } catch (error) {
      await writing?.catch(() => undefined);
      throw error;
    }
    await writeReported(tx, [...reportedAccounts.values()], [...reportedPositions.values()].flatMap((byMarket) => [...byMarket.values()]));
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

/**
 * Writes a chunk's posting once `previous` (the chunk before) is written. `accountIds`: the ledger
 * account id of every code the posting may touch (locked by the caller).
 */
async function writePosting(
  tx: DbClient,
  posting: Posting,
  partition: string,
  accountIds: ReadonlyMap<string, string>,
  previous: Promise<void> | null,
): Promise<void> {
  const { transactions } = posting;
  /** The chunk's statements, run in order once `previous` is written (one query at a time per client). */
  const statements: Array<{
    readonly text: string;
    readonly values: readonly unknown[];
    readonly rows?: number;
    /** When the statement wrote nothing: this query must find a row. */
    readonly ifNoRows?: { readonly text: string; readonly values: readonly unknown[]; readonly error: string };
  }> = [];
  let waiting = previous;
  if (transactions.length > 0) {
    let ids = accountIds;
    const unreadCodes = new Set<string>();
    for (const t of transactions) for (const line of t.lines) if (!ids.has(line.code)) unreadCodes.add(line.code);
    if (unreadCodes.size > 0) {
      await waiting;
      waiting = null;
      const more = new Map(accountIds);
      for (const row of await query(tx, 'SELECT id, code FROM ledger_accounts WHERE code = ANY($1::text[])', [[...unreadCodes]])) more.set(row['code'] as string, String(row['id']));
      ids = more;
    }
    // Each line names its transaction by position in the chunk (1-based); the statement takes
    // the chunk's ids from the sequence into one array and gives the transactions and the lines
    // their ids by subscript (no join, no sort). The arrays go as literals built in one pass.
    let kinds = '';
    let commandSeqs = '';
    let entryIndexes = '';
    let transactionAccountIds = '';
    let marketIds = '';
    let references = '';
    let lineOrdinals = '';
    let lineAccountIds = '';
    let lineAmountsMinor = '';
    let lineCount = 0;
    for (let i = 0; i < transactions.length; i++) {
      const t = transactions[i] as LedgerTransaction;
      const comma = i === 0 ? '' : ',';
      kinds += comma + t.kind;
      commandSeqs += comma + t.commandSeq;
      entryIndexes += comma + t.entryIndex;
      transactionAccountIds += comma + (t.accountId ?? 'NULL');
      marketIds += comma + (t.marketId ?? 'NULL');
      references += comma + (t.reference === null ? 'NULL' : textElement(t.reference));
      for (const line of t.lines) {
        const lineComma = lineCount === 0 ? '' : ',';
        lineOrdinals += lineComma + (i + 1);
        lineAccountIds += lineComma + idOf(ids, line.code);
        lineAmountsMinor += lineComma + line.amountMinor;
        lineCount++;
      }
    }
    const values = [
      partition,
      transactions.length,
      `{${kinds}}`,
      `{${commandSeqs}}`,
      `{${entryIndexes}}`,
      `{${transactionAccountIds}}`,
      `{${marketIds}}`,
      `{${references}}`,
      `{${lineOrdinals}}`,
      `{${lineAccountIds}}`,
      `{${lineAmountsMinor}}`,
    ];
    statements.push({
      text: `WITH ids AS MATERIALIZED (
         SELECT array_agg(nextval('ledger_transactions_id_seq')) AS id FROM generate_series(1, $2::int4)),
       created AS (
         INSERT INTO ledger_transactions (id, kind, partition, command_seq, entry_index, account_id, market_id, reference)
         SELECT ids.id[t.ordinal], t.kind, $1, t.command_seq, t.entry_index, t.account_id, t.market_id, t.reference
           FROM ids, unnest($3::text[], $4::int8[], $5::int4[], $6::int8[], $7::int8[], $8::text[])
                  WITH ORDINALITY AS t(kind, command_seq, entry_index, account_id, market_id, reference, ordinal))
       INSERT INTO ledger_lines (transaction_id, ledger_account_id, amount_minor)
       SELECT ids.id[l.ordinal], l.account_id, l.amount_minor
         FROM ids, unnest($9::int4[], $10::int8[], $11::int8[]) AS l(ordinal, account_id, amount_minor)`,
      values,
      rows: lineCount,
    });
  }
  // A partitioned engine's every risk partition reports a market's outcome: the first records it,
  // the others must report the same one (a different one is a bug).
  for (const outcome of posting.outcomes) {
    const values = [
      outcome.marketId,
      outcome.outcome,
      partition,
      outcome.commandSeq,
      outcome.winners === null ? null : JSON.stringify(outcome.winners),
      outcome.commissionBps,
    ];
    statements.push({
      text: `INSERT INTO market_settlements (market_id, outcome, partition, command_seq, winners, commission_bps)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT (market_id) DO NOTHING`,
      values,
      ifNoRows: {
        text: `SELECT 1 FROM market_settlements
          WHERE market_id = $1 AND outcome = $2 AND winners IS NOT DISTINCT FROM $3::jsonb AND commission_bps IS NOT DISTINCT FROM $4::int4`,
        values: [values[0], values[1], values[4], values[5]],
        error: `market ${outcome.marketId} ${outcome.outcome} at ${partition}:${outcome.commandSeq} differs from its recorded outcome`,
      },
    });
  }
  for (const resettlement of posting.resettlements) {
    statements.push({
      text: `INSERT INTO market_resettlements (market_id, partition, command_seq, previous_outcome, outcome, winners, commission_bps, reason)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)`,
      values: [
        resettlement.marketId,
        partition,
        resettlement.commandSeq,
        resettlement.previousOutcome,
        resettlement.outcome,
        resettlement.winners === null ? null : JSON.stringify(resettlement.winners),
        resettlement.commissionBps,
        resettlement.reason,
      ],
    });
  }
  await waiting;
  for (const { text, values, rows, ifNoRows } of statements) {
    const result = await tx.query(text, values as unknown[]);
    if (rows !== undefined && result.rowCount !== rows) throw new Error(`wrote ${result.rowCount} of ${rows} ledger lines`);
    if (ifNoRows !== undefined && result.rowCount === 0 && (await tx.query(ifNoRows.text, ifNoRows.values as unknown[])).rowCount !== 1) {
      throw new Error(ifNoRows.error);
    }
  }
}

/** The engine's last reported figures per account and per position (a later account_seq wins). */
async function writeReported(tx: DbClient, accounts: readonly ReportedAccount[], positions: readonly ReportedPosition[]): Promise<void> {
  if (accounts.length > 0) {
    const a = accounts;
    await query(
      tx,
      `INSERT INTO reported_accounts (account_id, account_seq, balance_minor, exposure_minor, available_minor)
       SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[])
       ON CONFLICT (account_id) DO UPDATE SET
         account_seq = EXCLUDED.account_seq, balance_minor = EXCLUDED.balance_minor,
         exposure_minor = EXCLUDED.exposure_minor, available_minor = EXCLUDED.available_minor
       WHERE reported_accounts.account_seq < EXCLUDED.account_seq`,
      [
        integerArray(a.map((r) => r.accountId)),
        integerArray(a.map((r) => r.accountSeq)),
        integerArray(a.map((r) => r.balanceMinor)),
        integerArray(a.map((r) => r.exposureMinor)),
        integerArray(a.map((r) => r.availableMinor)),
      ],
    );
  }
  if (positions.length > 0) {
    const p = positions;
    await query(
      tx,
      `INSERT INTO reported_positions (account_id, market_id, account_seq, exposure_minor, escrow_minor)
       SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[])
       ON CONFLICT (account_id, market_id) DO UPDATE SET
         account_seq = EXCLUDED.account_seq, exposure_minor = EXCLUDED.exposure_minor, escrow_minor = EXCLUDED.escrow_minor
       WHERE reported_positions.account_seq < EXCLUDED.account_seq`,
      [
        integerArray(p.map((r) => r.accountId)),
        integerArray(p.map((r) => r.marketId)),
        integerArray(p.map((r) => r.accountSeq)),
        integerArray(p.map((r) => r.exposureMinor)),
        integerArray(p.map((r) => r.escrowMinor)),
      ],
    );
  }
}

/**
 * A PostgreSQL array literal of integers (safe integers or the decimal strings `pg` returns for
 * BIGINT) and nulls: one string instead of an array `pg` would escape element by element.
 */
function integerArray(values: ReadonlyArray<number | string | null>): string {
  return `{${values.map((value) => value ?? 'NULL').join(',')}}`;
}

/** A text element of a PostgreSQL array literal: quoted, backslashes and quotes escaped. */
function textElement(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

function idOf(ids: ReadonlyMap<string, string>, key: string): string {
  const id = ids.get(key);
  if (id === undefined) throw new Error(`no ledger id for ${key}`);
  return id;
}
