// The catalog's scheduler: every `everyMs` it runs one sync pass — markets not yet in the engine
// are created, markets whose event has started turn in-play (with their bet delay; the engine
// lapses LAPSE orders), markets whose event has a result are closed and settled, and those of a
// postponed or abandoned event voided. The clock is injected, so tests call `tick(nowMs)`.

import type { Logger } from 'pino';
import type { CatalogService, SyncReport } from './catalog-service.js';

export interface SchedulerOptions {
  readonly everyMs?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
}

export class CatalogScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly catalog: CatalogService,
    private readonly options: SchedulerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** One pass as of `nowMs`. */
  tick(nowMs: number = this.now()): Promise<SyncReport> {
    const pass = this.catalog.sync(nowMs);
    this.running = pass.catch(() => undefined);
    return pass;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      this.tick().then(
        (report) => {
          if (report.marketsCreated + report.turnedInPlay + report.settled + report.voided + report.failed > 0) this.options.logger?.info({ ...report }, 'catalog sync');
        },
        (error: unknown) => this.options.logger?.warn({ err: error }, 'catalog sync failed'),
      );
    }, this.options.everyMs ?? 1_000);
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
