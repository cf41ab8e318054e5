import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IdMap } from './id-map.js';

describe('IdMap', () => {
  it('behaves like a Map under random sets, gets and deletes (including growth and probe runs)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), id: fc.integer({ min: 1, max: 3000 }), slot: fc.nat(1_000_000) }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ kind: fc.constant('big' as const), id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), slot: fc.nat(1000) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 4000 }), (ops) => {
        const map = new IdMap();
        const reference = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'delete') expect(map.delete(o.id)).toBe(reference.delete(o.id));
          else {
            map.set(o.id, o.slot);
            reference.set(o.id, o.slot);
          }
        }
        expect(map.size).toBe(reference.size);
        for (let id = 1; id <= 3000; id++) expect(map.get(id)).toBe(reference.get(id) ?? -1);
        for (const [id, slot] of reference) expect(map.get(id)).toBe(slot);
        const seen = new Map<number, number>();
        map.forEach((id, slot) => seen.set(id, slot));
        expect(seen).toEqual(reference);
      }),
      { numRuns: 60 },
    );
  });
});
