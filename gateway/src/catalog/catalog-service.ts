// The catalog's operations: import a feed, create and edit events and markets, record results,
// and drive each catalog market's engine market through its life (create, turn in-play at the
// event's start, close and settle on the result, void on a postponement or abandonment).
//
// The catalog is written first and the engine driven after, by `sync`, which is idempotent: each
// engine command is chosen from the market's recorded lifecycle, and the lifecycle is then set
// from the engine's own state (a repeat that the engine refuses as already done, such as a
// CreateMarket answered `market_exists`, still moves the lifecycle on). So a retried creation
// never creates twice, and a sync interrupted half way is finished by the next one. Every engine
// command is audited: by the admin who caused it, or by the system (actor 0) for the scheduler.

import type { Command, DeadHeat, EngineEvent, MarketId } from '@playchacha/protocol';
import { HOUSE_ACCOUNT_ID } from '@playchacha/protocol';
import type { AuditLog } from '../accounts/audit-log.js';
import type { EngineLink } from '../engine-link.js';
import type { MarketReadModel } from '../market-read-model.js';
import { ApiError } from '../rest/errors.js';
import {
  CatalogStore,
  type CatalogEvent,
  type CatalogMarket,
  type EventStatus,
  type MarketLifecycle,
  type MarketParameters,
  type Queryable,
} from './catalog-store.js';
import { KNOWN_SPORTS, type Feed, type FeedCompetition, type FeedRowError, type ResultStatus } from './feed.js';
import { MARKET_TYPE_DEFINITIONS, type MarketType } from './market-types.js';

/** The actor of what the scheduler and feeds do on their own. */
export const SYSTEM_ACTOR = HOUSE_ACCOUNT_ID;
/** A market whose engine command failed is retried by sync no sooner than this. */
const RETRY_AFTER_MS = 30_000;

export class FeedRejectedError extends ApiError {
  constructor(readonly rows: readonly FeedRowError[]) {
    super('feed_invalid', `${rows.length} bad row${rows.length === 1 ? '' : 's'}: ${rows.slice(0, 5).map((row) => `${row.row}: ${row.message}`).join('; ')}`);
  }
}

export interface ImportReport {
  eventsCreated: number;
  eventsRescheduled: number;
  eventsUnchanged: number;
  marketsCreated: number;
  resultsApplied: number;
  resultsUnchanged: number;
}

export interface SyncReport {
  marketsCreated: number;
  turnedInPlay: number;
  settled: number;
  voided: number;
  failed: number;
}

export interface ResultInput {
  readonly status: ResultStatus;
  readonly homeGoals: number | null;
  readonly awayGoals: number | null;
}

export interface NewEventInput {
  readonly key: string;
  readonly sportId: string;
  readonly sportName?: string;
  readonly competition: FeedCompetition;
  readonly home: string;
  readonly away: string;
  readonly startsAtMs: number;
  readonly marketTypes: readonly MarketType[];
  readonly parameters?: Partial<MarketParameters>;
}

export interface Actor {
  readonly accountId: number;
  readonly reason: string;
}

const FINAL_EVENT: ReadonlySet<EventStatus> = new Set(['finished', 'postponed', 'abandoned']);
const FINAL_MARKET: ReadonlySet<MarketLifecycle> = new Set(['settled', 'voided']);

export class CatalogService {
  readonly store: CatalogStore;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly failedAtMs = new Map<MarketId, number>();

  constructor(
    pool: ConstructorParameters<typeof CatalogStore>[0],
    private readonly link: EngineLink,
    private readonly markets: MarketReadModel,
    private readonly audit: AuditLog,
    /** The catalog's clock: event starts are compared with it. */
    readonly now: () => number = Date.now,
    /** A read replica for the public browse queries (the primary by default). */
    readPool: ConstructorParameters<typeof CatalogStore>[0] = pool,
  ) {
    this.store = new CatalogStore(pool, readPool);
  }

