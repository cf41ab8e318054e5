import { describe, expect, it } from 'vitest';
import { bookChecksum, crc32, MarketBook } from './market-book.js';

describe('market book checksum', () => {
  it('is the zlib CRC-32 of the documented text', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    const book = new MarketBook(2);
    book.set(0, 'back', 99, 1000);
    expect(book.checksum()).toBe(crc32('0:99@1000/;1:/'));
  });

  it('counts the best three levels of each side, best first', () => {
    const book = new MarketBook(1);
    for (const [tick, total] of [[120, 5], [100, 7], [110, 9], [130, 1]] as const) book.set(0, 'back', tick, total);
    for (const [tick, total] of [[90, 2], [80, 3], [95, 4], [70, 6]] as const) book.set(0, 'lay', tick, total);
    expect(book.checksum()).toBe(crc32('0:100@7,110@9,120@5/95@4,90@2,80@3'));
    book.set(0, 'back', 100, 0);
    expect(book.checksum()).toBe(bookChecksum([{ runnerIndex: 0, back: [[110, 9], [120, 5], [130, 1]], lay: [[95, 4], [90, 2], [80, 3]] }]));
  });
});
