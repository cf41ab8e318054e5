// The read models the REST API answers from, kept in step with the engine's durable frames.

import { AccountReadModel } from '../account-read-model.js';
import type { EngineLink } from '../engine-link.js';
import { MarketReadModel } from '../market-read-model.js';
import { OrderReadModel } from '../order-read-model.js';

export class RestReadModels {
  readonly markets = new MarketReadModel(16);
  readonly orders = new OrderReadModel();
  readonly accounts = new AccountReadModel();
  private readonly unfollow: () => void;

  constructor(link: EngineLink) {
    this.unfollow = link.follow({
      init: (view) => {
        this.markets.init(view);
        this.orders.init(view);
        this.accounts.init(view);
      },
      frame: (frame, view) => {
        const { touched } = this.markets.applyFrame(frame, view);
        this.orders.applyQueues(touched, this.orders.applyFrame(frame));
        this.accounts.applyFrame(frame);
      },
    });
  }

  stop(): void {
    this.unfollow();
  }
}