  /** Runs catalog changes that drive the engine one at a time (in this process). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ----- Feeds ------------------------------------------------------------------------------------

  /**
   * Imports a parsed feed in one transaction: new fixtures become events with their markets,
   * a known fixture still scheduled takes a changed start time, results are recorded. A result
   * for an unknown event, or one that contradicts a recorded result, refuses the whole feed.
   * Importing the same feed again changes nothing. Then drives the engine (sync).
   */
  importFeed(feed: Feed, actor: Actor): Promise<ImportReport> {
    return this.serial(async () => {
      const report = await importIntoCatalog(this.store, feed);
      await this.audit.record({ actorAccountId: actor.accountId, action: 'ImportFeed', target: 'catalog', reason: actor.reason, details: { ...report }, outcome: 'ok' });
      await this.syncNow(actor);
      return report;
    });
  }

  // ----- Admin edits ------------------------------------------------------------------------------

  /** Creates an event with its markets (a repeat with the same key returns the same event); then creates them in the engine. */
  createEvent(input: NewEventInput, actor: Actor): Promise<{ eventId: number; created: boolean }> {
    return this.serial(async () => {
      const outcome = await this.store.transaction(async (db) => {
        const sportName = input.sportName ?? KNOWN_SPORTS[input.sportId];
        if (sportName === undefined) {
          const known = await db.query(`SELECT 1 FROM catalog_sports WHERE sport_id = $1`, [input.sportId]);
          if (known.rowCount === 0) throw new ApiError('sport_not_found');
        } else await this.store.upsertSport(db, { sportId: input.sportId, name: sportName });
        const competitionId = await this.store.upsertCompetition(db, input.competition);
        const inserted = await this.store.insertEvent(db, { feedKey: input.key, competitionId, home: input.home, away: input.away, startsAtMs: input.startsAtMs });
        const parameters = { ...(await this.store.marketDefaults(db)), ...input.parameters };
        if (inserted.created) for (const type of input.marketTypes) await this.store.insertMarket(db, inserted.eventId, input.home, input.away, type, parameters);
        return inserted;
      });
      await this.audit.record({
        actorAccountId: actor.accountId,
        action: 'CreateEvent',
        target: `event:${outcome.eventId}`,
        reason: actor.reason,
        details: { key: input.key, home: input.home, away: input.away, startsAt: new Date(input.startsAtMs).toISOString(), markets: [...input.marketTypes], created: outcome.created },
        outcome: 'ok',
      });
      await this.syncNow(actor);
      return outcome;
    });
  }

  /** Adds a market of a type the event does not have yet (a repeat returns the existing one). */
  addMarket(eventId: number, marketType: MarketType, parameters: Partial<MarketParameters>, actor: Actor): Promise<{ marketId: number; created: boolean }> {
    return this.serial(async () => {
      const event = await this.store.event(this.store.pool, eventId);
      if (event === null) throw new ApiError('event_not_found');
      if (FINAL_EVENT.has(event.status)) throw new ApiError('event_finished');
      const defaults = await this.store.marketDefaults(this.store.pool);
      const outcome = await this.store.insertMarket(this.store.pool, eventId, event.home, event.away, marketType, { ...defaults, ...parameters });
      await this.audit.record({ actorAccountId: actor.accountId, action: 'AddMarket', target: `market:${outcome.marketId}`, reason: actor.reason, details: { eventId, marketType, ...parameters, created: outcome.created }, outcome: 'ok' });
      await this.syncNow(actor);
      return outcome;
    });
  }

