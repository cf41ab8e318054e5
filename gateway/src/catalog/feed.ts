// Fixture and result feeds: the catalog's JSON format and the CSV layout of public football
// results archives (football-data.co.uk), parsed into fixtures and results. Pure. Every row is
// checked and every bad row reported (with its place in the file); a feed with any bad row is
// refused whole, so nothing is ever half imported. The formats are described in gateway/README.md.

import { parse } from 'csv-parse/sync';
import { DEFAULT_MARKET_TYPES, isMarketType, type MarketType } from './market-types.js';

export const FEED_FORMAT_JSON = 'playchacha.feed.v1';
/** Rows (fixtures plus results) in one feed. */
export const FEED_ROWS_MAX = 5_000;
export const NAME_LENGTH_MAX = 64;
export const FEED_KEY_LENGTH_MAX = 160;
const GOALS_MAX = 99;

export type ResultStatus = 'finished' | 'postponed' | 'abandoned';

export interface FeedSport {
  readonly sportId: string;
  readonly name: string;
}

export interface FeedCompetition {
  readonly sportId: string;
  readonly code: string;
  readonly name: string;
  readonly country: string | null;
}

export interface FeedFixture {
  /** The fixture's identity across imports (a second import of the same key changes nothing). */
  readonly key: string;
  readonly competition: FeedCompetition;
  readonly home: string;
  readonly away: string;
  readonly startsAtMs: number;
  readonly marketTypes: readonly MarketType[];
}

export interface FeedResult {
  readonly key: string;
  readonly status: ResultStatus;
  readonly homeGoals: number | null;
  readonly awayGoals: number | null;
}

export interface Feed {
  readonly sports: readonly FeedSport[];
  readonly fixtures: readonly FeedFixture[];
  readonly results: readonly FeedResult[];
}

export interface FeedRowError {
  /** Where: `fixtures[3]`, `results[0]`, `line 12`, or `feed`. */
  readonly row: string;
  readonly message: string;
}

export type FeedParse = { readonly ok: true; readonly feed: Feed } | { readonly ok: false; readonly errors: readonly FeedRowError[] };

export const KNOWN_SPORTS: Readonly<Record<string, string>> = { football: 'Football', tennis: 'Tennis', basketball: 'Basketball' };

/** football-data.co.uk division codes. */
export const FOOTBALL_DATA_DIVISIONS: Readonly<Record<string, { name: string; country: string }>> = {
  E0: { name: 'Premier League', country: 'England' },
  E1: { name: 'Championship', country: 'England' },
  E2: { name: 'League One', country: 'England' },
  E3: { name: 'League Two', country: 'England' },
  EC: { name: 'National League', country: 'England' },
  SC0: { name: 'Scottish Premiership', country: 'Scotland' },
  SC1: { name: 'Scottish Championship', country: 'Scotland' },
  D1: { name: 'Bundesliga', country: 'Germany' },
  D2: { name: '2. Bundesliga', country: 'Germany' },
  I1: { name: 'Serie A', country: 'Italy' },
  I2: { name: 'Serie B', country: 'Italy' },
  SP1: { name: 'La Liga', country: 'Spain' },
  SP2: { name: 'Segunda División', country: 'Spain' },
  F1: { name: 'Ligue 1', country: 'France' },
  F2: { name: 'Ligue 2', country: 'France' },
  N1: { name: 'Eredivisie', country: 'Netherlands' },
  B1: { name: 'Pro League', country: 'Belgium' },
  P1: { name: 'Primeira Liga', country: 'Portugal' },
  T1: { name: 'Süper Lig', country: 'Turkey' },
  G1: { name: 'Super League', country: 'Greece' },
};

/** JSON when the text starts with `{`, CSV otherwise. */
export function parseFeed(text: string, format?: 'json' | 'csv'): FeedParse {
  const which = format ?? (text.trimStart().startsWith('{') ? 'json' : 'csv');
  return which === 'json' ? parseJsonFeed(text) : parseCsvFeed(text);
}

// ----- Field checks -------------------------------------------------------------------------------

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.trim() === value && value.length >= 1 && value.length <= NAME_LENGTH_MAX && [...value].every((c) => c.charCodeAt(0) >= 0x20);
}

