// The withdrawal's states, each a recovery point written in its own transaction:
//   created → reserved (the engine answered FundsWithdrawn or duplicate_transfer)
//           → payout_created (Stripe answered the payout) → paid (payout.paid)
//   reserved → paid (a TEST payout, paid at once)
//   created → rejected (the engine refused: nothing reserved, nothing paid)
//   (a withdrawal the payment policy refuses never gets a row)
//   reserved | payout_created | paid → failed (the payout was refused or failed: a reversal Deposit is staged in
//   the same transaction, transferId `withdrawal-reversal:<id>`)

import { withdrawalRefusal, type AccountId } from '@playchacha/protocol';
import { inTransaction, query, toMinor, type Db, type DbClient, type Row } from '../db/database.js';
import { stageDeposit } from './payment-outbox.js';
import { lockPaymentProfile } from './payment-policy.js';
import type { PaymentsConfig } from './payments-config.js';
import { PaymentError } from './payments-errors.js';

/**
 * The row for (account, key): the existing one (same amount, or 422), or a new one in `created`
 * once the payment policy allows the account to withdraw (KYC; payment-policy.ts), decided under
 * the account's payment lock. A refusal writes nothing.
 */
export async function findOrInsertWithdrawal(db: Db, id: string, accountId: AccountId, idempotencyKey: string, amountMinor: number, config: PaymentsConfig): Promise<Row> {
  return inTransaction(db, async (client) => {
    const profile = await lockPaymentProfile(client, accountId, Date.now());
    const [existing] = await query(client, 'SELECT * FROM payment_withdrawals WHERE account_id = $1 AND idempotency_key = $2', [accountId, idempotencyKey]);
    if (existing !== undefined) {
      if (toMinor(existing['amount_minor']) !== amountMinor) throw new PaymentError('idempotency_key_mismatch');
      return existing;
    }
    const refusal = withdrawalRefusal(profile.kycStatus, config.kycDepositCapMinor);
    if (refusal !== null) throw new PaymentError(refusal);
    const [inserted] = await query(client, `
      INSERT INTO payment_withdrawals (id, account_id, idempotency_key, amount_minor, currency, state)
      VALUES ($1, $2, $3, $4, $5, 'created') RETURNING *`,
    [id, accountId, idempotencyKey, amountMinor, config.currency]);
    if (inserted === undefined) throw new Error('a withdrawal row was not inserted');
    return inserted;
  });
}

export async function loadWithdrawal(db: Db, id: string): Promise<Row> {
  const [row] = await query(db, 'SELECT * FROM payment_withdrawals WHERE id = $1', [id]);
  if (row === undefined) throw new Error(`no withdrawal ${id}`);
  return row;
}

/** Moves the row from one of `from` to `to`; false when it was elsewhere already. */
export async function moveWithdrawal(db: Db | DbClient, id: string, from: readonly string[], to: string, fields: { payoutId?: string; failureCode?: string } = {}): Promise<boolean> {
  const rows = await query(db, `
    UPDATE payment_withdrawals SET state = $3, payout_id = COALESCE($4, payout_id), failure_code = COALESCE($5, failure_code), updated_at = now()
     WHERE id = $1 AND state = ANY($2::text[]) RETURNING id`, [id, from, to, fields.payoutId ?? null, fields.failureCode ?? null]);
  return rows.length === 1;
}

export async function markPaid(client: DbClient, id: string, payoutId: string): Promise<string> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return 'ignored';
  return (await moveWithdrawal(client, id, ['reserved', 'payout_created'], 'paid', { payoutId })) ? 'paid' : 'stale';
}

/** Marks the payout failed and stages the reversal, in the caller's transaction. */
export async function failWithdrawal(client: DbClient, id: string, failureCode: string): Promise<string> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return 'ignored';
  const [row] = await query(client, 'SELECT account_id, amount_minor, state FROM payment_withdrawals WHERE id = $1 FOR UPDATE', [id]);
  if (row === undefined) return 'ignored';
  if (!(await moveWithdrawal(client, id, ['reserved', 'payout_created', 'paid'], 'failed', { failureCode }))) return 'stale';
  await stageDeposit(client, { type: 'Deposit', accountId: toMinor(row['account_id']), transferId: `withdrawal-reversal:${id}`, amountMinor: toMinor(row['amount_minor']) });
  return 'failed';
}