  /** Reschedules (while scheduled) or renames an event; runner names follow the participants. */
  updateEvent(eventId: number, patch: { startsAtMs?: number; home?: string; away?: string }, actor: Actor): Promise<void> {
    return this.serial(async () => {
      await this.store.transaction(async (db) => {
        const locked = await db.query(`SELECT 1 FROM catalog_events WHERE event_id = $1 FOR UPDATE`, [eventId]);
        const event = locked.rowCount === 0 ? null : await this.store.event(db, eventId);
        if (event === null) throw new ApiError('event_not_found');
        if (patch.startsAtMs !== undefined && event.status !== 'scheduled') throw new ApiError('event_started');
        if (FINAL_EVENT.has(event.status)) throw new ApiError('event_finished');
        const home = patch.home ?? event.home;
        const away = patch.away ?? event.away;
        if (home === away) throw new ApiError('invalid_request', 'home and away are the same');
        await this.store.updateEvent(db, eventId, patch);
        if (patch.home !== undefined || patch.away !== undefined) {
          for (const market of await this.store.marketsOfEvents(db, [eventId])) {
            const names = MARKET_TYPE_DEFINITIONS[market.marketType].runners(home, away);
            await db.query(`UPDATE catalog_runners r SET name = t.name FROM unnest($2::text[]) WITH ORDINALITY AS t(name, i) WHERE r.market_id = $1 AND r.runner_index = t.i - 1`, [market.marketId, names]);
          }
        }
      });
      const details: Record<string, unknown> = { ...patch };
      if (patch.startsAtMs !== undefined) details['startsAt'] = new Date(patch.startsAtMs).toISOString();
      delete details['startsAtMs'];
      await this.audit.record({ actorAccountId: actor.accountId, action: 'UpdateEvent', target: `event:${eventId}`, reason: actor.reason, details, outcome: 'ok' });
      await this.syncNow(actor);
    });
  }

  /** Records an event's result (or postponement, abandonment) and settles or voids its markets. */
  setResult(eventId: number, result: ResultInput, actor: Actor): Promise<void> {
    return this.serial(async () => {
      const outcome = await this.store.transaction(async (db) => {
        const locked = await db.query(`SELECT 1 FROM catalog_events WHERE event_id = $1 FOR UPDATE`, [eventId]);
        const event = locked.rowCount === 0 ? null : await this.store.event(db, eventId);
        if (event === null) throw new ApiError('event_not_found');
        const recorded = await recordResult(this.store, db, event, result);
        if (recorded === 'conflict') throw new ApiError('result_conflict', `The event already has a result (${describeResult(event)}); a market's result is corrected with its resettle route.`);
        return recorded;
      });
      await this.audit.record({ actorAccountId: actor.accountId, action: 'SetResult', target: `event:${eventId}`, reason: actor.reason, details: { ...result }, outcome: outcome === 'applied' ? 'ok' : 'unchanged' });
      await this.syncNow(actor);
    });
  }

  /**
   * Changes a market's parameters. The bet delay can change at any time (an in-play market gets
   * SetBetDelay at once); the others are fixed once the engine market exists.
   */
  updateMarket(marketId: number, patch: Partial<MarketParameters>, actor: Actor): Promise<void> {
    return this.serial(async () => {
      const market = await this.store.market(this.store.pool, marketId);
      if (market === null) throw new ApiError('market_not_found');
      if (FINAL_MARKET.has(market.lifecycle)) throw new ApiError('market_finished');
      const fixed = (['ladderId', 'minStakeMinor', 'commissionBps', 'persistenceAllowed'] as const).filter((field) => patch[field] !== undefined && patch[field] !== market[field]);
      if (fixed.length > 0 && market.lifecycle !== 'pending') throw new ApiError('market_definition_fixed', `${fixed.join(', ')} cannot change once the engine market exists`);
      await this.store.updateMarket(this.store.pool, marketId, patch);
      await this.audit.record({ actorAccountId: actor.accountId, action: 'UpdateMarket', target: `market:${marketId}`, reason: actor.reason, details: { ...patch }, outcome: 'ok' });
      if (patch.betDelayMs !== undefined && market.lifecycle === 'in_play' && patch.betDelayMs !== market.betDelayMs) {
        await this.drive(market, { type: 'SetBetDelay', marketId, betDelayMs: patch.betDelayMs }, actor);
      }
    });
  }

