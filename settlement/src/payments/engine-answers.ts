// What the engine answered to a Deposit or Withdraw, read from the events it published for it.

import type { Command, EngineEvent, RejectCode } from '@playchacha/protocol';

/** Anything that submits a command to the partition and resolves with its events (EngineClient). */
export interface EngineSubmitter {
  submit(command: Command): Promise<readonly EngineEvent[]>;
}

export type TransferCommand = Extract<Command, { type: 'Deposit' | 'Withdraw' }>;

export type TransferAnswer =
  | { readonly kind: 'applied' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'rejected'; readonly code: RejectCode };

export function transferAnswer(command: TransferCommand, events: readonly EngineEvent[]): TransferAnswer {
  const applied = command.type === 'Deposit' ? 'FundsDeposited' : 'FundsWithdrawn';
  for (const event of events) {
    if (event.type === applied && event.transferId === command.transferId) return { kind: 'applied' };
    if (event.type === 'CommandRejected') {
      return event.code === 'duplicate_transfer' ? { kind: 'duplicate' } : { kind: 'rejected', code: event.code };
    }
  }
  throw new Error(`no answer to ${command.type} ${command.transferId} among ${events.length} events`);
}
