// The payments outbox (a transactionally staged job): a Deposit command is inserted in the same
// transaction as the state change that earns it (a succeeded PaymentIntent, a failed payout), and
// a drain loop submits it to the engine until the engine answers FundsDeposited or
// duplicate_transfer. A crash between COMMIT and the submit, or a lost answer, is repaired by the
// next drain; the transferId makes every repeat a no-op in the engine.

import type { Logger } from 'pino';
import { query, type Db, type DbClient } from '../db/database.js';
import { transferAnswer, type EngineSubmitter, type TransferCommand } from './engine-answers.js';

type DepositCommand = Extract<TransferCommand, { type: 'Deposit' }>;

/** Stages a Deposit inside the caller's transaction (a second one with its transferId is ignored). */
export async function stageDeposit(client: DbClient, command: DepositCommand): Promise<void> {
  await client.query('INSERT INTO payment_outbox (transfer_id, command) VALUES ($1, $2) ON CONFLICT (transfer_id) DO NOTHING', [
    command.transferId,
    JSON.stringify(command),
  ]);
}

export interface DrainOptions {
  readonly db: Db;
  readonly engine: EngineSubmitter;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly batchMax?: number;
}

export class OutboxDrain {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private draining: Promise<number> | null = null;

  constructor(private readonly options: DrainOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops the loop after the drain in hand; staged rows stay for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /** Asks the running loop to drain now (after a commit that staged something). */
  kick(): void {
    this.wake?.();
  }

  /** Submits every pending row once; returns how many were finished. One drain at a time. */
  drainOnce(): Promise<number> {
    this.draining ??= this.drain().finally(() => (this.draining = null));
    return this.draining;
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.drainOnce().catch((error: unknown) => this.options.logger.warn({ err: error }, 'outbox drain failed'));
      if (!this.running) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.intervalMs ?? 1_000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private async drain(): Promise<number> {
    const { db, engine, logger } = this.options;
    const rows = await query(db, 'SELECT id, command FROM payment_outbox WHERE done_at IS NULL ORDER BY id LIMIT $1', [this.options.batchMax ?? 100]);
    let finished = 0;
    for (const row of rows) {
      const command = row['command'] as DepositCommand;
      try {
        const answer = transferAnswer(command, await engine.submit(command));
        const outcome = answer.kind === 'rejected' ? `rejected:${answer.code}` : answer.kind;
        if (answer.kind === 'rejected') logger.error({ transferId: command.transferId, code: answer.code }, 'the engine refused a staged deposit');
        await query(db, 'UPDATE payment_outbox SET done_at = now(), outcome = $2, attempts = attempts + 1 WHERE id = $1', [row['id'], outcome]);
        finished++;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await query(db, 'UPDATE payment_outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [row['id'], message]);
        logger.warn({ transferId: command.transferId, err: error }, 'outbox submit failed; retried on the next drain');
      }
    }
    return finished;
  }
}
