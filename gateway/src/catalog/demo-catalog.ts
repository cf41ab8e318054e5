// The demo catalog of the embedded default: the example feed's fixtures with their start times
// shifted so that a few are in play now and the rest start over the coming days, quoted by the
// demo market maker at fair prices, and given results (drawn from the same model) once they have
// been in play for 110 minutes, so their markets settle. A new round of fixtures is seeded at
// start-up whenever fewer than five demo events are still to start.

import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ladderById } from '@playchacha/protocol';
import type { DemoQuote } from '../../../engine/src/io/demo-market.js';
import { SYSTEM_ACTOR, type CatalogService, type ImportReport } from './catalog-service.js';
import { drawnScore, fairTick, goalMeans, runnerProbabilities } from './fair-prices.js';
import { parseJsonFeed } from './feed.js';
import type { MarketType } from './market-types.js';

export const DEMO_FEED = new URL('../../feeds/example-fixtures.json', import.meta.url);
const DEMO_KEY_PREFIX = 'demo:';
/** Fewer demo events than this still to start: seed a new round. */
const SCHEDULED_MIN = 5;
/** The fixture (by start) that kicked off ten minutes ago; those before it are further in. */
const IN_PLAY_INDEX = 3;
const MATCH_LENGTH_MS = 110 * 60_000;

/** Imports the demo fixtures with times relative to `nowMs`, unless enough are still to come. */
export async function seedDemoCatalog(catalog: CatalogService, nowMs: number): Promise<ImportReport | null> {
  const { rows } = await catalog.store.pool.query<{ count: string }>(`SELECT count(*) FROM catalog_events WHERE feed_key LIKE 'demo:%' AND status = 'scheduled'`);
  if (Number(rows[0]?.count ?? 0) >= SCHEDULED_MIN) return null;
  const parsed = parseJsonFeed(readFileSync(DEMO_FEED, 'utf8'));
  if (!parsed.ok) throw new Error(`the demo feed is invalid: ${parsed.errors.map((e) => `${e.row}: ${e.message}`).join('; ')}`);
  const starts = parsed.feed.fixtures.map((fixture) => fixture.startsAtMs).sort((a, b) => a - b);
  const shiftMs = nowMs - 10 * 60_000 - (starts[Math.min(IN_PLAY_INDEX, starts.length - 1)] ?? nowMs);
  const round = new Date(nowMs).toISOString().slice(0, 16).replace(/[-:]/g, '');
  const fixtures = parsed.feed.fixtures.map((fixture) => ({ ...fixture, key: `${DEMO_KEY_PREFIX}${round}:${fixture.key}`, startsAtMs: fixture.startsAtMs + shiftMs }));
  return catalog.importFeed({ ...parsed.feed, fixtures, results: [] }, { accountId: SYSTEM_ACTOR, reason: 'demo seed' });
}

export class DemoCatalog {
  private quotes: DemoQuote[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly catalog: CatalogService,
    private readonly logger?: Logger,
  ) {}

  /** The markets for the demo market maker: every catalog market open for betting, at fair prices. */
  markets(): readonly DemoQuote[] {
    return this.quotes;
  }

  async start(everyMs = 5_000): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch((error: unknown) => this.logger?.warn({ err: error }, 'demo catalog')), everyMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }

  /** Finishes demo events that have run their length, then reloads the markets to quote. */
  async refresh(nowMs: number = this.catalog.now()): Promise<void> {
    const pool = this.catalog.store.pool;
    const due = await pool.query<{ event_id: string; feed_key: string }>(
      `SELECT event_id, feed_key FROM catalog_events WHERE feed_key LIKE 'demo:%' AND status = 'in_play' AND starts_at <= $1`,
      [new Date(nowMs - MATCH_LENGTH_MS)],
    );
    for (const row of due.rows) {
      const score = drawnScore(row.feed_key);
      await this.catalog.setResult(Number(row.event_id), { status: 'finished', ...score }, { accountId: SYSTEM_ACTOR, reason: 'demo full time' });
    }
    const { rows } = await pool.query<{ market_id: string; market_type: MarketType; ladder_id: string; feed_key: string }>(
      `SELECT m.market_id, m.market_type, m.ladder_id, e.feed_key
         FROM catalog_markets m JOIN catalog_events e ON e.event_id = m.event_id
        WHERE m.lifecycle IN ('open', 'in_play') AND e.status IN ('scheduled', 'in_play')
        ORDER BY e.starts_at, m.market_id`,
    );
    this.quotes = rows.flatMap((row) => {
      const ladder = ladderById(row.ladder_id);
      if (ladder === undefined || ladder.id !== 'standard') return [];
      const probabilities = runnerProbabilities(row.market_type, goalMeans(row.feed_key.replace(/^demo:[^:]*:/, '')));
      return [{ marketId: Number(row.market_id), fairTicks: probabilities.map((p) => fairTick(p, ladder)) }];
    });
  }
}
