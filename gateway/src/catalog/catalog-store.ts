// The catalog in PostgreSQL (migration 1764300000000_gateway-catalog): sports, competitions,
// events, markets and runners. Writes that belong together take a client inside a transaction;
// reads use the pool.

import type pg from 'pg';
import type { DeadHeat } from '@playchacha/protocol';
import type { FeedCompetition, FeedSport } from './feed.js';
import { MARKET_TYPE_DEFINITIONS, type MarketType } from './market-types.js';
import { currentPlatformConfig } from '../admin/platform-config.js';
import { inTransaction } from '../../../settlement/src/db/database.js';

export const EVENT_STATUSES = ['scheduled', 'in_play', 'finished', 'postponed', 'abandoned'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
export const MARKET_LIFECYCLES = ['pending', 'open', 'in_play', 'closed', 'settled', 'voided'] as const;
export type MarketLifecycle = (typeof MARKET_LIFECYCLES)[number];

export type Queryable = pg.Pool | pg.PoolClient;

export interface CatalogSport {
  readonly sportId: string;
  readonly name: string;
}

export interface CatalogCompetition {
  readonly competitionId: number;
  readonly sportId: string;
  readonly code: string;
  readonly name: string;
  readonly country: string | null;
}

export interface CatalogEvent {
  readonly eventId: number;
  readonly feedKey: string;
  readonly name: string;
  readonly home: string;
  readonly away: string;
  readonly startsAtMs: number;
  readonly status: EventStatus;
  readonly homeGoals: number | null;
  readonly awayGoals: number | null;
  readonly sport: CatalogSport;
  readonly competition: CatalogCompetition;
}

export interface CatalogRunner {
  readonly runnerIndex: number;
  readonly name: string;
}

export interface MarketParameters {
  readonly ladderId: string;
  readonly minStakeMinor: number;
  readonly betDelayMs: number;
  readonly commissionBps: number;
  readonly persistenceAllowed: boolean;
}

export interface CatalogMarket extends MarketParameters {
  readonly marketId: number;
  readonly eventId: number;
  readonly marketType: MarketType;
  readonly name: string;
  readonly numberOfWinners: number;
  readonly lifecycle: MarketLifecycle;
  readonly winners: readonly DeadHeat[] | null;
  readonly voidReason: string | null;
  readonly runners: readonly CatalogRunner[];
}

export const DEFAULT_MARKET_PARAMETERS: MarketParameters = {
  ladderId: 'standard',
  minStakeMinor: 1_00,
  betDelayMs: 5_000,
  commissionBps: 500,
  persistenceAllowed: true,
};

export interface EventFilter {
  readonly sportId?: string;
  readonly competitionId?: number;
  readonly statuses: readonly EventStatus[];
  readonly startsBeforeMs?: number;
  readonly query?: string;
  readonly limit: number;
  readonly offset: number;
}

interface EventRow {
  event_id: string;
  feed_key: string;
  name: string;
  home_name: string;
  away_name: string;
  starts_at: Date;
  status: EventStatus;
  home_goals: number | null;
  away_goals: number | null;
  sport_id: string;
  sport_name: string;
  competition_id: string;
  competition_code: string;
  competition_name: string;
  country: string | null;
}

interface MarketRow {
  market_id: string;
  event_id: string;
  market_type: MarketType;
  name: string;
  number_of_winners: number;
  ladder_id: string;
  min_stake_minor: string;
  bet_delay_ms: number;
  commission_bps: number;
  persistence_allowed: boolean;
  lifecycle: MarketLifecycle;
  winners: DeadHeat[] | null;
  void_reason: string | null;
  runners: CatalogRunner[];
}

const EVENT_SELECT = `
  SELECT e.event_id, e.feed_key, e.name, e.home_name, e.away_name, e.starts_at, e.status, e.home_goals, e.away_goals,
         s.sport_id, s.name AS sport_name, c.competition_id, c.code AS competition_code, c.name AS competition_name, c.country
    FROM catalog_events e
    JOIN catalog_competitions c ON c.competition_id = e.competition_id
    JOIN catalog_sports s ON s.sport_id = c.sport_id`;

const MARKET_SELECT = `
  SELECT m.*, COALESCE((SELECT json_agg(json_build_object('runnerIndex', r.runner_index, 'name', r.name) ORDER BY r.runner_index)
                          FROM catalog_runners r WHERE r.market_id = m.market_id), '[]'::json) AS runners
    FROM catalog_markets m`;

function toEvent(row: EventRow): CatalogEvent {
  return {
    eventId: Number(row.event_id),
    feedKey: row.feed_key,
    name: row.name,
    home: row.home_name,
    away: row.away_name,
    startsAtMs: row.starts_at.getTime(),
    status: row.status,
    homeGoals: row.home_goals,
    awayGoals: row.away_goals,
    sport: { sportId: row.sport_id, name: row.sport_name },
    competition: { competitionId: Number(row.competition_id), sportId: row.sport_id, code: row.competition_code, name: row.competition_name, country: row.country },
  };
}

function toMarket(row: MarketRow): CatalogMarket {
  return {
    marketId: Number(row.market_id),
    eventId: Number(row.event_id),
    marketType: row.market_type,
    name: row.name,
    numberOfWinners: row.number_of_winners,
    ladderId: row.ladder_id,
    minStakeMinor: Number(row.min_stake_minor),
    betDelayMs: row.bet_delay_ms,
    commissionBps: row.commission_bps,
    persistenceAllowed: row.persistence_allowed,
    lifecycle: row.lifecycle,
    winners: row.winners,
    voidReason: row.void_reason,
    runners: row.runners,
  };
}

/** `%` and `_` are literal in a search. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class CatalogStore {
  /**
   * `readPool` (a read replica; the primary by default) serves the public browse queries, which
   * may lag the primary a little; everything that writes, or reads to decide, uses `pool`.
   */
  constructor(
    readonly pool: pg.Pool,
    readonly readPool: pg.Pool = pool,
  ) {}

  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  // ----- Writes -----------------------------------------------------------------------------------

  async upsertSport(db: Queryable, sport: FeedSport): Promise<void> {
    await db.query(`INSERT INTO catalog_sports (sport_id, name) VALUES ($1, $2) ON CONFLICT (sport_id) DO NOTHING`, [sport.sportId, sport.name]);
  }

  /** The competition's id; created if new (an existing one keeps its name). */
  async upsertCompetition(db: Queryable, competition: FeedCompetition): Promise<number> {
    const { rows } = await db.query<{ competition_id: string }>(
      `WITH inserted AS (
         INSERT INTO catalog_competitions (sport_id, code, name, country) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sport_id, code) DO NOTHING RETURNING competition_id)
       SELECT competition_id FROM inserted
       UNION ALL SELECT competition_id FROM catalog_competitions WHERE sport_id = $1 AND code = $2`,
      [competition.sportId, competition.code, competition.name, competition.country],
    );
    return Number(rows[0]?.competition_id);
  }

  /** Inserts the event unless its feed key exists; returns its id and whether it was new. */
  async insertEvent(
    db: Queryable,
    event: { feedKey: string; competitionId: number; home: string; away: string; startsAtMs: number },
  ): Promise<{ eventId: number; created: boolean }> {
    const inserted = await db.query<{ event_id: string }>(
      `INSERT INTO catalog_events (competition_id, feed_key, name, home_name, away_name, starts_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (feed_key) DO NOTHING RETURNING event_id`,
      [event.competitionId, event.feedKey, `${event.home} v ${event.away}`, event.home, event.away, new Date(event.startsAtMs)],
    );
    if (inserted.rows[0] !== undefined) return { eventId: Number(inserted.rows[0].event_id), created: true };
    const existing = await db.query<{ event_id: string }>(`SELECT event_id FROM catalog_events WHERE feed_key = $1`, [event.feedKey]);
    return { eventId: Number(existing.rows[0]?.event_id), created: false };
  }

  async updateEvent(db: Queryable, eventId: number, fields: { startsAtMs?: number; status?: EventStatus; homeGoals?: number | null; awayGoals?: number | null; home?: string; away?: string }): Promise<void> {
    const sets: string[] = [];
    const values: unknown[] = [];
    if (fields.startsAtMs !== undefined) sets.push(`starts_at = $${values.push(new Date(fields.startsAtMs))}`);
    if (fields.status !== undefined) sets.push(`status = $${values.push(fields.status)}`);
    if (fields.homeGoals !== undefined) sets.push(`home_goals = $${values.push(fields.homeGoals)}`);
    if (fields.awayGoals !== undefined) sets.push(`away_goals = $${values.push(fields.awayGoals)}`);
    if (fields.home !== undefined) sets.push(`home_name = $${values.push(fields.home)}`);
    if (fields.away !== undefined) sets.push(`away_name = $${values.push(fields.away)}`);
    if (fields.status === 'finished' || fields.status === 'postponed' || fields.status === 'abandoned') sets.push('result_at = now()');
    if (sets.length === 0) return;
    await db.query(`UPDATE catalog_events SET ${sets.join(', ')}, updated_at = now() WHERE event_id = $${values.push(eventId)}`, values);
    if (fields.home !== undefined || fields.away !== undefined) {
      await db.query(`UPDATE catalog_events SET name = home_name || ' v ' || away_name WHERE event_id = $1`, [eventId]);
    }
  }

  /** The parameters of a new market: the defaults, with the platform configuration's commission. */
  async marketDefaults(db: Queryable): Promise<MarketParameters> {
    return { ...DEFAULT_MARKET_PARAMETERS, commissionBps: (await currentPlatformConfig(db)).defaultCommissionBps };
  }

  /**
   * Inserts the event's market of this type unless it exists (its engine market id from the
   * catalog's sequence), with its runners; returns the market id and whether it was new.
   */
  async insertMarket(db: Queryable, eventId: number, home: string, away: string, marketType: MarketType, parameters: MarketParameters): Promise<{ marketId: number; created: boolean }> {
    const definition = MARKET_TYPE_DEFINITIONS[marketType];
    const inserted = await db.query<{ market_id: string }>(
      `INSERT INTO catalog_markets (market_id, event_id, market_type, name, number_of_winners, ladder_id, min_stake_minor, bet_delay_ms, commission_bps, persistence_allowed)
       VALUES (nextval('catalog_market_ids'), $1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (event_id, market_type) DO NOTHING RETURNING market_id`,
      [eventId, marketType, definition.name, definition.numberOfWinners, parameters.ladderId, parameters.minStakeMinor, parameters.betDelayMs, parameters.commissionBps, parameters.persistenceAllowed],
    );
    const row = inserted.rows[0];
    if (row === undefined) {
      const existing = await db.query<{ market_id: string }>(`SELECT market_id FROM catalog_markets WHERE event_id = $1 AND market_type = $2`, [eventId, marketType]);
      return { marketId: Number(existing.rows[0]?.market_id), created: false };
    }
    const marketId = Number(row.market_id);
    const names = definition.runners(home, away);
    await db.query(
      `INSERT INTO catalog_runners (market_id, runner_index, name) SELECT $1, i - 1, name FROM unnest($2::text[]) WITH ORDINALITY AS t(name, i)`,
      [marketId, names],
    );
    return { marketId, created: true };
  }

  async updateMarket(db: Queryable, marketId: number, fields: Partial<MarketParameters> & { lifecycle?: MarketLifecycle; winners?: readonly DeadHeat[]; voidReason?: string }): Promise<void> {
    const columns: Array<[string, unknown]> = [];
    if (fields.ladderId !== undefined) columns.push(['ladder_id', fields.ladderId]);
    if (fields.minStakeMinor !== undefined) columns.push(['min_stake_minor', fields.minStakeMinor]);
    if (fields.betDelayMs !== undefined) columns.push(['bet_delay_ms', fields.betDelayMs]);
    if (fields.commissionBps !== undefined) columns.push(['commission_bps', fields.commissionBps]);
    if (fields.persistenceAllowed !== undefined) columns.push(['persistence_allowed', fields.persistenceAllowed]);
    if (fields.lifecycle !== undefined) columns.push(['lifecycle', fields.lifecycle]);
    if (fields.winners !== undefined) columns.push(['winners', JSON.stringify(fields.winners)]);
    if (fields.voidReason !== undefined) columns.push(['void_reason', fields.voidReason]);
    if (columns.length === 0) return;
    const values = columns.map(([, value]) => value);
    const sets = columns.map(([column], index) => `${column} = $${index + 1}`);
    await db.query(`UPDATE catalog_markets SET ${sets.join(', ')}, updated_at = now() WHERE market_id = $${values.length + 1}`, [...values, marketId]);
  }

  // ----- Reads ------------------------------------------------------------------------------------

  async event(db: Queryable, eventId: number): Promise<CatalogEvent | null> {
    const { rows } = await db.query<EventRow>(`${EVENT_SELECT} WHERE e.event_id = $1`, [eventId]);
    return rows[0] === undefined ? null : toEvent(rows[0]);
  }

  async eventByKey(db: Queryable, feedKey: string, lock = false): Promise<CatalogEvent | null> {
    const { rows } = await db.query<EventRow>(`${EVENT_SELECT} WHERE e.feed_key = $1${lock ? ' FOR UPDATE OF e' : ''}`, [feedKey]);
    return rows[0] === undefined ? null : toEvent(rows[0]);
  }

  async events(filter: EventFilter): Promise<{ events: CatalogEvent[]; total: number }> {
    const where: string[] = [];
    const values: unknown[] = [];
    where.push(`e.status = ANY($${values.push(filter.statuses)}::text[])`);
    if (filter.sportId !== undefined) where.push(`s.sport_id = $${values.push(filter.sportId)}`);
    if (filter.competitionId !== undefined) where.push(`c.competition_id = $${values.push(filter.competitionId)}`);
    if (filter.startsBeforeMs !== undefined) where.push(`e.starts_at <= $${values.push(new Date(filter.startsBeforeMs))}`);
    if (filter.query !== undefined) {
      const pattern = `$${values.push(likePattern(filter.query))}`;
      where.push(`(e.name ILIKE ${pattern} OR e.home_name ILIKE ${pattern} OR e.away_name ILIKE ${pattern} OR c.name ILIKE ${pattern})`);
    }
    const conditions = `WHERE ${where.join(' AND ')}`;
    const total = await this.readPool.query<{ count: string }>(
      `SELECT count(*) FROM catalog_events e JOIN catalog_competitions c ON c.competition_id = e.competition_id JOIN catalog_sports s ON s.sport_id = c.sport_id ${conditions}`,
      values,
    );
    const limit = `$${values.push(filter.limit)}`;
    const offset = `$${values.push(filter.offset)}`;
    const { rows } = await this.readPool.query<EventRow>(`${EVENT_SELECT} ${conditions} ORDER BY e.starts_at, e.event_id LIMIT ${limit} OFFSET ${offset}`, values);
    return { events: rows.map(toEvent), total: Number(total.rows[0]?.count ?? 0) };
  }

  async marketsOfEvents(db: Queryable, eventIds: readonly number[]): Promise<CatalogMarket[]> {
    if (eventIds.length === 0) return [];
    const { rows } = await db.query<MarketRow>(`${MARKET_SELECT} WHERE m.event_id = ANY($1::bigint[]) ORDER BY m.event_id, m.market_id`, [eventIds]);
    return rows.map(toMarket);
  }

  async market(db: Queryable, marketId: number, lock = false): Promise<CatalogMarket | null> {
    const { rows } = await db.query<MarketRow>(`${MARKET_SELECT} WHERE m.market_id = $1${lock ? ' FOR UPDATE OF m' : ''}`, [marketId]);
    return rows[0] === undefined ? null : toMarket(rows[0]);
  }

  /** Markets not yet settled or voided, with their events, oldest event first. */
  async unfinishedMarkets(): Promise<Array<{ market: CatalogMarket; event: CatalogEvent }>> {
    const { rows } = await this.pool.query<MarketRow & { event: EventRow }>(
      `${MARKET_SELECT} WHERE m.lifecycle NOT IN ('settled', 'voided') ORDER BY m.event_id, m.market_id`,
    );
    const eventIds = [...new Set(rows.map((row) => Number(row.event_id)))];
    const events = eventIds.length === 0 ? [] : (await this.pool.query<EventRow>(`${EVENT_SELECT} WHERE e.event_id = ANY($1::bigint[])`, [eventIds])).rows.map(toEvent);
    const byId = new Map(events.map((event) => [event.eventId, event]));
    return rows.flatMap((row) => {
      const event = byId.get(Number(row.event_id));
      return event === undefined ? [] : [{ market: toMarket(row), event }];
    });
  }

  /** Scheduled events whose start has passed. */
  async eventsDueInPlay(nowMs: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ event_id: string }>(`SELECT event_id FROM catalog_events WHERE status = 'scheduled' AND starts_at <= $1`, [new Date(nowMs)]);
    return rows.map((row) => Number(row.event_id));
  }

  /** Sports with their competitions and counts of events open for betting (scheduled or in play). */
  async sports(): Promise<Array<CatalogSport & { eventCount: number; inPlayCount: number; competitions: Array<CatalogCompetition & { eventCount: number; inPlayCount: number }> }>> {
    const { rows } = await this.readPool.query<{
      sport_id: string; sport_name: string; competition_id: string; code: string; name: string; country: string | null; event_count: string; in_play_count: string;
    }>(
      `SELECT s.sport_id, s.name AS sport_name, c.competition_id, c.code, c.name, c.country,
              count(e.event_id) FILTER (WHERE e.status IN ('scheduled', 'in_play')) AS event_count,
              count(e.event_id) FILTER (WHERE e.status = 'in_play') AS in_play_count
         FROM catalog_sports s
         JOIN catalog_competitions c ON c.sport_id = s.sport_id
         LEFT JOIN catalog_events e ON e.competition_id = c.competition_id
        GROUP BY s.sport_id, s.name, c.competition_id
        ORDER BY s.name, c.name`,
    );
    const sports = new Map<string, CatalogSport & { eventCount: number; inPlayCount: number; competitions: Array<CatalogCompetition & { eventCount: number; inPlayCount: number }> }>();
    for (const row of rows) {
      let sport = sports.get(row.sport_id);
      if (sport === undefined) {
        sport = { sportId: row.sport_id, name: row.sport_name, eventCount: 0, inPlayCount: 0, competitions: [] };
        sports.set(row.sport_id, sport);
      }
      const eventCount = Number(row.event_count);
      const inPlayCount = Number(row.in_play_count);
      sport.eventCount += eventCount;
      sport.inPlayCount += inPlayCount;
      sport.competitions.push({ competitionId: Number(row.competition_id), sportId: row.sport_id, code: row.code, name: row.name, country: row.country, eventCount, inPlayCount });
    }
    return [...sports.values()];
  }
}