  /** Settles one market with explicit winners and dead-heat factors (closing it first). */
  settleMarket(marketId: number, winners: readonly DeadHeat[], actor: Actor): Promise<void> {
    return this.serial(async () => {
      let market = await this.store.market(this.store.pool, marketId);
      if (market === null) throw new ApiError('market_not_found');
      if (FINAL_MARKET.has(market.lifecycle)) throw new ApiError('market_finished');
      if (!validWinners(winners, market.runners.length, market.numberOfWinners)) throw new ApiError('invalid_settlement');
      if (market.lifecycle === 'pending') market = await this.ensureCreated(market, actor);
      if (market.lifecycle === 'open' || market.lifecycle === 'in_play') market = await this.drive(market, { type: 'CloseMarket', marketId }, actor);
      if (market.lifecycle !== 'closed') throw new ApiError('engine_unavailable');
      const rejected = (await this.submitAudited(market, { type: 'SettleMarket', marketId, winners }, actor)).rejected;
      if (rejected !== null && rejected !== 'invalid_transition') throw new ApiError(rejected);
      const lifecycle = this.engineLifecycle(marketId) ?? market.lifecycle;
      await this.store.updateMarket(this.store.pool, marketId, { lifecycle, ...(lifecycle === 'settled' ? { winners } : {}) });
    });
  }

  // ----- Driving the engine -----------------------------------------------------------------------

  /** Moves every unfinished market on by one pass, as of `nowMs` (the scheduler calls this). */
  sync(nowMs: number = this.now()): Promise<SyncReport> {
    return this.serial(() => this.syncPass(nowMs, { accountId: SYSTEM_ACTOR, reason: 'scheduled' }));
  }

  private syncNow(actor: Actor): Promise<SyncReport> {
    return this.syncPass(this.now(), actor);
  }

  private async syncPass(nowMs: number, actor: Actor): Promise<SyncReport> {
    const report: SyncReport = { marketsCreated: 0, turnedInPlay: 0, settled: 0, voided: 0, failed: 0 };
    for (const eventId of await this.store.eventsDueInPlay(nowMs)) {
      await this.store.pool.query(`UPDATE catalog_events SET status = 'in_play', updated_at = now() WHERE event_id = $1 AND status = 'scheduled'`, [eventId]);
    }
    for (const { market: found, event } of await this.store.unfinishedMarkets()) {
      const failedAt = this.failedAtMs.get(found.marketId);
      if (failedAt !== undefined && nowMs - failedAt < RETRY_AFTER_MS && actor.accountId === SYSTEM_ACTOR) continue;
      let market = found;
      const before = market.lifecycle;
      let attempted = false;
      const why = (text: string): Actor => (actor.accountId === SYSTEM_ACTOR ? { accountId: SYSTEM_ACTOR, reason: text } : actor);
      if (market.lifecycle === 'pending') {
        if (FINAL_EVENT.has(event.status)) {
          // Never offered: nobody can have bet, so no engine market is made.
          const settled = event.status === 'finished';
          await this.store.updateMarket(this.store.pool, market.marketId, settled ? { lifecycle: 'settled', winners: winnersOf(market, event) } : { lifecycle: 'voided', voidReason: `event ${event.status}` });
          if (settled) report.settled++;
          else report.voided++;
          continue;
        }
        attempted = true;
        market = await this.ensureCreated(market, why('catalog market'));
        if (market.lifecycle !== 'pending') report.marketsCreated++;
      }
      if (market.lifecycle !== 'pending') {
        if (event.status === 'postponed' || event.status === 'abandoned') {
          attempted = true;
          market = await this.drive(market, { type: 'VoidMarket', marketId: market.marketId, reason: `event ${event.status}` }, why(`event ${event.status}`));
          if (market.lifecycle === 'voided') report.voided++;
        } else if (event.status === 'finished') {
          attempted = true;
          const winners = winnersOf(market, event);
          const reason = `result ${event.homeGoals}-${event.awayGoals}`;
          if (market.lifecycle === 'open' || market.lifecycle === 'in_play') market = await this.drive(market, { type: 'CloseMarket', marketId: market.marketId }, why(reason));
          if (market.lifecycle === 'closed') market = await this.drive(market, { type: 'SettleMarket', marketId: market.marketId, winners }, why(reason), { winners });
          if (market.lifecycle === 'settled') report.settled++;
        } else if (event.startsAtMs <= nowMs && market.lifecycle === 'open') {
          attempted = true;
          market = await this.drive(market, { type: 'TurnInPlay', marketId: market.marketId, betDelayMs: market.betDelayMs }, why('event started'));
          if (market.lifecycle === 'in_play') report.turnedInPlay++;
        }
      }
      if (attempted && market.lifecycle === before) {
        this.failedAtMs.set(market.marketId, nowMs);
        report.failed++;
      } else if (attempted) this.failedAtMs.delete(market.marketId);
    }
    return report;
  }