function isGoals(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= GOALS_MAX;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function instantMs(value: unknown): number | null {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownFields(value: Record<string, unknown>, allowed: readonly string[]): string[] {
  return Object.keys(value).filter((key) => !allowed.includes(key));
}

function checkCounts(feed: Feed, errors: FeedRowError[]): void {
  if (feed.fixtures.length + feed.results.length > FEED_ROWS_MAX) errors.push({ row: 'feed', message: `more than ${FEED_ROWS_MAX} rows` });
  const seen = new Set<string>();
  feed.fixtures.forEach((fixture, index) => {
    if (seen.has(fixture.key)) errors.push({ row: `fixtures[${index}]`, message: `duplicate key ${fixture.key}` });
    seen.add(fixture.key);
  });
  const results = new Set<string>();
  feed.results.forEach((result, index) => {
    if (results.has(result.key)) errors.push({ row: `results[${index}]`, message: `duplicate result for ${result.key}` });
    results.add(result.key);
  });
}

// ----- JSON -------------------------------------------------------------------------------------

/**
 * `{ format: "playchacha.feed.v1", sports?: [{id, name}], competitions: [{code, sport, name,
 * country?}], fixtures: [{key, competition, home, away, startsAt, markets?}], results: [{key,
 * status: finished|postponed|abandoned, homeGoals?, awayGoals?}] }`.
 */
export function parseJsonFeed(text: string): FeedParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, errors: [{ row: 'feed', message: `not JSON: ${(error as Error).message}` }] };
  }
  if (!isRecord(value)) return { ok: false, errors: [{ row: 'feed', message: 'not a JSON object' }] };
  const errors: FeedRowError[] = [];
  const extra = unknownFields(value, ['format', 'sports', 'competitions', 'fixtures', 'results']);
  if (extra.length > 0) errors.push({ row: 'feed', message: `unknown field ${extra[0]}` });
  if (value['format'] !== FEED_FORMAT_JSON) errors.push({ row: 'feed', message: `format must be "${FEED_FORMAT_JSON}"` });
  const list = (name: string): unknown[] => {
    const items = value[name];
    if (items === undefined) return [];
    if (!Array.isArray(items)) {
      errors.push({ row: name, message: 'must be an array' });
      return [];
    }
    if (items.length > FEED_ROWS_MAX) {
      errors.push({ row: name, message: `more than ${FEED_ROWS_MAX} rows` });
      return [];
    }
    return items;
  };

  const sports = new Map<string, FeedSport>(Object.entries(KNOWN_SPORTS).map(([sportId, name]) => [sportId, { sportId, name }]));
  list('sports').forEach((item, index) => {
    const row = `sports[${index}]`;
    if (!isRecord(item) || unknownFields(item, ['id', 'name']).length > 0) return errors.push({ row, message: 'must be {id, name}' });
    if (typeof item['id'] !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(item['id'])) return errors.push({ row, message: 'id must be 1–32 of a-z, 0-9, _ and -' });
    if (!isName(item['name'])) return errors.push({ row, message: 'name must be 1–64 characters' });
    sports.set(item['id'], { sportId: item['id'], name: item['name'] });
    return undefined;
  });

  const competitions = new Map<string, FeedCompetition>();
  list('competitions').forEach((item, index) => {
    const row = `competitions[${index}]`;
    if (!isRecord(item)) return errors.push({ row, message: 'must be an object' });
    const extraFields = unknownFields(item, ['code', 'sport', 'name', 'country']);
    if (extraFields.length > 0) return errors.push({ row, message: `unknown field ${extraFields[0]}` });
    const { code, sport, name, country } = item;
    if (!isName(code)) return errors.push({ row, message: 'code must be 1–64 characters' });
    if (typeof sport !== 'string' || !sports.has(sport)) return errors.push({ row, message: `unknown sport ${String(sport)}` });
    if (!isName(name)) return errors.push({ row, message: 'name must be 1–64 characters' });
    if (country !== undefined && !isName(country)) return errors.push({ row, message: 'country must be 1–64 characters' });
    if (competitions.has(code)) return errors.push({ row, message: `duplicate competition ${code}` });
    competitions.set(code, { sportId: sport, code, name, country: country ?? null });
    return undefined;
  });

  const fixtures: FeedFixture[] = [];
  list('fixtures').forEach((item, index) => {
    const row = `fixtures[${index}]`;
    if (!isRecord(item)) return errors.push({ row, message: 'must be an object' });
    const extraFields = unknownFields(item, ['key', 'competition', 'home', 'away', 'startsAt', 'markets']);
    if (extraFields.length > 0) return errors.push({ row, message: `unknown field ${extraFields[0]}` });
    const { key, home, away } = item;
    if (typeof key !== 'string' || key.length < 1 || key.length > FEED_KEY_LENGTH_MAX || !/^[\x20-\x7e]+$/.test(key)) return errors.push({ row, message: `key must be 1–${FEED_KEY_LENGTH_MAX} printable ASCII characters` });
    const competition = typeof item['competition'] === 'string' ? competitions.get(item['competition']) : undefined;
    if (competition === undefined) return errors.push({ row, message: `unknown competition ${String(item['competition'])}` });
    if (!isName(home) || !isName(away)) return errors.push({ row, message: 'home and away must be 1–64 characters' });
    if (home === away) return errors.push({ row, message: 'home and away are the same' });
    const startsAtMs = instantMs(item['startsAt']);
    if (startsAtMs === null) return errors.push({ row, message: 'startsAt must be an ISO 8601 instant with a zone, e.g. 2026-11-28T15:00:00Z' });
    let marketTypes: readonly MarketType[] = DEFAULT_MARKET_TYPES;
    if (item['markets'] !== undefined) {
      const markets = item['markets'];
      if (!Array.isArray(markets) || markets.length === 0 || !markets.every(isMarketType)) return errors.push({ row, message: 'markets must be a non-empty array of market types' });
      if (new Set(markets).size !== markets.length) return errors.push({ row, message: 'markets repeats a market type' });
      marketTypes = markets;
    }
    fixtures.push({ key, competition, home, away, startsAtMs, marketTypes });
    return undefined;
  });

  const results: FeedResult[] = [];
  list('results').forEach((item, index) => {
    const row = `results[${index}]`;
    if (!isRecord(item)) return errors.push({ row, message: 'must be an object' });
    const extraFields = unknownFields(item, ['key', 'status', 'homeGoals', 'awayGoals']);
    if (extraFields.length > 0) return errors.push({ row, message: `unknown field ${extraFields[0]}` });
    const { key, status, homeGoals, awayGoals } = item;
    if (typeof key !== 'string' || key.length < 1 || key.length > FEED_KEY_LENGTH_MAX) return errors.push({ row, message: 'key must be 1–160 characters' });
    if (status === 'finished') {
      if (!isGoals(homeGoals) || !isGoals(awayGoals)) return errors.push({ row, message: 'a finished result needs homeGoals and awayGoals, integers 0–99' });
      results.push({ key, status, homeGoals, awayGoals });
    } else if (status === 'postponed' || status === 'abandoned') {
      if (homeGoals !== undefined || awayGoals !== undefined) return errors.push({ row, message: `a ${status} result has no goals` });
      results.push({ key, status, homeGoals: null, awayGoals: null });
    } else {
      return errors.push({ row, message: 'status must be finished, postponed or abandoned' });
    }
    return undefined;
  });

  const used = new Set(fixtures.map((fixture) => fixture.competition.sportId));
  const feed: Feed = { sports: [...sports.values()].filter((sport) => used.has(sport.sportId)), fixtures, results };
  checkCounts(feed, errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, feed };
}

