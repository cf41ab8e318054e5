// Cancel-on-disconnect. A connection that opted in (with a grace period) and drops starts a timer
// for its account; a new connection of the account within the grace stops it. When it fires, every
// open order of the account is mass cancelled, and what was cancelled is reported on the account's
// next connection (or at once to a connection of the account that is still open).

import type { AccountId } from '@playchacha/protocol';
import type { EngineLink } from './engine-link.js';
import { massCancelled } from './order-commands.js';
import type { CancelledOrder } from './ws-messages.js';

export interface CancelOnDisconnectReport {
  readonly disconnectedAtMs: number;
  readonly cancelledAtMs: number;
  readonly orders: readonly CancelledOrder[];
}

export class CancelOnDisconnect {
  private readonly timers = new Map<AccountId, NodeJS.Timeout>();
  private readonly reports = new Map<AccountId, CancelOnDisconnectReport[]>();

  constructor(
    private readonly link: EngineLink,
    private readonly deliver: (accountId: AccountId, report: CancelOnDisconnectReport) => boolean,
    private readonly onError: (accountId: AccountId, error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** A connection of the account dropped with cancel-on-disconnect set to graceMs. */
  disconnected(accountId: AccountId, graceMs: number): void {
    const disconnectedAtMs = this.now();
    this.stop(accountId);
    const timer = setTimeout(() => {
      this.timers.delete(accountId);
      void this.fire(accountId, disconnectedAtMs);
    }, graceMs);
    this.timers.set(accountId, timer);
  }

  /** A connection of the account opened: a pending cancel stops. Returns the reports not yet delivered. */
  connected(accountId: AccountId): CancelOnDisconnectReport[] {
    this.stop(accountId);
    const reports = this.reports.get(accountId) ?? [];
    this.reports.delete(accountId);
    return reports;
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private stop(accountId: AccountId): void {
    const timer = this.timers.get(accountId);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(accountId);
  }

  private async fire(accountId: AccountId, disconnectedAtMs: number): Promise<void> {
    try {
      const events = await this.link.submit({ type: 'MassCancel', accountId });
      const report: CancelOnDisconnectReport = { disconnectedAtMs, cancelledAtMs: this.now(), orders: massCancelled(events, accountId) };
      if (this.deliver(accountId, report)) return;
      const pending = this.reports.get(accountId) ?? [];
      pending.push(report);
      this.reports.set(accountId, pending);
    } catch (error) {
      this.onError(accountId, error);
    }
  }
}
