// EngineLink over an in-process EnginePartition: the leader itself (the embedded default) or a
// read-only replica that follows the journal (redis-link.ts). The partition applies each
// frame to its core before it calls its frame listeners, and applies nothing else while they run,
// so inside a listener the core is exactly the state after that frame.

import type { Command, EngineEvent, MarketId, RunnerIndex, Side } from '@playchacha/protocol';
import type { ExchangeCore } from '@playchacha/engine';
import type { EnginePartition } from '../../engine/src/io/partition.js';
import type { EngineFollower, EngineLink, EngineMarketView, EngineView, EventFrame } from './engine-link.js';

/** The engine view of a core (the partition's current one: it changes when a snapshot is loaded). */
export class CoreView implements EngineView {
  constructor(private readonly currentCore: () => ExchangeCore) {}

  private get core(): ExchangeCore {
    return this.currentCore();
  }

  marketIds(): MarketId[] {
    return [...this.core.matching.markets.keys()].sort((a, b) => a - b);
  }

  market(marketId: MarketId): EngineMarketView | undefined {
    const view = this.core.market(marketId);
    const market = this.core.matching.markets.get(marketId);
    if (view === undefined || market === undefined) return undefined;
    return { ...view, ladderId: market.ladder.id, delayedOrders: market.delayed.length };
  }

  bookSide(marketId: MarketId, runnerIndex: RunnerIndex, side: Side) {
    return this.core.bookSide(marketId, runnerIndex, side);
  }

  traded(marketId: MarketId) {
    return this.core.traded(marketId);
  }

  openOrders() {
    return this.core.openOrders();
  }

  accounts() {
    return this.core.accounts();
  }
}

export class PartitionLink implements EngineLink {
  private readonly view: CoreView;
  private readonly followers = new Set<{ follower: EngineFollower; afterSeq: number }>();

  /**
   * The partition must be the leader, with no command of this link in flight, when a follower
   * starts; or a read-only replica of it, with `submit` sending commands to the leader and
   * resolving only once the replica applied them (see redis-link.ts).
   */
  constructor(
    private readonly partition: EnginePartition,
    private readonly submitCommand: (command: Command, traceparent: string | null) => Promise<readonly EngineEvent[]> = (command, traceparent) =>
      partition.submit(command, traceparent),
  ) {
    this.view = new CoreView(() => partition.core);
    partition.onFrame((frame) => this.deliver(frame));
    // A replica that fell behind the journal's trim jumped to a snapshot: followers start over.
    partition.onReset((seq) => {
      for (const entry of this.followers) {
        entry.afterSeq = seq;
        entry.follower.init(this.view, seq);
      }
    });
  }

  submit(command: Command, traceparent: string | null = null): Promise<readonly EngineEvent[]> {
    return this.submitCommand(command, traceparent);
  }

  follow(follower: EngineFollower): () => void {
    const entry = { follower, afterSeq: this.partition.appliedSeq };
    follower.init(this.view, entry.afterSeq);
    this.followers.add(entry);
    return () => void this.followers.delete(entry);
  }

  private deliver(frame: EventFrame): void {
    for (const entry of this.followers) {
      if (frame.lastSeq <= entry.afterSeq) continue;
      const fresh = frame.firstSeq > entry.afterSeq ? frame : framePart(frame, entry.afterSeq);
      entry.afterSeq = frame.lastSeq;
      entry.follower.frame(fresh, this.view);
    }
  }
}

/** The entries of a frame after a seq (with their traceparents). */
function framePart(frame: EventFrame, afterSeq: number): EventFrame {
  const from = frame.entries.findIndex((e) => e.seq > afterSeq);
  const { traceparents, ...rest } = frame;
  const entries = frame.entries.slice(from);
  return traceparents === undefined ? { ...rest, entries } : { ...rest, entries, traceparents: traceparents.slice(from) };
}
