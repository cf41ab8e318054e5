import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClientOrderIds, hashOf } from './client-order-ids.js';

describe('ClientOrderIds', () => {
  it('behaves like a Map<string, number> under random sets (growth, overwrites, insertion order)', () => {
    const id = fc.oneof(fc.string({ minLength: 1, maxLength: 32 }), fc.integer({ min: 0, max: 2000 }).map((n) => `c${n}`));
    const op = fc.record({ id, result: fc.integer({ min: -60, max: Number.MAX_SAFE_INTEGER }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const ids = new ClientOrderIds();
        const reference = new Map<string, number>();
        for (const o of ops) {
          ids.set(o.id, o.result);
          reference.set(o.id, o.result);
        }
        expect(ids.size).toBe(reference.size);
        expect(ids.entries()).toEqual([...reference]);
        for (const [key, result] of reference) expect(ids.get(key)).toBe(result);
        for (let n = 0; n <= 2000; n++) expect(ids.get(`c${n}`)).toBe(reference.get(`c${n}`));
        expect(ids.get('x'.repeat(33))).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });

  it('finds ids whose hashes share a probe run, and strings equal in content but not identity', () => {
    const ids = new ClientOrderIds();
    for (let n = 0; n < 100_000; n++) ids.set(`order-${n}`, n + 1);
    expect(ids.size).toBe(100_000);
    for (let n = 0; n < 100_000; n += 997) expect(ids.get(['order', String(n)].join('-'))).toBe(n + 1);
    expect(ids.get('order-100000')).toBeUndefined();
    ids.set('order-5', -3);
    expect(ids.get('order-5')).toBe(-3);
    expect(ids.entries()[5]).toEqual(['order-5', -3]);
    expect(ids.size).toBe(100_000);
    expect(ids.movedToMap).toBe(false);
  });

  it('moves to a Map when ids are chosen so their hashes share low bits, and keeps every result and the order', () => {
    // Ids whose hashes agree in their low 16 bits all start probing at the same pair.
    const crafted: string[] = [];
    for (let n = 0; crafted.length < 300; n++) if ((hashOf(`x${n}`) & 0xffff) === 0) crafted.push(`x${n}`);
    const ids = new ClientOrderIds();
    const reference = new Map<string, number>();
    crafted.forEach((id, index) => {
      ids.set(id, index);
      reference.set(id, index);
      if (index % 7 === 0) {
        ids.set(`plain-${index}`, -index);
        reference.set(`plain-${index}`, -index);
      }
    });
    expect(ids.movedToMap).toBe(true);
    ids.set(crafted[3] as string, 99);
    reference.set(crafted[3] as string, 99);
    expect(ids.entries()).toEqual([...reference]);
    for (const [key, result] of reference) expect(ids.get(key)).toBe(result);
    expect(ids.get('x-none')).toBeUndefined();
  });
});
