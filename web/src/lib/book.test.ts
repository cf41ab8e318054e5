import { describe, expect, it } from 'vitest';
import { bookChecksum, crc32, LocalBook } from './book';

describe('the local book', () => {
  it('computes CRC-32 as zlib does', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('')).toBe(0);
  });

  it('builds the checksum text of the API reference', () => {
    expect(bookChecksum([{ runnerIndex: 0, back: [[99, 1000]], lay: [] }, { runnerIndex: 1, back: [], lay: [] }])).toBe(crc32('0:99@1000/;1:/'));
  });

  it('keeps sides best first, applies deltas, removes emptied levels, and checksums the top three', () => {
    const book = new LocalBook(2, [{ runnerIndex: 0, back: [[100, 500], [99, 1000]], lay: [[97, 300]] }]);
    expect(book.side(0, 'back')).toEqual([[99, 1000], [100, 500]]);
    book.apply([[0, 'lay', 98, 700], [0, 'back', 99, 0], [1, 'back', 120, 50], [0, 'back', 101, 1], [0, 'back', 102, 2]]);
    expect(book.side(0, 'lay')).toEqual([[98, 700], [97, 300]]);
    expect(book.side(0, 'back')).toEqual([[100, 500], [101, 1], [102, 2]]);
    book.set(0, 'back', 103, 3);
    expect(book.top(3)[0]?.back).toEqual([[100, 500], [101, 1], [102, 2]]);
    expect(book.checksum()).toBe(crc32('0:100@500,101@1,102@2/98@700,97@300;1:120@50/'));
    expect(() => book.set(2, 'back', 1, 1)).toThrow(RangeError);
  });
});
