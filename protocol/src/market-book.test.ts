import { describe, expect, it } from 'vitest';
import { bookChecksum, crc32 } from './book-checksum.js';
import { MarketBook } from './market-book.js';

describe('market book', () => {
  it('checksums the zlib CRC-32 of the documented text', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('')).toBe(0);
    const book = new MarketBook(2);
    book.set(0, 'back', 99, 1000);
    expect(book.checksum()).toBe(crc32('0:99@1000/;1:/'));
    expect(bookChecksum([{ runnerIndex: 0, back: [[99, 1000]], lay: [] }, { runnerIndex: 1, back: [], lay: [] }])).toBe(crc32('0:99@1000/;1:/'));
  });

  it('counts the best three levels of each side, best first', () => {
    const book = new MarketBook(1);
    for (const [tick, total] of [[120, 5], [100, 7], [110, 9], [130, 1]] as const) book.set(0, 'back', tick, total);
    for (const [tick, total] of [[90, 2], [80, 3], [95, 4], [70, 6]] as const) book.set(0, 'lay', tick, total);
    expect(book.checksum()).toBe(crc32('0:100@7,110@9,120@5/95@4,90@2,80@3'));
    book.set(0, 'back', 100, 0);
    expect(book.checksum()).toBe(bookChecksum([{ runnerIndex: 0, back: [[110, 9], [120, 5], [130, 1]], lay: [[95, 4], [90, 2], [80, 3]] }]));
  });

  it('keeps sides best first, applies changes, removes emptied levels and limits the depth read', () => {
    const book = MarketBook.fromRunners(2, [{ runnerIndex: 0, back: [[100, 500], [99, 1000]], lay: [[97, 300]] }]);
    expect(book.side(0, 'back')).toEqual([[99, 1000], [100, 500]]);
    book.apply([[0, 'lay', 98, 700], [0, 'back', 99, 0], [1, 'back', 120, 50], [0, 'back', 101, 1], [0, 'back', 102, 2]]);
    expect(book.side(0, 'lay')).toEqual([[98, 700], [97, 300]]);
    expect(book.side(0, 'back')).toEqual([[100, 500], [101, 1], [102, 2]]);
    book.set(0, 'back', 103, 3);
    expect(book.runners(3)[0]?.back).toEqual([[100, 500], [101, 1], [102, 2]]);
    expect(book.runners()[0]?.back).toEqual([[100, 500], [101, 1], [102, 2], [103, 3]]);
    expect(book.get(0, 'back', 103)).toBe(3);
    expect(book.get(0, 'back', 99)).toBe(0);
    expect(book.checksum()).toBe(crc32('0:100@500,101@1,102@2/98@700,97@300;1:120@50/'));
    expect(() => book.set(2, 'back', 1, 1)).toThrow(RangeError);
    book.resize(3);
    book.set(2, 'back', 1, 1);
    expect(book.runnerCount).toBe(3);
  });
});