// ----- CSV --------------------------------------------------------------------------------------

const LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** Europe/London's offset from UTC at the instant `utcMs`. */
function londonOffsetMs(utcMs: number): number {
  const parts = Object.fromEntries(LONDON.formatToParts(new Date(utcMs)).map((part) => [part.type, part.value]));
  const local = Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']), Number(parts['minute']), Number(parts['second']));
  return local - Math.floor(utcMs / 1000) * 1000;
}

/** A UK wall-clock date and time (as the archives publish them) as a UTC instant. */
export function ukLocalToUtcMs(year: number, month: number, day: number, hour: number, minute: number): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - londonOffsetMs(wall);
  return wall - londonOffsetMs(first);
}

const DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/;
const TIME = /^(\d{1,2}):(\d{2})$/;

function csvDateMs(date: string, time: string): number | null {
  const d = DATE.exec(date);
  if (d === null) return null;
  const day = Number(d[1]);
  const month = Number(d[2]);
  const yearText = d[3] as string;
  const year = yearText.length === 4 ? Number(yearText) : Number(yearText) >= 90 ? 1900 + Number(yearText) : 2000 + Number(yearText);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  let hour = 15;
  let minute = 0;
  if (time !== '') {
    const t = TIME.exec(time);
    if (t === null || Number(t[1]) > 23 || Number(t[2]) > 59) return null;
    hour = Number(t[1]);
    minute = Number(t[2]);
  }
  return ukLocalToUtcMs(year, month, day, hour, minute);
}

