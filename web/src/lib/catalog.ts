// The sports catalog (sports → competitions → events → markets with runner names), when the
// gateway serves it. Every call answers null when the catalog routes do not exist, so pages fall
// back to the engine's markets with runners named by number.

import { api, ApiFailure } from './session.svelte';

export interface CatalogSport {
  readonly sportId?: string;
  readonly key?: string;
  readonly name: string;
  readonly eventCount?: number;
  readonly inPlayCount?: number;
  readonly competitions?: ReadonlyArray<CatalogCompetition & { readonly eventCount?: number }>;
}

export interface CatalogCompetition {
  readonly competitionId: number | string;
  readonly name: string;
  readonly country?: string | null;
}

export interface CatalogMarketRef {
  readonly marketId: number;
  readonly name?: string;
  readonly marketType?: string;
  readonly lifecycle?: string;
  readonly status?: string;
}

export interface CatalogEvent {
  readonly eventId: string | number;
  readonly name: string;
  readonly home?: string;
  readonly away?: string;
  readonly status?: string;
  readonly startsAt?: string;
  readonly startsAtMs?: number;
  readonly inPlay?: boolean;
  readonly homeGoals?: number | null;
  readonly awayGoals?: number | null;
  readonly sport?: CatalogSport | string;
  readonly competition?: CatalogCompetition | string;
  readonly markets?: readonly CatalogMarketRef[];
  readonly marketCount?: number;
  /** The event's match odds market with the top of its book, in event lists. */
  readonly matchOdds?: CatalogMarket | null;
}

export interface CatalogLevel {
  readonly priceTicks: number;
  readonly priceX100: number;
  readonly totalMinor: number;
}

export interface CatalogMarket {
  readonly marketId: number;
  readonly eventId?: number | string;
  readonly name?: string;
  readonly eventName?: string;
  readonly event?: CatalogEvent;
  readonly runners?: ReadonlyArray<{ readonly runnerIndex?: number; readonly name: string; readonly back?: readonly CatalogLevel[]; readonly lay?: readonly CatalogLevel[] }>;
  readonly ladderId?: string;
  readonly status?: string;
  readonly runnerNames?: readonly string[];
  readonly commissionBps?: number;
}

/** A GET on the catalog; null when the route does not exist (404 not_found) or the market is unknown there. */
async function catalogGet<T>(path: string): Promise<T | null> {
  try {
    // The catalog is public: sent without the access token, so a token refresh changes nothing.
    return await api<T>(path, { anonymous: true });
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404) return null;
    throw error;
  }
}

export function sports(): Promise<{ sports?: CatalogSport[] } | CatalogSport[] | null> {
  return catalogGet('/v1/catalog/sports');
}

export function events(query: Record<string, string>): Promise<{ events?: CatalogEvent[] } | CatalogEvent[] | null> {
  const search = new URLSearchParams(query).toString();
  return catalogGet(`/v1/catalog/events${search === '' ? '' : `?${search}`}`);
}

export function event(eventId: string | number): Promise<CatalogEvent | null> {
  return catalogGet(`/v1/catalog/events/${encodeURIComponent(eventId)}`);
}

export function market(marketId: number): Promise<CatalogMarket | null> {
  return catalogGet(`/v1/catalog/markets/${marketId}`);
}

/** Runner names from a catalog market, or "Runner 1…" by index. */
export function runnerNamesOf(market: CatalogMarket | null, runnerCount: number): string[] {
  return Array.from({ length: runnerCount }, (_, index) => {
    const named = market?.runners?.find((runner, position) => (runner.runnerIndex ?? position) === index)?.name ?? market?.runnerNames?.[index];
    return named ?? `Runner ${index + 1}`;
  });
}

export function sportKey(sport: CatalogSport): string {
  return sport.sportId ?? sport.key ?? sport.name;
}

/** When the event starts, in ms since the epoch; null when unknown. */
export function eventStartMs(event: CatalogEvent): number | null {
  if (event.startsAtMs !== undefined) return event.startsAtMs;
  const parsed = event.startsAt === undefined ? Number.NaN : Date.parse(event.startsAt);
  return Number.isNaN(parsed) ? null : parsed;
}

export function isInPlay(event: CatalogEvent): boolean {
  return event.inPlay === true || event.status === 'in_play';
}

export function competitionOf(event: CatalogEvent): { id: string; name: string } | null {
  const competition = event.competition;
  if (competition === undefined) return null;
  if (typeof competition === 'string') return { id: competition, name: competition };
  return { id: String(competition.competitionId), name: competition.name };
}

/** The market an event's row links to: its only market, or its match odds when it has one. */
export function eventMarketId(event: CatalogEvent): number | null {
  if ((event.marketCount ?? event.markets?.length ?? 0) > 1) return null;
  return event.matchOdds?.marketId ?? event.markets?.[0]?.marketId ?? null;
}

export function eventsOf(answer: { events?: CatalogEvent[] } | CatalogEvent[] | null): CatalogEvent[] {
  if (answer === null) return [];
  return Array.isArray(answer) ? answer : (answer.events ?? []);
}