  private async ensureCreated(market: CatalogMarket, actor: Actor): Promise<CatalogMarket> {
    const command: Command = {
      type: 'CreateMarket',
      marketId: market.marketId,
      runnerCount: market.runners.length,
      ladderId: market.ladderId,
      minStakeMinor: market.minStakeMinor,
      commissionBps: market.commissionBps,
      numberOfWinners: market.numberOfWinners,
      persistenceAllowed: market.persistenceAllowed,
    };
    const { rejected } = await this.submitAudited(market, command, actor);
    const header = this.markets.snapshot(market.marketId)?.header;
    // market_exists: an earlier attempt created it (the id is the catalog's own), unless its shape differs.
    if (rejected === 'market_exists' && header !== undefined && header.runnerCount !== market.runners.length) return market;
    return this.setLifecycle(market, this.engineLifecycle(market.marketId));
  }

  /** Submits an engine command for the market, audits it, and sets the lifecycle from the engine's state. */
  private async drive(market: CatalogMarket, command: Command & { marketId: MarketId }, actor: Actor, extra: { winners?: readonly DeadHeat[] } = {}): Promise<CatalogMarket> {
    const { submitted } = await this.submitAudited(market, command, actor);
    if (!submitted) return market;
    const lifecycle = this.engineLifecycle(market.marketId);
    const updated = await this.setLifecycle(market, lifecycle, lifecycle === 'settled' ? extra : {});
    if (command.type === 'VoidMarket' && updated.lifecycle === 'voided') await this.store.updateMarket(this.store.pool, market.marketId, { voidReason: command.reason });
    return updated;
  }

  private async submitAudited(market: CatalogMarket, command: Command, actor: Actor): Promise<{ submitted: boolean; rejected: EngineRejection | null }> {
    const { type, ...details } = command;
    let events: readonly EngineEvent[];
    try {
      events = await this.link.submit(command);
    } catch {
      await this.audit.record({ actorAccountId: actor.accountId, action: type, target: `market:${market.marketId}`, reason: actor.reason, details, outcome: 'engine_unavailable' });
      return { submitted: false, rejected: null };
    }
    const rejected = events.find((event) => event.type === 'CommandRejected');
    const code = rejected?.type === 'CommandRejected' ? rejected.code : null;
    await this.audit.record({ actorAccountId: actor.accountId, action: type, target: `market:${market.marketId}`, reason: actor.reason, details, outcome: code ?? 'ok' });
    return { submitted: true, rejected: code };
  }

  private async setLifecycle(market: CatalogMarket, lifecycle: MarketLifecycle | null, extra: { winners?: readonly DeadHeat[] } = {}): Promise<CatalogMarket> {
    if (lifecycle === null || lifecycle === market.lifecycle) return market;
    await this.store.updateMarket(this.store.pool, market.marketId, { lifecycle, ...extra });
    return { ...market, lifecycle, ...(extra.winners === undefined ? {} : { winners: extra.winners }) };
  }

  /** The engine market's state as a catalog lifecycle (from the durable read model), or null if it does not exist. */
  engineLifecycle(marketId: MarketId): MarketLifecycle | null {
    const header = this.markets.snapshot(marketId)?.header;
    if (header === undefined) return null;
    switch (header.status) {
      case 'settled':
      case 'voided':
      case 'closed':
        return header.status;
      case 'open':
      case 'suspended':
        return header.inPlay ? 'in_play' : 'open';
    }
  }
}

type EngineRejection = Extract<EngineEvent, { type: 'CommandRejected' }>['code'];

function winnersOf(market: CatalogMarket, event: CatalogEvent): DeadHeat[] {
  if (market.winners !== null) return [...market.winners];
  return MARKET_TYPE_DEFINITIONS[market.marketType].winners({ homeGoals: event.homeGoals ?? 0, awayGoals: event.awayGoals ?? 0 });
}

