// Withdrawals as atomic phases between foreign calls (Brandur's recovery points): the row is
// committed first, once the payment policy allows the account to withdraw (KYC); the engine
// reserves the amount (Withdraw, transferId `withdrawal:<id>`) before anything is paid; then the payout provider pays out (Stripe's `payouts.create` with idempotency
// key = the withdrawal id, or the labelled TEST payouts without Stripe keys). Each answer is
// recorded before the next call, and every call is idempotent, so the recovery loop can resume a
// withdrawal from any crash point without reserving or paying twice. A payout the provider refuses
// is failed at once and its money returned through the outbox; one with no answer (a dropped
// connection) stays `reserved` and is retried with the same key.

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccountId } from '@playchacha/protocol';
import { inTransaction, query, toMinor, type Db, type Row } from '../db/database.js';
import { transferAnswer, type EngineSubmitter } from './engine-answers.js';
import type { OutboxDrain } from './payment-outbox.js';
import type { PaymentsConfig } from './payments-config.js';
import { PaymentError } from './payments-errors.js';
import type { PayoutProvider } from './payouts.js';
import { failWithdrawal, findOrInsertWithdrawal, loadWithdrawal, moveWithdrawal } from './withdrawal-steps.js';

export interface WithdrawalDeps {
  readonly db: Db;
  readonly config: PaymentsConfig;
  readonly payouts: PayoutProvider;
  readonly engine: EngineSubmitter;
  readonly drain: OutboxDrain;
  readonly logger: Logger;
}

export class Withdrawals {
  /** Advances in progress in this process, so concurrent requests with one key share one. */
  private readonly inFlight = new Map<string, Promise<Row>>();
  private recovery: NodeJS.Timeout | null = null;

  constructor(private readonly deps: WithdrawalDeps) {}

  /** True when payouts are the labelled TEST ones (no Stripe keys): nothing reaches a bank. */
  get test(): boolean {
    return this.deps.payouts.mode === 'test';
  }

  async request(accountId: AccountId, idempotencyKey: string, amountMinor: number): Promise<Row> {
    const row = await findOrInsertWithdrawal(this.deps.db, randomUUID(), accountId, idempotencyKey, amountMinor, this.deps.config);
    return this.advance(String(row['id']));
  }

  /** Runs the withdrawal forward as far as it goes now; resolves with its row. */
  advance(id: string): Promise<Row> {
    let running = this.inFlight.get(id);
    if (running === undefined) {
      running = this.advanceSteps(id).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, running);
    }
    return running;
  }

  /** Resumes every withdrawal left in `created` or `reserved` for at least minAgeMs. */
  async recoverOnce(minAgeMs: number): Promise<number> {
    const rows = await query(this.deps.db, `
      SELECT id FROM payment_withdrawals
       WHERE state IN ('created', 'reserved') AND updated_at <= now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY created_at LIMIT 100`, [minAgeMs]);
    for (const row of rows) {
      await this.advance(String(row['id'])).catch((error: unknown) => this.deps.logger.warn({ err: error, withdrawalId: row['id'] }, 'withdrawal recovery deferred'));
    }
    return rows.length;
  }

  startRecovery(intervalMs: number, minAgeMs: number): void {
    this.recovery ??= setInterval(() => void this.recoverOnce(minAgeMs).catch(() => undefined), intervalMs);
  }

  stopRecovery(): void {
    if (this.recovery !== null) clearInterval(this.recovery);
    this.recovery = null;
  }

  private async advanceSteps(id: string): Promise<Row> {
    for (;;) {
      const row = await loadWithdrawal(this.deps.db, id);
      if (row['state'] === 'created') await this.reserve(row);
      else if (row['state'] === 'reserved') await this.payOut(row);
      else return row;
    }
  }

  private async reserve(row: Row): Promise<void> {
    const id = String(row['id']);
    const command = { type: 'Withdraw', accountId: toMinor(row['account_id']), transferId: `withdrawal:${id}`, amountMinor: toMinor(row['amount_minor']) } as const;
    let events;
    try {
      events = await this.deps.engine.submit(command);
    } catch (error) {
      this.deps.logger.warn({ err: error, withdrawalId: id }, 'no engine answer to a withdrawal');
      throw new PaymentError('engine_unavailable');
    }
    const answer = transferAnswer(command, events);
    if (answer.kind === 'rejected') await moveWithdrawal(this.deps.db, id, ['created'], 'rejected', { failureCode: answer.code });
    else await moveWithdrawal(this.deps.db, id, ['created'], 'reserved');
  }

  private async payOut(row: Row): Promise<void> {
    const id = String(row['id']);
    let answer;
    try {
      answer = await this.deps.payouts.pay({ withdrawalId: id, accountId: String(row['account_id']), amountMinor: toMinor(row['amount_minor']), currency: String(row['currency']) });
    } catch (error) {
      this.deps.logger.warn({ err: error, withdrawalId: id }, 'no answer to a payout; retried with the same key');
      throw error;
    }
    if (answer.kind === 'created') await moveWithdrawal(this.deps.db, id, ['reserved'], 'payout_created', { payoutId: answer.payoutId });
    else if (answer.kind === 'paid') await moveWithdrawal(this.deps.db, id, ['reserved'], 'paid', { payoutId: answer.payoutId });
    else {
      await inTransaction(this.deps.db, (client) => failWithdrawal(client, id, answer.failureCode));
      this.deps.drain.kick();
    }
  }
}

export function withdrawalView(row: Row): Record<string, unknown> {
  return {
    withdrawalId: String(row['id']),
    state: String(row['state']),
    amountMinor: toMinor(row['amount_minor']),
    currency: String(row['currency']),
    payoutId: (row['payout_id'] as string | null) ?? null,
    failureCode: (row['failure_code'] as string | null) ?? null,
  };
}
