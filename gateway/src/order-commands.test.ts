// A command's events read back into one result per instruction: a market's refusal of an
// instruction its risk stage passed answers that instruction, whether the risk stage's relayed
// rejection follows in the same command (one partition) or not (a partitioned engine).

import { describe, expect, it } from 'vitest';
import type { EngineEvent, Instruction } from '@playchacha/protocol';
import { resultsOf } from './order-commands.js';

const instructions: Instruction[] = [
  { kind: 'place', clientOrderId: 'a', marketId: 7, runnerIndex: 0, side: 'back', priceTicks: 100, stakeMinor: 500 },
  { kind: 'cancel', marketId: 7, orderId: 9 },
];
const refused: EngineEvent = { type: 'InstructionRefused', marketId: 7, seq: 4, accountId: 1, instruction: 'place', instructionIndex: 0, orderId: 11, clientOrderId: 'a', code: 'market_suspended' };
const relayed: EngineEvent = { type: 'OrderRejected', accountId: 1, seq: 8, instruction: 'place', instructionIndex: 0, marketId: 7, clientOrderId: 'a', orderId: null, code: 'market_suspended' };
const closed: EngineEvent = { type: 'OrderClosed', marketId: 7, seq: 5, orderId: 9, accountId: 1, runnerIndex: 0, side: 'lay', priceTicks: 90, reason: 'cancelled', sizeMinor: 300, matchedMinor: 100, cancelledMinor: 200 };

describe('resultsOf', () => {
  it('answers an instruction the market refused from InstructionRefused alone, as with the relayed OrderRejected after it', () => {
    const expected = [
      { status: 'rejected', kind: 'place', code: 'market_suspended', clientOrderId: 'a' },
      { status: 'cancelled', kind: 'cancel', orderId: 9, matchedMinor: 100, cancelledMinor: 200 },
    ];
    expect(resultsOf(instructions, [refused, closed], 1)).toEqual(expected);
    expect(resultsOf(instructions, [refused, relayed, closed], 1)).toEqual(expected);
  });

  it('ignores a refusal of another account', () => {
    expect(resultsOf(instructions.slice(0, 1), [{ ...refused, accountId: 2 }], 1)).toEqual([{ status: 'rejected', kind: 'place', code: 'invalid_command', clientOrderId: 'a' }]);
  });
});
