// The demo catalog: the example fixtures shifted around now (four in play, the rest to come),
// quoted by the demo market maker on every open market, finished with drawn results after their
// length; a second seed while enough fixtures are still to come adds nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoMarketMaker } from '../../../engine/src/io/demo-market.js';
import { AuditLog } from '../accounts/audit-log.js';
import { startRestHarness, type RestHarness } from '../testing/rest-harness.js';
import { CatalogService } from './catalog-service.js';
import { DemoCatalog, seedDemoCatalog } from './demo-catalog.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
let h: RestHarness;
let catalog: CatalogService;
let maker: DemoMarketMaker | null = null;

beforeAll(async () => {
  h = await startRestHarness({ now: () => NOW });
  catalog = new CatalogService(h.pool, h.engine.link, h.readModels.markets, new AuditLog(h.pool), () => NOW);
});
afterAll(async () => {
  maker?.stop();
  await h?.stop();
});

describe('the demo catalog', () => {
  it('seeds fixtures around now, some in play, and quotes every open market', async () => {
    const seeded = await seedDemoCatalog(catalog, NOW);
    expect(seeded).toMatchObject({ eventsCreated: 15, marketsCreated: 77 });
    expect(await seedDemoCatalog(catalog, NOW + 60_000)).toBeNull();
    const inPlay = (await h.app.inject({ method: 'GET', url: '/v1/catalog/events?inPlay=true' })).json() as { events: Array<{ startsAt: string; matchOdds: { inPlay: boolean } }> };
    expect(inPlay.events).toHaveLength(4);
    expect(inPlay.events.every((event) => Date.parse(event.startsAt) <= NOW && event.matchOdds.inPlay)).toBe(true);
    expect(Date.parse(inPlay.events[3]?.startsAt ?? '')).toBe(NOW - 10 * 60_000);

    // The earliest fixture kicked off 160 minutes before now: the first refresh finishes it.
    const demo = new DemoCatalog(catalog);
    await demo.refresh(NOW);
    expect(demo.markets()).toHaveLength(77 - 5);
    maker = new DemoMarketMaker((command) => h.engine.submit(command), { markets: () => demo.markets(), roundsPerRequote: 1 });
    await maker.start(3_600_000, false);
    const listed = (await h.app.inject({ method: 'GET', url: '/v1/catalog/events?limit=100' })).json() as { events: Array<{ matchOdds: { runners: Array<{ back: unknown[]; lay: unknown[] }> } }> };
    expect(listed.events).toHaveLength(14);
    for (const event of listed.events) for (const runner of event.matchOdds.runners) expect([runner.back.length, runner.lay.length]).toEqual([1, 1]);

    const finished = async () => ((await h.app.inject({ method: 'GET', url: '/v1/catalog/events?status=finished' })).json() as { events: Array<{ homeGoals: number; matchOdds: { status: string } }> }).events;
    expect((await finished()).map((event) => event.matchOdds.status)).toEqual(['settled']);
    // The second kicked off 40 minutes before now: 70 minutes later it has a result too.
    await demo.refresh(NOW + 69 * 60_000);
    expect(await finished()).toHaveLength(1);
    await demo.refresh(NOW + 70 * 60_000);
    expect((await finished()).map((event) => event.matchOdds.status)).toEqual(['settled', 'settled']);
    expect(demo.markets()).toHaveLength(77 - 10);
  });
});
