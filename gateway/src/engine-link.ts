// The gateway's port to the engine. The WebSocket server, the market-data and order read models
// depend on this interface only: an in-process partition (partition-link.ts), a read-only replica
// of a partition in engine processes elsewhere (redis-link.ts), or replicas of every partition of
// a partitioned engine (partitioned-link.ts) implement it.

import type { Command, EngineEvent, MarketId, RunnerIndex, Side } from '@playchacha/protocol';
import type { AccountView, LevelView, MarketTradedView, MarketView, OrderView } from '@playchacha/engine';
import type { EventFrame } from '../../engine/src/io/frame-codec.js';

export type { EventFrame };

export interface EngineMarketView extends MarketView {
  readonly ladderId: string;
  /** Orders waiting out the bet delay (they reach the book later, when time moves on). */
  readonly delayedOrders: number;
}

/** Read-only state of the engine. Consistent only as described by EngineLink.follow. */
export interface EngineView {
  marketIds(): MarketId[];
  market(marketId: MarketId): EngineMarketView | undefined;
  /** Best price first (lowest back, highest lay); each level's order ids in queue order. */
  bookSide(marketId: MarketId, runnerIndex: RunnerIndex, side: Side): LevelView[];
  /** Each runner's last traded price and matched volume, and the market's total (engine state: they survive restarts). */
  traded(marketId: MarketId): MarketTradedView | undefined;
  /** Every open order, by ascending order id. */
  openOrders(): OrderView[];
  /** Every account's balance, exposure and available balance. */
  accounts(): AccountView[];
}

export interface EngineFollower {
  /**
   * Called synchronously with the state as of `seq` (every command up to it applied): once at the
   * start, and again if the link had to skip frames (a replica that jumped to a snapshot). Over a
   * partitioned engine seq is 0 and frames come from every partition, each in its own seq order.
   */
  init(view: EngineView, seq: number): void;
  /** Called for each durable frame after that seq, in order; `view` is the state right after the frame. */
  frame(frame: EventFrame, view: EngineView): void;
}

export interface EngineLink {
  /**
   * Sends a command; resolves with its events once the engine journaled it (rejects if it could
   * not). A traceparent (of the request's span) travels with the command to the engine and on.
   */
  submit(command: Command, traceparent?: string | null): Promise<readonly EngineEvent[]>;
  /** Follows the engine's durable state: one init, then every frame in order. Returns a stop function. */
  follow(follower: EngineFollower): () => void;
}
