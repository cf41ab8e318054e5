import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEED_FORMAT_JSON, parseCsvFeed, parseFeed, parseJsonFeed, ukLocalToUtcMs } from './feed.js';

const CSV_HEADER = 'Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HTR,B365H,B365D,B365A';

describe('the football-data CSV layout', () => {
  it('reads fixtures and results, dd/mm/yy and dd/mm/yyyy dates, UK local times', () => {
    const parsed = parseCsvFeed([
      CSV_HEADER,
      'E0,16/08/2025,20:00,Liverpool,Bournemouth,4,2,H,1,0,H,1.3,6,9.5',
      'E0,17/01/26,12:30,Arsenal,Chelsea,,,,,,,2.1,3.4,3.5',
      'SP1,01/03/2026,,Barcelona,Sevilla,1,1,D,0,0,D,1.4,5,7',
    ].join('\n'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const [first, second, third] = parsed.feed.fixtures;
    expect(first).toMatchObject({ key: 'fd:E0:2025-08-16:Liverpool:Bournemouth', home: 'Liverpool', away: 'Bournemouth', competition: { code: 'E0', name: 'Premier League', country: 'England', sportId: 'football' } });
    expect(new Date(first?.startsAtMs ?? 0).toISOString()).toBe('2025-08-16T19:00:00.000Z'); // BST
    expect(new Date(second?.startsAtMs ?? 0).toISOString()).toBe('2026-01-17T12:30:00.000Z'); // GMT
    expect(new Date(third?.startsAtMs ?? 0).toISOString()).toBe('2026-03-01T15:00:00.000Z'); // no time: 15:00
    expect(third?.competition.name).toBe('La Liga');
    expect(parsed.feed.results).toEqual([
      { key: 'fd:E0:2025-08-16:Liverpool:Bournemouth', status: 'finished', homeGoals: 4, awayGoals: 2 },
      { key: 'fd:SP1:2026-03-01:Barcelona:Sevilla', status: 'finished', homeGoals: 1, awayGoals: 1 },
    ]);
  });

  it('reports every bad row with its line and refuses the whole feed', () => {
    const parsed = parseCsvFeed([
      CSV_HEADER,
      'E0,16/08/2025,20:00,Liverpool,Bournemouth,4,2,H,,,,,,',
      'E0,31/02/2025,15:00,Arsenal,Chelsea,,,,,,,,,',
      'E0,16/08/2025,15:00,Arsenal,Arsenal,,,,,,,,,',
      'E0,16/08/2025,15:00,Fulham,Leeds,2,x,H,,,,,,',
      'E0,16/08/2025,15:00,Everton,Wolves,1,0,A,,,,,,',
      'E0,16/08/2025,15:00,Spurs,Burnley,1,,,,,,,,',
    ].join('\n'));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.map((e) => e.row)).toEqual(['line 3', 'line 4', 'line 5', 'line 6', 'line 7']);
    expect(parsed.errors[3]?.message).toMatch(/FTR A does not agree with 1-0/);
  });

  it('converts UK wall-clock time across the clock changes', () => {
    expect(new Date(ukLocalToUtcMs(2026, 3, 29, 15, 0)).toISOString()).toBe('2026-03-29T14:00:00.000Z');
    expect(new Date(ukLocalToUtcMs(2026, 10, 25, 15, 0)).toISOString()).toBe('2026-10-25T15:00:00.000Z');
  });

  it('reads the shipped example archive', () => {
    const parsed = parseFeed(readFileSync(new URL('../../feeds/football-data-example.csv', import.meta.url), 'utf8'));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.feed.fixtures.length).toBeGreaterThan(5);
  });
});

describe('the JSON feed', () => {
  const feed = (more: Record<string, unknown> = {}) => JSON.stringify({
    format: FEED_FORMAT_JSON,
    competitions: [{ code: 'ATP', sport: 'tennis', name: 'ATP Finals' }, { code: 'E0', sport: 'football', name: 'Premier League', country: 'England' }],
    fixtures: [{ key: 'k1', competition: 'E0', home: 'Arsenal', away: 'Chelsea', startsAt: '2026-11-28T15:00:00Z', markets: ['match_odds', 'over_under_1_5'] }],
    results: [{ key: 'k1', status: 'finished', homeGoals: 0, awayGoals: 0 }, { key: 'k0', status: 'postponed' }],
    ...more,
  });

  it('reads competitions, fixtures with their markets, and results', () => {
    const parsed = parseJsonFeed(feed());
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.feed.fixtures[0]).toMatchObject({ key: 'k1', marketTypes: ['match_odds', 'over_under_1_5'], startsAtMs: Date.parse('2026-11-28T15:00:00Z') });
    expect(parsed.feed.results[1]).toEqual({ key: 'k0', status: 'postponed', homeGoals: null, awayGoals: null });
    expect(parsed.feed.sports).toEqual([{ sportId: 'football', name: 'Football' }]);
  });

  it('refuses unknown fields, bad instants, unknown market types and competitions, goals on a postponement', () => {
    const bad = parseJsonFeed(feed({
      fixtures: [
        { key: 'a', competition: 'E0', home: 'A', away: 'B', startsAt: '2026-11-28 15:00', markets: ['match_odds'] },
        { key: 'b', competition: 'XX', home: 'A', away: 'B', startsAt: '2026-11-28T15:00:00Z' },
        { key: 'c', competition: 'E0', home: 'A', away: 'B', startsAt: '2026-11-28T15:00:00Z', markets: ['winner'] },
        { key: 'd', competition: 'E0', home: 'A', away: 'B', startsAt: '2026-11-28T15:00:00Z', odds: 2 },
        { key: 'a', competition: 'E0', home: 'A', away: 'B', startsAt: '2026-11-28T15:00:00Z' },
      ],
      results: [{ key: 'a', status: 'postponed', homeGoals: 1 }, { key: 'b', status: 'finished', homeGoals: 1, awayGoals: 1.5 }],
    }));
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors.map((e) => e.row)).toEqual(['fixtures[0]', 'fixtures[1]', 'fixtures[2]', 'fixtures[3]', 'results[0]', 'results[1]']);
    expect(parseJsonFeed('{"format":"other"}').ok).toBe(false);
    expect(parseJsonFeed('not json').ok).toBe(false);
    const duplicate = parseJsonFeed(feed({ fixtures: [
      { key: 'a', competition: 'E0', home: 'A', away: 'B', startsAt: '2026-11-28T15:00:00Z' },
      { key: 'a', competition: 'E0', home: 'C', away: 'D', startsAt: '2026-11-28T15:00:00Z' },
    ] }));
    expect(duplicate.ok ? [] : duplicate.errors).toEqual([{ row: 'fixtures[1]', message: 'duplicate key a' }]);
  });

  it('reads the shipped example feed', () => {
    const parsed = parseFeed(readFileSync(new URL('../../feeds/example-fixtures.json', import.meta.url), 'utf8'));
    expect(parsed.ok ? null : parsed.errors).toBeNull();
  });
});
