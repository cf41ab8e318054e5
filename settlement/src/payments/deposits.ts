// Deposits. The row (our UUID) is committed before Stripe is called, and that id is the
// PaymentIntent's idempotency key, so a retry after a crash or a lost answer gets the same intent.
// Money is credited only from a signed `payment_intent.succeeded` webhook (stripe-webhook.ts).
// A new deposit passes the payment policy (payment-policy.ts: KYC caps, the account's deposit
// limit over every deposit path, self-exclusion) under the account's payment lock before its row
// exists, so before any PaymentIntent; the row counts toward the limits from then on (an intent
// not yet paid for UNPAID_INTENT_COUNTS_MS). The webhook does not check again: once Stripe has
// taken the money, crediting it is right even if a limit was lowered in between, and the deposit
// still counts toward the window it was created in.

import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { depositRefusal, type AccountId } from '@playchacha/protocol';
import { inTransaction, query, toMinor, type Db, type DbClient, type Row } from '../db/database.js';
import { stageDeposit, type OutboxDrain } from './payment-outbox.js';
import { lockPaymentProfile } from './payment-policy.js';
import type { PaymentsConfig } from './payments-config.js';
import { PaymentError } from './payments-errors.js';

export interface DepositView {
  readonly depositId: string;
  readonly mode: 'stripe' | 'test';
  readonly state: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly paymentIntentId: string | null;
  readonly clientSecret: string | null;
}

export function depositView(row: Row): DepositView {
  return {
    depositId: String(row['id']),
    mode: row['mode'] === 'test' ? 'test' : 'stripe',
    state: String(row['state']),
    amountMinor: toMinor(row['amount_minor']),
    currency: String(row['currency']),
    paymentIntentId: (row['payment_intent_id'] as string | null) ?? null,
    clientSecret: (row['client_secret'] as string | null) ?? null,
  };
}

interface NewDeposit {
  readonly accountId: AccountId;
  readonly idempotencyKey: string;
  readonly amountMinor: number;
  readonly mode: 'stripe' | 'test';
}

/** The row for (account, key): the existing one (same amount, or 422) or a new one the policy and the cap allow. */
async function findOrInsert(client: DbClient, config: PaymentsConfig, deposit: NewDeposit): Promise<Row> {
  const nowMs = Date.now();
  const profile = await lockPaymentProfile(client, deposit.accountId, nowMs);
  const [existing] = await query(client, 'SELECT * FROM payment_deposits WHERE account_id = $1 AND idempotency_key = $2', [deposit.accountId, deposit.idempotencyKey]);
  if (existing !== undefined) {
    if (toMinor(existing['amount_minor']) !== deposit.amountMinor || existing['mode'] !== deposit.mode) throw new PaymentError('idempotency_key_mismatch');
    return existing;
  }
  const refusal = depositRefusal({ ...profile, amountMinor: deposit.amountMinor, nowMs, kycCapMinor: config.kycDepositCapMinor });
  if (refusal !== null) throw new PaymentError(refusal);
  const [recent] = await query(client, `
    SELECT COALESCE(SUM(amount_minor), 0) AS minor FROM payment_deposits
     WHERE account_id = $1 AND created_at > now() - interval '24 hours' AND state NOT IN ('payment_failed', 'canceled')`, [deposit.accountId]);
  if (toMinor(recent?.['minor']) + deposit.amountMinor > config.depositDailyMinorMax) throw new PaymentError('deposit_daily_cap');
  const [row] = await query(client, `
    INSERT INTO payment_deposits (id, account_id, idempotency_key, mode, amount_minor, currency, state)
    VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
  [randomUUID(), deposit.accountId, deposit.idempotencyKey, deposit.mode, deposit.amountMinor, config.currency, deposit.mode === 'test' ? 'succeeded' : 'created']);
  if (deposit.mode === 'test' && row !== undefined) {
    await stageDeposit(client, { type: 'Deposit', accountId: deposit.accountId, transferId: `test-deposit:${String(row['id'])}`, amountMinor: deposit.amountMinor });
  }
  return row as Row;
}

export interface DepositDeps {
  readonly db: Db;
  readonly config: PaymentsConfig;
  readonly stripe: Stripe | null;
  readonly drain: OutboxDrain;
}

export async function createDeposit(deps: DepositDeps, accountId: AccountId, idempotencyKey: string, amountMinor: number): Promise<DepositView> {
  const { db, stripe } = deps;
  if (stripe === null) throw new PaymentError('stripe_not_configured');
  const row = await inTransaction(db, (client) => findOrInsert(client, deps.config, { accountId, idempotencyKey, amountMinor, mode: 'stripe' }));
  if (row['payment_intent_id'] !== null) return depositView(row);
  const depositId = String(row['id']);
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.create(
      { amount: amountMinor, currency: String(row['currency']), metadata: { accountId: String(accountId), depositId }, automatic_payment_methods: { enabled: true } },
      { idempotencyKey: depositId },
    );
  } catch (error) {
    throw new PaymentError('stripe_unavailable', error instanceof Error ? `Stripe: ${error.message}` : undefined);
  }
  const [updated] = await query(db, `
    UPDATE payment_deposits SET payment_intent_id = COALESCE(payment_intent_id, $2), client_secret = $3,
           state = CASE WHEN state = 'created' THEN 'pending' ELSE state END, updated_at = now()
     WHERE id = $1 RETURNING *`, [depositId, intent.id, intent.client_secret]);
  return depositView(updated ?? row);
}

/** Without Stripe: credits the amount through the outbox at once. No money is charged. */
export async function createTestDeposit(deps: DepositDeps, accountId: AccountId, idempotencyKey: string, amountMinor: number): Promise<DepositView> {
  if (deps.stripe !== null) throw new PaymentError('test_deposits_disabled');
  const row = await inTransaction(deps.db, (client) => findOrInsert(client, deps.config, { accountId, idempotencyKey, amountMinor, mode: 'test' }));
  deps.drain.kick();
  return depositView(row);
}
