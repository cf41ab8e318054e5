// Applies one verified Stripe event. The event id is inserted into `stripe_events` in the same
// transaction as the state change it causes and the outbox row it stages, so a duplicate delivery
// is a no-op. States only move forward (by rank; between equal ranks by the event's `created`), so
// a reordered delivery (processing after succeeded) changes nothing. Only
// `payment_intent.succeeded` credits a deposit; `payout.failed` returns a withdrawal's money.

import type Stripe from 'stripe';
import { inTransaction, query, toMinor, type Db, type DbClient } from '../db/database.js';
import { stageDeposit } from './payment-outbox.js';
import { failWithdrawal, markPaid } from './withdrawal-steps.js';

const DEPOSIT_STATE_OF_EVENT: Readonly<Record<string, string>> = {
  'payment_intent.processing': 'processing',
  'payment_intent.payment_failed': 'payment_failed',
  'payment_intent.succeeded': 'succeeded',
  'payment_intent.canceled': 'canceled',
};

const DEPOSIT_RANK: Readonly<Record<string, number>> = { created: 0, pending: 1, processing: 2, payment_failed: 2, succeeded: 3, canceled: 3 };

/** Returns what the event did: `duplicate`, `ignored`, `stale`, or the new state. */
export async function applyStripeEvent(db: Db, event: Stripe.Event): Promise<string> {
  return inTransaction(db, async (client) => {
    const inserted = await query(client, `INSERT INTO stripe_events (id, type, outcome) VALUES ($1, $2, 'pending') ON CONFLICT (id) DO NOTHING RETURNING id`, [event.id, event.type]);
    if (inserted.length === 0) return 'duplicate';
    const outcome = await applyOnce(client, event);
    await client.query('UPDATE stripe_events SET outcome = $2 WHERE id = $1', [event.id, outcome]);
    return outcome;
  });
}

async function applyOnce(client: DbClient, event: Stripe.Event): Promise<string> {
  const depositState = DEPOSIT_STATE_OF_EVENT[event.type];
  if (depositState !== undefined) return applyToDeposit(client, event.data.object as Stripe.PaymentIntent, depositState, event.created);
  if (event.type === 'payout.paid' || event.type === 'payout.failed') {
    const payout = event.data.object;
    const withdrawalId = payout.metadata?.['withdrawalId'];
    if (withdrawalId === undefined) return 'ignored';
    return event.type === 'payout.paid'
      ? markPaid(client, withdrawalId, payout.id)
      : failWithdrawal(client, withdrawalId, payout.failure_code ?? 'payout_failed');
  }
  return 'ignored';
}

async function applyToDeposit(client: DbClient, intent: Stripe.PaymentIntent, state: string, createdS: number): Promise<string> {
  const depositId = intent.metadata['depositId'];
  if (depositId === undefined || !/^[0-9a-f-]{36}$/.test(depositId)) return 'ignored';
  const [row] = await query(client, 'SELECT * FROM payment_deposits WHERE id = $1 FOR UPDATE', [depositId]);
  if (row === undefined || row['mode'] !== 'stripe') return 'ignored';
  if (row['payment_intent_id'] !== null && row['payment_intent_id'] !== intent.id) return 'ignored';
  const rank = DEPOSIT_RANK[String(row['state'])] ?? 0;
  const newRank = DEPOSIT_RANK[state] ?? 0;
  const lastCreatedS = toMinor(row['last_event_created_s']);
  if (newRank < rank || (newRank === rank && (rank === 3 || createdS < lastCreatedS))) return 'stale';
  let creditedMinor: number | null = null;
  if (state === 'succeeded') {
    if (intent.currency !== row['currency'] || !Number.isSafeInteger(intent.amount_received) || intent.amount_received <= 0) return 'ignored';
    creditedMinor = intent.amount_received;
    await stageDeposit(client, { type: 'Deposit', accountId: toMinor(row['account_id']), transferId: `stripe:${intent.id}`, amountMinor: creditedMinor });
  }
  await client.query(`
    UPDATE payment_deposits SET state = $2, payment_intent_id = $3, last_event_created_s = GREATEST(last_event_created_s, $4),
           credited_minor = COALESCE($5, credited_minor), updated_at = now()
     WHERE id = $1`, [depositId, state, intent.id, createdS, creditedMinor]);
  return state;
}