/**
 * Writes a parsed feed into the catalog in one transaction: new fixtures become events with their
 * markets (engine markets follow at the next sync), a known fixture still scheduled takes a
 * changed start time, results are recorded. A result for an unknown event, or one that
 * contradicts a recorded result, refuses the whole feed. The same feed again changes nothing.
 */
export async function importIntoCatalog(store: CatalogStore, feed: Feed): Promise<ImportReport> {
  const report: ImportReport = { eventsCreated: 0, eventsRescheduled: 0, eventsUnchanged: 0, marketsCreated: 0, resultsApplied: 0, resultsUnchanged: 0 };
  await store.transaction(async (db) => {
    const defaults = await store.marketDefaults(db);
    for (const sport of feed.sports) await store.upsertSport(db, sport);
    const competitionIds = new Map<string, number>();
    for (const fixture of feed.fixtures) {
      const competitionKey = `${fixture.competition.sportId}\u0000${fixture.competition.code}`;
      let competitionId = competitionIds.get(competitionKey);
      if (competitionId === undefined) {
        competitionId = await store.upsertCompetition(db, fixture.competition);
        competitionIds.set(competitionKey, competitionId);
      }
      const { eventId, created } = await store.insertEvent(db, { feedKey: fixture.key, competitionId, home: fixture.home, away: fixture.away, startsAtMs: fixture.startsAtMs });
      if (created) report.eventsCreated++;
      else {
        const existing = await store.eventByKey(db, fixture.key, true);
        if (existing !== null && existing.status === 'scheduled' && existing.startsAtMs !== fixture.startsAtMs) {
          await store.updateEvent(db, eventId, { startsAtMs: fixture.startsAtMs });
          report.eventsRescheduled++;
        } else report.eventsUnchanged++;
      }
      for (const marketType of fixture.marketTypes) {
        if ((await store.insertMarket(db, eventId, fixture.home, fixture.away, marketType, defaults)).created) report.marketsCreated++;
      }
    }
    const errors: FeedRowError[] = [];
    for (const result of feed.results) {
      const event = await store.eventByKey(db, result.key, true);
      if (event === null) {
        errors.push({ row: `result ${result.key}`, message: 'no event with this key' });
        continue;
      }
      const outcome = await recordResult(store, db, event, result);
      if (outcome === 'conflict') errors.push({ row: `result ${result.key}`, message: `contradicts the recorded result (${describeResult(event)})` });
      else if (outcome === 'applied') report.resultsApplied++;
      else report.resultsUnchanged++;
    }
    if (errors.length > 0) throw new FeedRejectedError(errors);
  });
  return report;
}

async function recordResult(store: CatalogStore, db: Queryable, event: CatalogEvent, result: ResultInput): Promise<'applied' | 'unchanged' | 'conflict'> {
  if (event.status === result.status && event.homeGoals === result.homeGoals && event.awayGoals === result.awayGoals) return 'unchanged';
  if (FINAL_EVENT.has(event.status)) return 'conflict';
  await store.updateEvent(db, event.eventId, { status: result.status, homeGoals: result.homeGoals, awayGoals: result.awayGoals });
  return 'applied';
}

/** The engine's rule, checked before the market is closed: factors n/d ≤ 1, summing to exactly 1 with one winner, at most k with k. */
function validWinners(winners: readonly DeadHeat[], runnerCount: number, numberOfWinners: number): boolean {
  const runners = new Set(winners.map((winner) => winner.runnerIndex));
  if (runners.size !== winners.length || winners.some((w) => w.runnerIndex >= runnerCount || w.factorNumerator > w.factorDenominator)) return false;
  // Σ n/d compared exactly over the product of the denominators (small integers, at most 1000 each).
  let numerator = 0n;
  let denominator = 1n;
  for (const { factorNumerator, factorDenominator } of winners) {
    numerator = numerator * BigInt(factorDenominator) + BigInt(factorNumerator) * denominator;
    denominator *= BigInt(factorDenominator);
  }
  return numberOfWinners === 1 ? numerator === denominator : numerator <= BigInt(numberOfWinners) * denominator;
}

function describeResult(event: CatalogEvent): string {
  return event.status === 'finished' ? `finished ${event.homeGoals}-${event.awayGoals}` : event.status;
}
