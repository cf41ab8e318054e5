// Batches: best_effort and all_or_none, size and market bounds, and instruction order.
import { beforeEach, describe, expect, it } from 'vitest';
import { BATCH_INSTRUCTIONS_MAX, type Instruction } from '@playchacha/protocol';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, cancelInstruction, placeInstruction, tick } from '../../testing/given-when-then.js';

const A = 1;
const POOR = 9;

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('batches (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
    h.openFundedAccount(A, 100_000);
    h.openFundedAccount(POOR, 1000);
    h.createMarket(1);
    h.createMarket(2);
  });

  /** A good back, a place off the ladder (tick 350), a good lay. */
  function mixed(): Instruction[] {
    return [
      placeInstruction('back', '2.0', 100),
      { ...placeInstruction('back', '2.0', 100), priceTicks: 350 },
      placeInstruction('lay', '1.5', 100),
    ];
  }

  function rejectedByIndex(): Record<number, string> {
    return Object.fromEntries(h.events('OrderRejected').map((e) => [e.instructionIndex, e.code]));
  }

  it('best_effort applies each instruction on its own', () => {
    // when
    h.batch(A, 'best_effort', mixed());
    // then the first and third are placed, the second is rejected
    expect(h.events('OrderAccepted').map((e) => [e.side, e.priceTicks])).toEqual([
      ['back', tick('2.0')],
      ['lay', tick('1.5')],
    ]);
    expect(h.events('OrderRejected')).toEqual([
      expect.objectContaining({ accountId: A, instruction: 'place', instructionIndex: 1, code: 'invalid_price' }),
    ]);
    // back 100 at 2.0 and lay 100 at 1.5 (liability floor(100 × 50 / 100) = 50) on runner 0:
    // if 0 wins −50, if 0 loses −100 → exposure 100
    expect(h.exposure(A)).toBe(100);
  });

  it('all_or_none applies nothing when one instruction is rejected', () => {
    const before = h.snapshot();
    // when
    h.batch(A, 'all_or_none', mixed());
    // then the bad instruction carries its own code, the others batch_instruction_rejected
    // (plainest reading: every instruction of the batch gets an OrderRejected)
    expect(rejectedByIndex()).toEqual({ 0: 'batch_instruction_rejected', 1: 'invalid_price', 2: 'batch_instruction_rejected' });
    expect(h.events('OrderAccepted')).toEqual([]);
    expect(h.snapshot()).toEqual(before);
  });

  it('all_or_none applies every instruction when all pass', () => {
    // when
    h.batch(A, 'all_or_none', [placeInstruction('back', '2.0', 100), placeInstruction('lay', '1.5', 100)]);
    // then
    expect(h.rejectCodes()).toEqual([]);
    expect(h.events('OrderAccepted')).toHaveLength(2);
  });

  it('rejects an empty batch with batch_empty, in both modes', () => {
    h.batch(A, 'best_effort', []);
    expect(h.rejectCode()).toBe('batch_empty');
    h.batch(A, 'all_or_none', []);
    expect(h.rejectCode()).toBe('batch_empty');
  });

  it('rejects 201 instructions with batch_too_large and accepts 200', () => {
    const before = h.snapshot();
    // when
    const tooMany = Array.from({ length: BATCH_INSTRUCTIONS_MAX + 1 }, () => placeInstruction('back', '2.0', 1));
    h.batch(A, 'best_effort', tooMany);
    // then
    expect(h.rejectCode()).toBe('batch_too_large');
    expect(h.events('OrderAccepted')).toEqual([]);
    expect(h.snapshot()).toEqual(before);
    // and 200 is fine (new client order ids: the rejected batch may have recorded the old ones)
    h.batch(A, 'best_effort', Array.from({ length: BATCH_INSTRUCTIONS_MAX }, () => placeInstruction('back', '2.0', 1)));
    expect(h.rejectCodes()).toEqual([]);
    expect(h.events('OrderAccepted')).toHaveLength(200);
    expect(h.bookSide('back')).toEqual([expect.objectContaining({ totalMinor: 200 })]);
  });

  it('rejects an all_or_none batch over two markets with batch_multi_market', () => {
    const before = h.snapshot();
    // when
    h.batch(A, 'all_or_none', [placeInstruction('back', '2.0', 100), placeInstruction('back', '2.0', 100, { marketId: 2 })]);
    // then
    expect(h.rejectCodes()).toContain('batch_multi_market');
    expect(h.events('OrderAccepted')).toEqual([]);
    expect(h.snapshot()).toEqual(before);
  });

  it('accepts a best_effort batch over two markets', () => {
    h.batch(A, 'best_effort', [placeInstruction('back', '2.0', 100), placeInstruction('back', '2.0', 100, { marketId: 2 })]);
    expect(h.rejectCodes()).toEqual([]);
    expect(h.events('OrderAccepted').map((e) => e.marketId)).toEqual([1, 2]);
  });

  it('applies a cancel in a batch while the market is suspended and rejects a place', () => {
    // given
    const resting = h.back(A, '2.0', 100).orderId;
    h.suspend(1);
    // when
    h.batch(A, 'best_effort', [cancelInstruction(resting), placeInstruction('back', '2.0', 100)]);
    // then
    expect(h.closed(resting)?.reason).toBe('cancelled');
    expect(rejectedByIndex()).toEqual({ 1: 'market_suspended' });
  });

  describe('instruction order', () => {
    let old: number;
    beforeEach(() => {
      // POOR has 1000 and backs 1000 at 2.0: available 0
      old = h.back(POOR, '2.0', 1000).orderId;
    });

    it('best_effort: a cancel first frees the funds for a place after it', () => {
      // when
      h.batch(POOR, 'best_effort', [cancelInstruction(old), placeInstruction('back', '3.0', 1000)]);
      // then
      expect(h.rejectCodes()).toEqual([]);
      expect(h.closed(old)?.reason).toBe('cancelled');
      expect(h.events('OrderAccepted')).toEqual([expect.objectContaining({ priceTicks: tick('3.0'), stakeMinor: 1000 })]);
      expect(h.account(POOR)).toMatchObject({ exposureMinor: 1000, availableMinor: 0 });
    });

    it('best_effort: a place before the cancel is checked against the funds left then', () => {
      // when
      h.batch(POOR, 'best_effort', [placeInstruction('back', '3.0', 1000), cancelInstruction(old)]);
      // then the place needs 1000 more than the 0 available; the cancel still applies
      expect(rejectedByIndex()).toEqual({ 0: 'insufficient_funds' });
      expect(h.closed(old)?.reason).toBe('cancelled');
      expect(h.account(POOR)).toMatchObject({ exposureMinor: 0, availableMinor: 1000 });
    });

    it('all_or_none: a cancel first frees the funds for a place after it', () => {
      h.batch(POOR, 'all_or_none', [cancelInstruction(old), placeInstruction('back', '3.0', 1000)]);
      expect(h.rejectCodes()).toEqual([]);
      expect(h.events('OrderAccepted')).toHaveLength(1);
    });

    it('all_or_none: a place before the cancel fails and takes the cancel with it', () => {
      const before = h.snapshot();
      h.batch(POOR, 'all_or_none', [placeInstruction('back', '3.0', 1000), cancelInstruction(old)]);
      expect(rejectedByIndex()).toEqual({ 0: 'insufficient_funds', 1: 'batch_instruction_rejected' });
      expect(h.snapshot()).toEqual(before);
    });

    it('best_effort: a reduction and a replace in one batch', () => {
      // when the order is reduced by 400, then its 600 moved to 2.5
      h.batch(POOR, 'best_effort', [
        cancelInstruction(old, 400),
        { kind: 'replace', marketId: 1, orderId: old, clientOrderId: 'moved', priceTicks: tick('2.5') },
      ]);
      // then
      expect(h.rejectCodes()).toEqual([]);
      expect(h.events('OrderReduced')).toEqual([expect.objectContaining({ orderId: old, reducedByMinor: 400, remainingMinor: 600 })]);
      expect(h.closed(old)).toMatchObject({ reason: 'replaced', sizeMinor: 1000, matchedMinor: 0, cancelledMinor: 1000 });
      expect(h.events('OrderAccepted')).toEqual([expect.objectContaining({ clientOrderId: 'moved', stakeMinor: 600 })]);
      expect(h.exposure(POOR)).toBe(600);
    });
  });
});