function pick(row: Record<string, string>, ...names: string[]): string {
  for (const name of names) {
    const value = row[name];
    if (value !== undefined) return value.trim();
  }
  return '';
}

/**
 * The football-data.co.uk layout: a header row, then one match per row with Div, Date (dd/mm/yy
 * or dd/mm/yyyy), Time (HH:MM, UK time; 15:00 when absent), HomeTeam, AwayTeam, FTHG, FTAG, FTR
 * and any other columns (odds, statistics), which are ignored. The "new leagues" layout (Country,
 * League, Home, Away, HG, AG, Res) is read too. A row without goals is a fixture; with goals, a
 * fixture and its full-time result.
 */
export function parseCsvFeed(text: string): FeedParse {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as Record<string, string>[];
  } catch (error) {
    return { ok: false, errors: [{ row: 'feed', message: `not CSV: ${(error as Error).message}` }] };
  }
  const errors: FeedRowError[] = [];
  if (rows.length === 0) errors.push({ row: 'feed', message: 'no rows' });
  if (rows.length > FEED_ROWS_MAX) return { ok: false, errors: [{ row: 'feed', message: `more than ${FEED_ROWS_MAX} rows` }] };
  const fixtures: FeedFixture[] = [];
  const results: FeedResult[] = [];
  rows.forEach((row, index) => {
    const where = `line ${index + 2}`;
    const division = pick(row, 'Div', 'League');
    const country = pick(row, 'Country');
    const home = pick(row, 'HomeTeam', 'Home', 'HT');
    const away = pick(row, 'AwayTeam', 'Away', 'AT');
    if (division === '' && home === '' && away === '') return undefined; // a trailing row of empty cells
    if (!isName(division)) return errors.push({ row: where, message: 'Div is missing' });
    if (!isName(home) || !isName(away)) return errors.push({ row: where, message: 'HomeTeam and AwayTeam must be 1–64 characters' });
    if (home === away) return errors.push({ row: where, message: 'HomeTeam and AwayTeam are the same' });
    const date = pick(row, 'Date');
    const startsAtMs = csvDateMs(date, pick(row, 'Time'));
    if (startsAtMs === null) return errors.push({ row: where, message: `bad Date or Time: ${date} ${pick(row, 'Time')}`.trimEnd() });
    const known = FOOTBALL_DATA_DIVISIONS[division];
    const code = country === '' ? division : `${country}:${division}`;
    const competition: FeedCompetition = {
      sportId: 'football',
      code,
      name: known?.name ?? division,
      country: known?.country ?? (country === '' ? null : country),
    };
    const day = new Date(startsAtMs).toISOString().slice(0, 10);
    const key = `fd:${code}:${day}:${home}:${away}`;
    if (key.length > FEED_KEY_LENGTH_MAX) return errors.push({ row: where, message: 'team names too long' });
    const homeText = pick(row, 'FTHG', 'HG');
    const awayText = pick(row, 'FTAG', 'AG');
    const resultText = pick(row, 'FTR', 'Res');
    fixtures.push({ key, competition, home, away, startsAtMs, marketTypes: DEFAULT_MARKET_TYPES });
    if (homeText === '' && awayText === '') {
      if (resultText !== '') return errors.push({ row: where, message: 'FTR without FTHG and FTAG' });
      return undefined;
    }
    if (!/^\d{1,2}$/.test(homeText) || !/^\d{1,2}$/.test(awayText)) return errors.push({ row: where, message: 'FTHG and FTAG must both be whole numbers 0–99' });
    const homeGoals = Number(homeText);
    const awayGoals = Number(awayText);
    const outcome = homeGoals > awayGoals ? 'H' : homeGoals < awayGoals ? 'A' : 'D';
    if (resultText !== '' && resultText !== outcome) return errors.push({ row: where, message: `FTR ${resultText} does not agree with ${homeGoals}-${awayGoals}` });
    results.push({ key, status: 'finished', homeGoals, awayGoals });
    return undefined;
  });
  const feed: Feed = { sports: fixtures.length > 0 ? [{ sportId: 'football', name: 'Football' }] : [], fixtures, results };
  checkCounts(feed, errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, feed };
}
