// Every account's balance, exposure and available balance, kept from the engine's AccountUpdated
// events (emitted once per command for each account whose money changed).

import type { AccountId } from '@playchacha/protocol';
import type { AccountView } from '@playchacha/engine';
import type { EngineView, EventFrame } from './engine-link.js';

export interface AccountMoney {
  readonly balanceMinor: number;
  readonly exposureMinor: number;
  readonly availableMinor: number;
  /** The account stream's seq of the last change seen (0: as of the follow's start). */
  readonly seq: number;
}

export class AccountReadModel {
  private readonly accounts = new Map<AccountId, AccountMoney>();

  init(view: EngineView): void {
    for (const account of view.accounts()) this.set(account, 0);
  }

  applyFrame(frame: EventFrame): void {
    for (const entry of frame.entries) {
      for (const event of entry.events) {
        if (event.type === 'AccountOpened') {
          if (!this.accounts.has(event.accountId)) this.accounts.set(event.accountId, { balanceMinor: 0, exposureMinor: 0, availableMinor: 0, seq: event.seq });
        } else if (event.type === 'AccountUpdated') {
          this.set(event, event.seq);
        }
      }
    }
  }

  get(accountId: AccountId): AccountMoney | undefined {
    return this.accounts.get(accountId);
  }

  private set(account: Pick<AccountView, 'accountId' | 'balanceMinor' | 'exposureMinor' | 'availableMinor'>, seq: number): void {
    const { balanceMinor, exposureMinor, availableMinor } = account;
    this.accounts.set(account.accountId, { balanceMinor, exposureMinor, availableMinor, seq });
  }
}
