// Client order messages to engine commands, and a command's events back to one result per
// instruction. The account always comes from the session, never from the message.

import type { AccountId, Command, EngineEvent, Instruction, OrderId } from '@playchacha/protocol';
import type { BatchInstruction, CancelledOrder, ClientMessageOf, InstructionResult } from './ws-messages.js';

export type OrderMessage = ClientMessageOf<'place'> | ClientMessageOf<'cancel'> | ClientMessageOf<'replace'> | ClientMessageOf<'batch'>;

/** The instructions a message carries, in order, as the engine will index them. */
export function instructionsOf(message: OrderMessage): Instruction[] {
  switch (message.type) {
    case 'place': {
      const { id: _id, type: _type, ...fields } = message;
      return [{ kind: 'place', ...fields }];
    }
    case 'cancel': {
      const { id: _id, type: _type, ...fields } = message;
      return [{ kind: 'cancel', ...fields }];
    }
    case 'replace': {
      const { id: _id, type: _type, ...fields } = message;
      return [{ kind: 'replace', ...fields }];
    }
    case 'batch':
      return message.instructions.map((instruction: BatchInstruction) => ({ ...instruction }));
  }
}

export function commandOf(message: OrderMessage, accountId: AccountId): Command {
  const [first] = instructionsOf(message);
  switch (message.type) {
    case 'place':
    case 'cancel':
    case 'replace': {
      if (first === undefined) throw new Error('a single order message has one instruction');
      const { kind, ...fields } = first;
      const type = kind === 'place' ? 'PlaceOrder' : kind === 'cancel' ? 'CancelOrder' : 'ReplaceOrder';
      return { type, accountId, ...fields } as Command;
    }
    case 'batch':
      return { type: 'Batch', accountId, mode: message.mode, instructions: instructionsOf(message) };
  }
}

/**
 * One result per instruction, read from the command's events: OrderRejected, InstructionRefused
 * and OrderDuplicate name their instruction (by index, or by client order id); OrderAccepted names its client order
 * id; a cancel is answered by the OrderReduced or OrderClosed of its order.
 */
export function resultsOf(instructions: readonly Instruction[], events: readonly EngineEvent[], accountId: AccountId): InstructionResult[] {
  const results: Array<InstructionResult | null> = instructions.map(() => null);
  const pendingByClientOrderId = (clientOrderId: string): number =>
    instructions.findIndex((instruction, index) => results[index] === null && instruction.kind !== 'cancel' && instruction.clientOrderId === clientOrderId);
  const accepted = new Map<OrderId, number>();
  let commandRejected: EngineEvent | null = null;
  for (const event of events) {
    switch (event.type) {
      // A market's refusal of an instruction its risk stage passed (on one partition the risk
      // stage's OrderRejected for it follows; across partitions it comes later, apart).
      case 'InstructionRefused':
      case 'OrderRejected': {
        if (event.accountId !== accountId) break;
        const instruction = instructions[event.instructionIndex];
        if (instruction === undefined || results[event.instructionIndex] !== null) break;
        results[event.instructionIndex] = {
          status: 'rejected',
          kind: instruction.kind,
          code: event.code,
          ...(instruction.kind !== 'cancel' ? { clientOrderId: instruction.clientOrderId } : {}),
          ...(instruction.kind !== 'place' ? { orderId: instruction.orderId } : {}),
        };
        break;
      }
      case 'OrderDuplicate': {
        if (event.accountId !== accountId) break;
        const index = pendingByClientOrderId(event.clientOrderId);
        const instruction = instructions[index];
        if (instruction === undefined || instruction.kind === 'cancel') break;
        results[index] = { status: 'duplicate', kind: instruction.kind, clientOrderId: event.clientOrderId, orderId: event.orderId, code: event.code };
        break;
      }
      case 'OrderAccepted': {
        if (event.accountId !== accountId) break;
        const index = pendingByClientOrderId(event.clientOrderId);
        const instruction = instructions[index];
        if (instruction === undefined || instruction.kind === 'cancel') break;
        results[index] = {
          status: 'accepted',
          kind: instruction.kind,
          orderId: event.orderId,
          clientOrderId: event.clientOrderId,
          ...(instruction.kind === 'replace' ? { replacedOrderId: instruction.orderId } : {}),
          matchedMinor: 0,
          remainingMinor: event.stakeMinor,
        };
        accepted.set(event.orderId, index);
        break;
      }
      case 'OrderDelayed':
        updateAccepted(results, accepted.get(event.orderId), (result) => ({ ...result, delayed: true }));
        break;
      case 'OrderMatched':
        for (const orderId of [event.backOrderId, event.layOrderId]) {
          updateAccepted(results, accepted.get(orderId), (result) => ({
            ...result,
            matchedMinor: result.matchedMinor + event.stakeMinor,
            remainingMinor: result.remainingMinor - event.stakeMinor,
          }));
        }
        break;
      case 'OrderReduced': {
        if (event.accountId !== accountId) break;
        const index = instructions.findIndex((instruction, i) => results[i] === null && instruction.kind === 'cancel' && instruction.orderId === event.orderId);
        if (index >= 0) results[index] = { status: 'reduced', kind: 'cancel', orderId: event.orderId, reducedByMinor: event.reducedByMinor, remainingMinor: event.remainingMinor };
        break;
      }
      case 'OrderClosed': {
        if (event.accountId !== accountId) break;
        const acceptedIndex = accepted.get(event.orderId);
        if (acceptedIndex !== undefined) {
          updateAccepted(results, acceptedIndex, (result) => ({ ...result, remainingMinor: 0, closeReason: event.reason }));
          break;
        }
        if (event.reason !== 'cancelled') break;
        const index = instructions.findIndex((instruction, i) => results[i] === null && instruction.kind === 'cancel' && instruction.orderId === event.orderId);
        if (index >= 0) results[index] = { status: 'cancelled', kind: 'cancel', orderId: event.orderId, matchedMinor: event.matchedMinor, cancelledMinor: event.cancelledMinor };
        break;
      }
      case 'CommandRejected':
        commandRejected = event;
        break;
      default:
        break;
    }
  }
  return results.map((result, index) => {
    if (result !== null) return result;
    const instruction = instructions[index] as Instruction;
    const code = commandRejected?.type === 'CommandRejected' ? commandRejected.code : 'invalid_command';
    return {
      status: 'rejected',
      kind: instruction.kind,
      code,
      ...(instruction.kind !== 'cancel' ? { clientOrderId: instruction.clientOrderId } : {}),
      ...(instruction.kind !== 'place' ? { orderId: instruction.orderId } : {}),
    };
  });
}

function updateAccepted(
  results: Array<InstructionResult | null>,
  index: number | undefined,
  change: (result: Extract<InstructionResult, { status: 'accepted' }>) => InstructionResult,
): void {
  if (index === undefined) return;
  const result = results[index];
  if (result?.status === 'accepted') results[index] = change(result);
}

export function massCancelCommand(message: ClientMessageOf<'mass_cancel'>, accountId: AccountId): Command {
  const { id: _id, type: _type, ...filters } = message;
  return { type: 'MassCancel', accountId, ...filters };
}

export function massCancelled(events: readonly EngineEvent[], accountId: AccountId): CancelledOrder[] {
  const orders: CancelledOrder[] = [];
  for (const event of events) {
    if (event.type === 'OrderClosed' && event.accountId === accountId && event.reason === 'mass_cancelled') {
      orders.push({ orderId: event.orderId, marketId: event.marketId, matchedMinor: event.matchedMinor, cancelledMinor: event.cancelledMinor });
    }
  }
  return orders;
}
