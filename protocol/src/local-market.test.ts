import { describe, expect, it } from 'vitest';
import { LocalMarket } from './local-market.js';
import { MarketBook } from './market-book.js';
import type { LevelChange } from './book-checksum.js';
import type { MarketHeader, ServerMessageOf } from './ws-messages.js';

const HEADER: MarketHeader = { marketId: 7, status: 'open', inPlay: false, betDelayMs: 0, runnerCount: 2 };

function snapshot(seq: number): ServerMessageOf<'market_snapshot'> {
  const runners = [{ runnerIndex: 0, back: [[99, 1000]] as const, lay: [] }, { runnerIndex: 1, back: [], lay: [[90, 400]] as const }];
  return {
    type: 'market_snapshot',
    id: 1,
    seq,
    runners,
    traded: [{ runnerIndex: 0, lastPriceTicks: null, matchedMinor: 0 }, { runnerIndex: 1, lastPriceTicks: 90, matchedMinor: 250 }],
    matchedMinor: 250,
    checksum: MarketBook.fromRunners(2, runners).checksum(),
    ...HEADER,
  };
}

/** A delta from prevSeq to seq whose checksum is that of `expected` after the change. */
function delta(prevSeq: number, seq: number, levels: readonly LevelChange[], expected: MarketBook, extra: Partial<ServerMessageOf<'market_delta'>> = {}): ServerMessageOf<'market_delta'> {
  expected.apply(levels);
  return { type: 'market_delta', marketId: 7, prevSeq, seq, levels, checksum: expected.checksum(), publishTimeMs: 0, ...extra };
}

describe('local market', () => {
  it('starts from a snapshot', () => {
    const market = LocalMarket.fromSnapshot(snapshot(5));
    expect(market.marketId).toBe(7);
    expect(market.header).toEqual(HEADER);
    expect(market.seq).toBe(5);
    expect(market.matchedMinor).toBe(250);
    expect(market.traded[1]).toEqual({ runnerIndex: 1, lastPriceTicks: 90, matchedMinor: 250 });
    expect(market.book.runners()).toEqual(snapshot(5).runners);
    expect(market.book.checksum()).toBe(snapshot(5).checksum);
  });

  it('applies a delta that continues the chain: levels, header, traded figures and seq', () => {
    const market = LocalMarket.fromSnapshot(snapshot(5));
    const expected = MarketBook.fromRunners(2, snapshot(5).runners);
    const header: MarketHeader = { ...HEADER, status: 'suspended', inPlay: true, betDelayMs: 5000 };
    const traded = [{ runnerIndex: 0, lastPriceTicks: 99, matchedMinor: 300 }];
    expect(market.applyDelta(delta(5, 6, [[0, 'back', 99, 700], [1, 'lay', 91, 20]], expected, { market: header, traded, matchedMinor: 550 }))).toBe('applied');
    expect(market.seq).toBe(6);
    expect(market.header).toEqual(header);
    expect(market.traded[0]).toEqual(traded[0]);
    expect(market.traded[1]).toEqual({ runnerIndex: 1, lastPriceTicks: 90, matchedMinor: 250 });
    expect(market.matchedMinor).toBe(550);
    expect(market.book.runners()).toEqual(expected.runners());
  });

  it('grows the book when the header brings more runners', () => {
    const market = LocalMarket.fromSnapshot(snapshot(5));
    const expected = MarketBook.fromRunners(3, snapshot(5).runners);
    expect(market.applyDelta(delta(5, 6, [[2, 'back', 120, 10]], expected, { market: { ...HEADER, runnerCount: 3 } }))).toBe('applied');
    expect(market.book.runnerCount).toBe(3);
    expect(market.book.side(2, 'back')).toEqual([[120, 10]]);
  });

  it('changes nothing for a delta already applied, and reports a gap without applying it', () => {
    const market = LocalMarket.fromSnapshot(snapshot(5));
    const expected = MarketBook.fromRunners(2, snapshot(5).runners);
    const before = market.book.checksum();
    expect(market.applyDelta(delta(3, 4, [[0, 'back', 99, 1]], new MarketBook(2)))).toBe('stale');
    expect(market.applyDelta(delta(4, 5, [[0, 'back', 99, 1]], new MarketBook(2)))).toBe('stale');
    expect(market.applyDelta(delta(6, 7, [[0, 'back', 99, 1]], expected))).toBe('gap');
    expect(market.applyDelta(delta(4, 6, [[0, 'back', 99, 1]], expected))).toBe('gap');
    expect(market.seq).toBe(5);
    expect(market.book.checksum()).toBe(before);
  });

  it('reports a checksum that differs from the book after applying', () => {
    const market = LocalMarket.fromSnapshot(snapshot(5));
    const other = MarketBook.fromRunners(2, snapshot(5).runners);
    other.set(1, 'back', 150, 5);
    expect(market.applyDelta(delta(5, 6, [[0, 'lay', 80, 10]], other))).toBe('checksum_mismatch');
    expect(market.seq).toBe(6);
  });
});
