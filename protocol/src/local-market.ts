// A market as a subscriber keeps it from the market-data stream: the book, header and traded
// figures of a market_snapshot, brought forward by each market_delta whose prevSeq is the seq
// applied last, and checked against the delta's checksum. Shared by the gateway's typed client
// and the web app; what to do when the chain breaks or the checksum differs (resume from the last
// seq, or a fresh snapshot) is theirs, as is everything about the connection.

import type { MarketId } from './ids.js';
import { MarketBook } from './market-book.js';
import type { MarketHeader, RunnerTraded, ServerMessageOf } from './ws-messages.js';

/**
 * What applying a delta did. `applied`: the market is at the delta's seq. `stale`: the delta is
 * from before the seq applied last (already reflected); nothing changed. `gap`: deltas are
 * missing; nothing changed, resume from `seq`. `checksum_mismatch`: the delta was applied but the
 * book no longer matches the server's; the market is unusable until a fresh snapshot.
 */
export type DeltaOutcome = 'applied' | 'stale' | 'gap' | 'checksum_mismatch';

export class LocalMarket {
  private headerNow: MarketHeader;
  private readonly tradedNow: RunnerTraded[];
  private matchedMinorNow: number;
  private seqNow: number;

  private constructor(
    readonly book: MarketBook,
    snapshot: ServerMessageOf<'market_snapshot'>,
  ) {
    this.headerNow = {
      marketId: snapshot.marketId,
      status: snapshot.status,
      inPlay: snapshot.inPlay,
      betDelayMs: snapshot.betDelayMs,
      runnerCount: snapshot.runnerCount,
    };
    this.tradedNow = [...snapshot.traded];
    this.matchedMinorNow = snapshot.matchedMinor;
    this.seqNow = snapshot.seq;
  }

  static fromSnapshot(snapshot: ServerMessageOf<'market_snapshot'>): LocalMarket {
    return new LocalMarket(MarketBook.fromRunners(snapshot.runnerCount, snapshot.runners), snapshot);
  }

  get marketId(): MarketId {
    return this.headerNow.marketId;
  }

  get header(): MarketHeader {
    return this.headerNow;
  }

  /** Each runner's last traded price and matched volume, by runner index. */
  get traded(): readonly RunnerTraded[] {
    return this.tradedNow;
  }

  /** The market's total matched volume (backer's stake). */
  get matchedMinor(): number {
    return this.matchedMinorNow;
  }

  /** The seq of the last snapshot or delta applied. */
  get seq(): number {
    return this.seqNow;
  }

  applyDelta(delta: ServerMessageOf<'market_delta'>): DeltaOutcome {
    if (delta.prevSeq !== this.seqNow) return delta.seq <= this.seqNow && delta.prevSeq < this.seqNow ? 'stale' : 'gap';
    if (delta.market !== undefined) {
      this.headerNow = delta.market;
      this.book.resize(delta.market.runnerCount);
    }
    this.book.apply(delta.levels);
    for (const runner of delta.traded ?? []) this.tradedNow[runner.runnerIndex] = runner;
    if (delta.matchedMinor !== undefined) this.matchedMinorNow = delta.matchedMinor;
    this.seqNow = delta.seq;
    return this.book.checksum() === delta.checksum ? 'applied' : 'checksum_mismatch';
  }
}
