// The book as the market-data stream describes it and its top-of-book checksum, defined in the
// protocol package (protocol/src/market-book.ts, book-checksum.ts) and shared with the clients.

export { bookChecksum, CHECKSUM_DEPTH, crc32, MarketBook } from '@playchacha/protocol';
export type { Level, LevelChange, RunnerLevels } from '@playchacha/protocol';
