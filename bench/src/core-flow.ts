// The workload as journaled commands for the full ExchangeCore: accounts, deposits and the market
// first, then one PlaceOrder or CancelOrder per op. Backs come from accounts 1–25 and lays from
// accounts 26–50, so no order ever meets a resting order of its own account: self-trade prevention
// never fires and the core's book must end exactly like the others.

import type { AccountId, Command, CommandEnvelope } from '@playchacha/protocol';
import { TRANSFER_MINOR_MAX } from '@playchacha/protocol';
import { OP_PLACE, RUNNER_COUNT, SIDE_BACK, type Workload } from './workload.js';

export const MARKET_ID = 1;
const ACCOUNTS_PER_SIDE = 25;
const DEPOSITS_PER_ACCOUNT = 10;
const TIMESTAMP_BASE_MS = 1_700_000_000_000;

export interface CoreFlow {
  /** Accounts, deposits and the market. */
  readonly setup: CommandEnvelope[];
  /** One envelope per op (prefill included), same indices as the workload. */
  readonly ops: CommandEnvelope[];
}

export function accountOf(orderId: number, side: number): AccountId {
  return (side === SIDE_BACK ? 1 : 1 + ACCOUNTS_PER_SIDE) + (orderId % ACCOUNTS_PER_SIDE);
}

export function buildCoreFlow(w: Workload): CoreFlow {
  let seq = 0;
  const envelope = (command: Command): CommandEnvelope => {
    seq++;
    return { seq, timestampMs: TIMESTAMP_BASE_MS + seq, command };
  };
  const setup: CommandEnvelope[] = [];
  for (let accountId = 1; accountId <= 2 * ACCOUNTS_PER_SIDE; accountId++) {
    setup.push(envelope({ type: 'OpenAccount', accountId }));
    for (let d = 0; d < DEPOSITS_PER_ACCOUNT; d++) {
      setup.push(
        envelope({ type: 'Deposit', accountId, transferId: `dep-${accountId}-${d}`, amountMinor: TRANSFER_MINOR_MAX }),
      );
    }
  }
  setup.push(envelope({ type: 'CreateMarket', marketId: MARKET_ID, runnerCount: RUNNER_COUNT }));

  const ops: CommandEnvelope[] = new Array<CommandEnvelope>(w.total);
  for (let i = 0; i < w.total; i++) {
    const orderId = w.orderId[i] as number;
    const side = w.side[i] as number;
    const accountId = accountOf(orderId, side);
    ops[i] =
      w.kind[i] === OP_PLACE
        ? envelope({
            type: 'PlaceOrder',
            accountId,
            clientOrderId: `c${orderId}`,
            marketId: MARKET_ID,
            runnerIndex: w.runner[i] as number,
            side: side === SIDE_BACK ? 'back' : 'lay',
            priceTicks: w.priceTicks[i] as number,
            stakeMinor: w.sizeMinor[i] as number,
          })
        : envelope({ type: 'CancelOrder', accountId, marketId: MARKET_ID, orderId });
  }
  return { setup, ops };
}

/** Returns a copy of a CancelOrder envelope naming another order id. */
export function withOrderId(env: CommandEnvelope, orderId: number): CommandEnvelope {
  const command = env.command;
  if (command.type !== 'CancelOrder') return env;
  return { seq: env.seq, timestampMs: env.timestampMs, command: { ...command, orderId } };
}
