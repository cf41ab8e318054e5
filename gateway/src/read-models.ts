// The gateway process's read models, kept in step with the engine's durable frames once per
// process: every market (with the recent deltas a WebSocket client resumes from), every account's
// orders and every account's money. The REST API answers from them and the WebSocket server fans
// out what each frame changed in them.

import type { AccountId, MarketId } from '@playchacha/protocol';
import { AccountReadModel } from './account-read-model.js';
import type { EngineLink } from './engine-link.js';
import { MarketReadModel, type MarketDelta } from './market-read-model.js';
import { OrderReadModel } from './order-read-model.js';
import type { OrderUpdate } from './ws-messages.js';

/** What one frame changed in the read models. */
export interface FrameResults {
  readonly deltas: readonly MarketDelta[];
  readonly created: readonly MarketId[];
  /** The order-stream updates per account, in event order. */
  readonly updates: ReadonlyMap<AccountId, OrderUpdate[]>;
}

export interface GatewayReadModelsOptions {
  /** Deltas kept per market for resuming a market stream (default 2048). */
  readonly recentDeltasPerMarket?: number;
  /** The clock of the deltas' publish times. */
  readonly now?: () => number;
}

export class GatewayReadModels {
  readonly markets: MarketReadModel;
  readonly orders = new OrderReadModel();
  readonly accounts = new AccountReadModel();
  private readonly listeners = new Set<(results: FrameResults) => void>();
  private readonly unfollow: () => void;

  constructor(link: EngineLink, options: GatewayReadModelsOptions = {}) {
    this.markets = new MarketReadModel(options.recentDeltasPerMarket ?? 2048, options.now ?? Date.now);
    this.unfollow = link.follow({
      init: (view) => {
        this.markets.init(view);
        this.orders.init(view);
        this.accounts.init(view);
      },
      frame: (frame, view) => {
        const { deltas, touched, created } = this.markets.applyFrame(frame, view);
        const updates = this.orders.applyFrame(frame);
        this.orders.applyQueues(touched, updates);
        this.accounts.applyFrame(frame);
        if (this.listeners.size === 0) return;
        const results: FrameResults = { deltas, created, updates };
        for (const listener of this.listeners) listener(results);
      },
    });
  }

  /** Calls `listener` after every frame the read models took, with what it changed; returns a stop function. */
  onFrame(listener: (results: FrameResults) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  stop(): void {
    this.unfollow();
  }
}
