// The web app end to end, in a real browser against the real stack: the gateway process (REST,
// WebSocket and the engine partition in process, on its embedded defaults with a temp DATA_DIR) and
// the built web server in front of it, driven by headless Chromium through playwright-core; and a
// local OpenID Connect provider the gateway logs in through. Screenshots of the main pages go to
// test-artifacts/web/.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { liabilityMinor, STANDARD_LADDER, tickOfDecimalOdds, priceX100OfTick } from '@playchacha/protocol';
import { startOidcTestProvider, type OidcTestProvider } from '../../scripts/oidc-test-provider.js';
import { formatMinor, formatMinorCompact, parseAmountMinor } from './lib/money';
import { commissionMinor } from './lib/pnl';
import { accessTokenOf, artifacts, deposit as depositIn, PASSWORD, register as registerIn, startBrowserStack, WAIT, type BrowserStack } from './testing/browser-stack';

const ADMIN_EMAIL = 'admin@web.test';

let stack: BrowserStack;
let webUrl = '';
let oidcProvider: OidcTestProvider | undefined;

beforeAll(async () => {
  stack = await startBrowserStack({
    adminEmails: [ADMIN_EMAIL],
    gatewayLogName: 'gateway.log',
    webEnv: { OIDC_LOGIN: '1' },
    beforeGateway: async (url) => {
      oidcProvider = await startOidcTestProvider(`${url}/session/oidc/callback`);
      return {
        OIDC_ISSUER: oidcProvider.issuer,
        OIDC_CLIENT_ID: oidcProvider.clientId,
        OIDC_CLIENT_SECRET: oidcProvider.clientSecret,
        OIDC_REDIRECT_URI: `${url}/session/oidc/callback`,
      };
    },
  });
  webUrl = stack.webUrl;
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await oidcProvider?.stop();
}, 60_000);

const newPage = (options: { phone?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> => stack.newPage(options);
const register = (page: Page, email: string): Promise<void> => registerIn(stack, page, email);
const deposit = (page: Page, amountText: string): Promise<void> => depositIn(stack, page, amountText);

const text = (page: Page, testId: string) => () => page.getByTestId(testId).first().textContent();

describe('the exchange in a browser', () => {
  const depositMinor = 100_00;
  const stakeMinor = 10_00;
  const oddsTicks = tickOfDecimalOdds(STANDARD_LADDER, '2');
  const priceX100 = priceX100OfTick(STANDARD_LADDER, oddsTicks);
  const commissionBps = 500;
  const marketId = 7;
  const closeReason = `closing market ${marketId} to settle it`;
  const settleReason = `runner 1 won market ${marketId}`;
  let admin: Page;
  let backer: Page;
  let layer: Page;

  it('lets an admin create a market, two bettors back and lay it, both see the match live, and settles it with commission', async () => {
    admin = (await newPage()).page;
    await register(admin, ADMIN_EMAIL);
    await admin.goto(`${webUrl}/admin`);
    await admin.getByTestId('admin-markets').waitFor(WAIT);
    await admin.fill('[data-testid=new-market-id]', String(marketId));
    await admin.fill('[data-testid=new-market-runners]', '2');
    await admin.fill('[data-testid=new-market-commission]', String(commissionBps));
    await admin.getByTestId('create-market').click();
    await admin.getByTestId(`admin-market-${marketId}`).waitFor(WAIT);
    await expect.poll(() => admin.getByTestId(`admin-market-${marketId}`).getByTestId('admin-status').textContent(), WAIT).toBe('open');

    backer = (await newPage()).page;
    layer = (await newPage()).page;
    await register(backer, 'backer@web.test');
    await register(layer, 'layer@web.test');
    await deposit(backer, formatMinor(depositMinor));
    await deposit(layer, formatMinor(depositMinor));
    await expect.poll(text(backer, 'available'), WAIT).toBe(formatMinor(depositMinor));
    await backer.screenshot({ path: join(artifacts, 'wallet.png'), fullPage: true });
    await backer.goto(`${webUrl}/`);
    await backer.getByTestId('sports').or(backer.getByTestId('market-list')).first().waitFor(WAIT);
    await backer.getByText(/^Nothing in play right now\.$/).or(backer.getByTestId('in-play')).or(backer.getByTestId('market-list')).first().waitFor(WAIT);
    await backer.screenshot({ path: join(artifacts, 'home.png'), fullPage: true });

    // The backer starts a back bet from the empty book and steps the odds along the ladder.
    await backer.goto(`${webUrl}/markets/${marketId}`);
    await backer.getByTestId('market-book').waitFor(WAIT);
    await backer.getByTestId('cell-0-back-0').click();
    await backer.fill('[data-testid=slip-odds]', '1.99');
    await backer.getByTestId('odds-up').click();
    await expect.poll(() => backer.inputValue('[data-testid=slip-odds]')).toBe('2');
    await backer.getByTestId('odds-up').click();
    await expect.poll(() => backer.inputValue('[data-testid=slip-odds]')).toBe('2.02');
    await backer.getByTestId('odds-down').click();
    await expect.poll(() => backer.inputValue('[data-testid=slip-odds]')).toBe('2');
    await backer.fill('[data-testid=slip-stake]', formatMinor(stakeMinor));
    const profitMinor = liabilityMinor(stakeMinor, priceX100);
    await expect.poll(text(backer, 'slip-profit')).toBe(formatMinor(profitMinor));
    await expect.poll(text(backer, 'slip-liability')).toBe(formatMinor(stakeMinor));
    await backer.getByTestId('slip-place').click();
    await backer.getByTestId('slip-confirm-step').waitFor(WAIT);
    await backer.screenshot({ path: join(artifacts, 'bet-slip-confirm.png') });
    await backer.getByTestId('slip-confirm').click();
    await expect.poll(text(backer, 'slip-result'), WAIT).toContain('unmatched');
    await backer.getByTestId('unmatched-bets').waitFor(WAIT);

    // The layer sees the backer's offer live and takes it from the Lay column.
    await layer.goto(`${webUrl}/markets/${marketId}`);
    await expect.poll(text(layer, 'cell-0-lay-0'), WAIT).toBe(`2${formatMinor(stakeMinor).replace(/\.00$/, '')}`);
    await layer.getByTestId('cell-0-lay-0').click();
    await expect.poll(() => layer.inputValue('[data-testid=slip-odds]')).toBe('2');
    await layer.fill('[data-testid=slip-stake]', formatMinor(stakeMinor));
    await expect.poll(text(layer, 'slip-liability')).toBe(formatMinor(liabilityMinor(stakeMinor, priceX100)));
    await expect.poll(text(layer, 'slip-profit')).toBe(formatMinor(stakeMinor));
    await layer.getByTestId('slip-place').click();
    await layer.getByTestId('slip-confirm').click();
    await expect.poll(text(layer, 'slip-result'), WAIT).toBe(`Matched ${formatMinor(stakeMinor)}.`);

    // Both see the bet matched without reloading: the backer's order moved to matched, the offer
    // left the book, and each sees its result for each outcome.
    await backer.getByTestId('matched-bets').waitFor(WAIT);
    await expect.poll(() => backer.getByTestId('no-unmatched').count(), WAIT).toBe(1);
    await expect.poll(text(backer, 'cell-0-lay-0'), WAIT).toBe('—lay');
    await expect.poll(() => backer.getByTestId('pnl-0').getByTestId('pnl-amount').textContent(), WAIT).toBe(`+${formatMinor(profitMinor)}`);
    await expect.poll(() => backer.getByTestId('pnl-1').getByTestId('pnl-amount').textContent(), WAIT).toBe(`−${formatMinor(stakeMinor)}`);
    await expect.poll(() => layer.getByTestId('pnl-0').getByTestId('pnl-amount').textContent(), WAIT).toBe(`−${formatMinor(profitMinor)}`);
    await expect.poll(() => layer.getByTestId('pnl-1').getByTestId('pnl-amount').textContent(), WAIT).toBe(`+${formatMinor(stakeMinor)}`);
    // The market data shows what traded: the last price and the volume on runner 0, and the total.
    for (const page of [backer, layer]) {
      await expect.poll(text(page, 'ltp-0'), WAIT).toBe('Last 2');
      await expect.poll(text(page, 'matched-0'), WAIT).toBe(`${formatMinor(stakeMinor)} matched`);
      await expect.poll(text(page, 'ltp-1'), WAIT).toBe('No trades yet');
      await expect.poll(text(page, 'market-matched'), WAIT).toBe(`${formatMinor(stakeMinor)} matched`);
    }
    await backer.screenshot({ path: join(artifacts, 'market-matched.png'), fullPage: true });

    await backer.goto(`${webUrl}/bets`);
    await backer.getByTestId(`bets-market-${marketId}`).getByTestId('matched-bets').waitFor(WAIT);
    await backer.screenshot({ path: join(artifacts, 'my-bets.png'), fullPage: true });

    // The admin's markets by liability come largest first; the market's drill-down shows its
    // liability per outcome and the two accounts at risk.
    await admin.goto(`${webUrl}/admin`);
    const heldCells = admin.getByTestId('risk-markets').locator('tbody tr td:nth-child(3)');
    await expect.poll(() => heldCells.count(), WAIT).toBeGreaterThan(0);
    const heldMinor = (await heldCells.allTextContents()).map((cell) => {
      const parsed = parseAmountMinor(cell, Number.MAX_SAFE_INTEGER);
      if (!parsed.ok) throw new Error(`not an amount: ${cell}`);
      return parsed.amountMinor;
    });
    expect(heldMinor).toEqual([...heldMinor].sort((a, b) => b - a));
    await admin.getByTestId(`admin-market-${marketId}`).getByRole('link', { name: 'risk' }).click();
    await admin.waitForURL(`**/admin/markets/${marketId}`, WAIT);
    await expect.poll(() => admin.getByTestId('risk-outcomes').locator('tbody tr').count(), WAIT).toBe(2);
    const topAccounts = admin.locator('table', { has: admin.getByText('Of which matched') });
    const accountsAtRisk = async (): Promise<string[]> => (await topAccounts.locator('tbody tr .muted').allTextContents()).sort();
    await expect.poll(accountsAtRisk, WAIT).toEqual(['backer@web.test', 'layer@web.test']);
    await admin.screenshot({ path: join(artifacts, 'admin-market-risk.png'), fullPage: true });

    // The admin suspends the market, with a reason: the bettor's page says so and takes no bet; then resumes it.
    await admin.goto(`${webUrl}/admin`);
    const row = admin.getByTestId(`admin-market-${marketId}`);
    await backer.goto(`${webUrl}/markets/${marketId}`);
    await expect.poll(text(backer, 'market-status'), WAIT).toBe('open');
    await row.getByTestId('admin-suspend').click();
    await admin.fill('[data-testid=admin-reason]', `market ${marketId} under review`);
    await admin.getByTestId('admin-confirm-button').click();
    await expect.poll(() => row.getByTestId('admin-status').textContent(), WAIT).toBe('suspended');
    await expect.poll(text(backer, 'market-status'), WAIT).toBe('suspended');
    await backer.getByTestId('cell-0-back-0').click();
    await expect.poll(text(backer, 'slip-market-state'), WAIT).toBe('The market is suspended: bets are not accepted right now.');
    await row.getByTestId('admin-resume').click();
    await admin.fill('[data-testid=admin-reason]', `market ${marketId} review done`);
    await admin.getByTestId('admin-confirm-button').click();
    await expect.poll(() => row.getByTestId('admin-status').textContent(), WAIT).toBe('open');
    await expect.poll(text(backer, 'market-status'), WAIT).toBe('open');

    // The admin turns the market in play with a bet delay: the bettors' pages show it live.
    await row.getByTestId('admin-in-play').click();
    await admin.fill('#delay', '3');
    await admin.fill('[data-testid=admin-reason]', `market ${marketId} kicked off`);
    await admin.getByTestId('admin-confirm-button').click();
    await expect.poll(() => row.getByTestId('admin-status').textContent(), WAIT).toBe('open');
    await backer.goto(`${webUrl}/markets/${marketId}`);
    await backer.getByTestId('market-book').waitFor(WAIT);
    await expect.poll(text(layer, 'in-play'), WAIT).toBe('In play');
    await expect.poll(text(layer, 'bet-delay'), WAIT).toBe('3s delay');
    await expect.poll(text(backer, 'bet-delay'), WAIT).toBe('3s delay');
    await row.getByTestId('admin-bet-delay').click();
    await admin.fill('#delay', '1');
    await admin.fill('[data-testid=admin-reason]', `market ${marketId}: shorter delay`);
    await admin.getByTestId('admin-confirm-button').click();
    await expect.poll(text(backer, 'bet-delay'), WAIT).toBe('1s delay');

    // Then closes and settles it: runner 0 won.
    await row.getByTestId('admin-close').click();
    await expect.poll(() => admin.getByTestId('admin-confirm-button').isDisabled()).toBe(true);
    await admin.fill('[data-testid=admin-reason]', closeReason);
    await admin.getByTestId('admin-confirm-button').click();
    await expect.poll(() => row.getByTestId('admin-status').textContent(), WAIT).toBe('closed');
    await row.getByTestId('admin-settle').click();
    await admin.getByTestId('admin-winner-0').check();
    await admin.fill('[data-testid=admin-reason]', settleReason);
    await admin.screenshot({ path: join(artifacts, 'admin-settle.png'), fullPage: true });
    await admin.getByTestId('admin-confirm-button').click();
    await expect.poll(() => row.getByTestId('admin-status').textContent(), WAIT).toBe('settled');

    const backerResultMinor = profitMinor;
    const backerExpectedMinor = depositMinor + backerResultMinor - commissionMinor(backerResultMinor, commissionBps);
    const layerExpectedMinor = depositMinor - profitMinor;
    for (const [page, expectedMinor] of [[backer, backerExpectedMinor], [layer, layerExpectedMinor]] as const) {
      await page.goto(`${webUrl}/wallet`);
      await expect.poll(text(page, 'balance'), WAIT).toBe(formatMinor(expectedMinor));
      await expect.poll(text(page, 'exposure'), WAIT).toBe(formatMinor(0));
      await expect.poll(text(page, 'available'), WAIT).toBe(formatMinor(expectedMinor));
    }
    // The wallet history comes from the ledger the settlement worker keeps: the settlement is there.
    const settledRow = backer.locator('[data-testid=history-row][data-kind=settlement]');
    let seen = '';
    await expect.poll(async () => {
      await backer.getByRole('button', { name: 'Refresh' }).click();
      seen = (await backer.locator('section.history').textContent()) ?? '';
      return settledRow.count();
    }, WAIT).toBe(1).catch((error: unknown) => {
      throw new Error(`no settlement in the wallet history; it showed: ${seen}`, { cause: error });
    });
    expect(await settledRow.getByTestId('history-available').textContent()).toBe(`+${formatMinor(backerExpectedMinor - depositMinor + stakeMinor)}`);
    await backer.screenshot({ path: join(artifacts, 'wallet-settled.png'), fullPage: true });

    // My bets lists the settled market with its result, gross, commission and net, from the ledger.
    const backerCommissionMinor = commissionMinor(backerResultMinor, commissionBps);
    for (const [page, grossMinor, chargedMinor] of [[backer, backerResultMinor, backerCommissionMinor], [layer, -profitMinor, 0]] as const) {
      await page.goto(`${webUrl}/bets`);
      const settled = page.getByTestId(`settled-${marketId}`);
      await settled.waitFor(WAIT);
      expect(await settled.getByTestId(`settled-result-${marketId}`).textContent()).toBe('Won by Runner 1');
      expect(await settled.getByTestId(`settled-gross-${marketId}`).textContent()).toBe(grossMinor > 0 ? `+${formatMinor(grossMinor)}` : formatMinor(grossMinor));
      expect(await settled.getByTestId(`settled-commission-${marketId}`).textContent()).toBe(formatMinor(chargedMinor));
      const netMinor = grossMinor - chargedMinor;
      expect(await settled.getByTestId(`settled-net-${marketId}`).textContent()).toBe(netMinor > 0 ? `+${formatMinor(netMinor)}` : formatMinor(netMinor));
    }
    await backer.screenshot({ path: join(artifacts, 'my-bets-settled.png'), fullPage: true });

    // A withdrawal: on the embedded default the gateway serves the payments routes and pays out
    // through the labelled TEST payouts: the wallet says TEST, the balance drops, the request shows
    // paid, and the ledger's history has the withdrawal.
    const withdrawMinor = 5_00;
    await backer.goto(`${webUrl}/wallet`);
    await expect.poll(text(backer, 'balance'), WAIT).toBe(formatMinor(backerExpectedMinor));
    await backer.getByTestId('withdraw-test').waitFor(WAIT);
    expect(await backer.getByTestId('withdraw-test').textContent()).toContain('nothing is sent to a bank');
    await backer.fill('[data-testid=withdraw-amount]', formatMinor(withdrawMinor));
    await backer.getByTestId('withdraw').click();
    await expect.poll(text(backer, 'withdraw-status'), WAIT).toBe(`TEST withdrawal of ${formatMinor(withdrawMinor)}: TEST payout: marked paid; nothing was sent to a bank.`);
    await expect.poll(text(backer, 'balance'), WAIT).toBe(formatMinor(backerExpectedMinor - withdrawMinor));
    await expect.poll(text(backer, 'available'), WAIT).toBe(formatMinor(backerExpectedMinor - withdrawMinor));
    const withdrawalRow = backer.getByTestId('withdrawal-row').first();
    await expect.poll(() => withdrawalRow.getAttribute('data-state'), WAIT).toBe('paid');
    expect(await withdrawalRow.getByTestId('withdrawal-state').textContent()).toBe('TEST payout: marked paid; nothing was sent to a bank.');
    const withdrawnRow = backer.locator('[data-testid=history-row][data-kind=withdrawal]');
    await expect.poll(async () => {
      await backer.getByRole('button', { name: 'Refresh' }).click();
      return withdrawnRow.count();
    }, WAIT).toBe(1);
    expect(await withdrawnRow.getByTestId('history-available').textContent()).toBe(formatMinor(-withdrawMinor));
    await backer.screenshot({ path: join(artifacts, 'wallet-withdraw.png'), fullPage: true });

    // The admin's system panel: health tiles and the exposure and matched volume charts, the match among them.
    await admin.goto(`${webUrl}/admin`);
    const system = admin.getByTestId('system-panel');
    await system.getByTestId('health-engine').waitFor(WAIT);
    await expect.poll(() => system.getByTestId('health-settlement').locator('strong').textContent(), WAIT).toMatch(/^(up to date|\d+ behind)$/);
    // The gateway leads its partition on the embedded default: nothing journaled is left to apply.
    await expect.poll(() => system.getByTestId('health-journal').locator('strong').textContent(), WAIT).toBe('up to date');
    await expect.poll(() => system.getByTestId('health-connections').locator('strong').textContent(), WAIT).toMatch(/^[1-9]\d*$/);
    await system.getByTestId('chart-exposure-line').waitFor(WAIT);
    await expect.poll(() => system.getByTestId('chart-matched-bar').count(), WAIT).toBeGreaterThan(0);
    const barTitles = await system.getByTestId('chart-matched-bar').locator('title').allTextContents();
    expect(barTitles.some((title) => / ([1-9]\d*)$/.test(title))).toBe(true);
    await expect.poll(() => admin.getByTestId(`admin-market-${marketId}`).getByTestId('admin-matched').textContent(), WAIT).toBe(formatMinorCompact(stakeMinor));
    await admin.screenshot({ path: join(artifacts, 'admin-system.png') });

    await admin.goto(`${webUrl}/admin/audit`);
    const audit = admin.getByTestId('audit-log');
    for (const [reason, action] of [[settleReason, 'SettleMarket'], [closeReason, 'CloseMarket']] as const) {
      const entry = audit.locator('tbody tr', { hasText: reason });
      await entry.waitFor(WAIT);
      const cells = await entry.locator('td').allTextContents();
      expect(cells.slice(2)).toEqual([action, `market:${marketId}`, reason, 'ok']);
    }
    await admin.screenshot({ path: join(artifacts, 'admin-audit.png'), fullPage: true });
  }, 240_000);

  it('refuses a bet beyond the available balance with a clear message, and odds off the ladder cannot be entered', async () => {
    await layer.goto(`${webUrl}/markets/1`);
    await layer.getByTestId('market-book').waitFor(WAIT);
    // The full-depth ladder of a runner lists the prices the book shows.
    await layer.getByTestId('depth-0').click();
    const fullDepth = layer.getByTestId('runner-ladder');
    await fullDepth.waitFor(WAIT);
    const bestBackOdds = await layer.getByTestId('cell-0-back-0').locator('strong').textContent();
    expect(bestBackOdds).toMatch(/^\d/);
    expect(await fullDepth.locator('.odds', { hasText: new RegExp(`^${(bestBackOdds ?? '').replace('.', '\\.')}$`) }).count()).toBe(1);
    await layer.screenshot({ path: join(artifacts, 'market-full-depth.png'), fullPage: true });
    await layer.getByTestId('depth-0').click();
    await expect.poll(() => fullDepth.count(), WAIT).toBe(0);

    await layer.getByTestId('cell-1-back-0').click();
    await layer.fill('[data-testid=slip-odds]', '2.03');
    await layer.getByTestId('odds-error').waitFor(WAIT);
    expect(await layer.getByTestId('odds-error').textContent()).toContain('2.02 or 2.04');
    await layer.fill('[data-testid=slip-stake]', '5');
    expect(await layer.getByTestId('slip-place').isDisabled()).toBe(true);
    expect(await layer.getByTestId('slip-profit').textContent()).toBe('—');

    await layer.fill('[data-testid=slip-odds]', '1000');
    await layer.fill('[data-testid=slip-stake]', formatMinor(depositMinor * 10));
    await layer.getByTestId('slip-place').click();
    await layer.getByTestId('slip-confirm').click();
    await expect.poll(text(layer, 'slip-result'), WAIT).toBe('Not enough available funds for this bet. Deposit, or lower the stake.');
    await layer.screenshot({ path: join(artifacts, 'reject-insufficient-funds.png') });
    await expect.poll(() => layer.getByTestId('slip-place').isDisabled()).toBe(false);
  }, 120_000);

  it('keeps the login when two tabs open at once, and cancels an unmatched bet from My bets', async () => {
    // Tabs opening together present the same rotating refresh cookie at once; neither may revoke
    // the login (the gateway revokes every token of a login whose rotated token is used again).
    const statuses = await backer.evaluate(async () => {
      const refresh = () => fetch('/session/refresh', { method: 'POST' }).then((response) => response.status);
      const together = await Promise.all([refresh(), refresh(), refresh()]);
      return [...together, await refresh()];
    });
    expect(statuses).toEqual([200, 200, 200, 200]);
    const context = backer.context();
    const [first, second] = [await context.newPage(), await context.newPage()];
    await Promise.all([first.goto(`${webUrl}/wallet`), second.goto(`${webUrl}/wallet`)]);
    for (const tab of [first, second]) await tab.getByTestId('balance').waitFor(WAIT);
    await first.close();
    await second.close();

    await backer.goto(`${webUrl}/markets/1`);
    await backer.getByTestId('market-book').waitFor(WAIT);
    await backer.getByTestId('header-available').waitFor(WAIT);
    const parsedBefore = parseAmountMinor((await backer.getByTestId('header-available').textContent()) ?? '', Number.MAX_SAFE_INTEGER);
    if (!parsedBefore.ok) throw new Error(parsedBefore.error);
    const availableBeforeMinor = parsedBefore.amountMinor;
    await backer.getByTestId('cell-2-back-0').click();
    await backer.fill('[data-testid=slip-odds]', '1000');
    await backer.fill('[data-testid=slip-stake]', '1.50');
    await backer.selectOption('[data-testid=slip-persistence]', 'persist');
    await backer.getByTestId('slip-place').click();
    // A double click places the bet once.
    await backer.getByTestId('slip-confirm').dblclick();
    await expect.poll(text(backer, 'slip-result'), WAIT).toBe('1.50 unmatched, waiting at 1000.');
    const token = await accessTokenOf(stack, 'backer@web.test');
    const open = (await (await fetch(`${webUrl}/api/v1/orders?marketId=1`, { headers: { authorization: `Bearer ${token}` } })).json()) as { open: Array<{ persistence: string | null }> };
    expect(open.open.map((order) => order.persistence)).toEqual(['persist']);
    // A back's stake is held while it waits, and released as it shrinks.
    await expect.poll(text(backer, 'header-available'), WAIT).toBe(formatMinor(availableBeforeMinor - 150));

    await backer.goto(`${webUrl}/bets`);
    const unmatched = backer.getByTestId('bets-market-1').getByTestId('unmatched-bets');
    await unmatched.waitFor(WAIT);
    expect(await unmatched.getByTestId('amount').first().textContent()).toBe('1.50');
    // Reduce it (it keeps its queue place), then move it to another price.
    await unmatched.getByTestId('edit').first().click();
    await backer.fill('[data-testid=reduce-amount]', '0.50');
    await backer.getByTestId('reduce').click();
    await expect.poll(text(backer, 'editor-result'), WAIT).toBe('Reduced by 0.50; 1.00 still unmatched.');
    await expect.poll(() => unmatched.getByTestId('amount').first().textContent(), WAIT).toBe('1.00');
    await expect.poll(text(backer, 'header-available'), WAIT).toBe(formatMinor(availableBeforeMinor - 100));
    await backer.fill('[data-testid=replace-odds]', '990');
    await backer.screenshot({ path: join(artifacts, 'my-bets-unmatched.png'), fullPage: true });
    await backer.getByTestId('replace').click();
    await expect.poll(() => unmatched.locator('tbody tr').first().textContent(), WAIT).toContain('990');
    expect(await unmatched.getByTestId('amount').count()).toBe(1);
    expect(await unmatched.getByTestId('amount').first().textContent()).toBe('1.00');
    await unmatched.getByTestId('cancel').first().click();
    await backer.getByTestId('bets-market-1').getByTestId('no-unmatched').waitFor(WAIT);
    await expect.poll(text(backer, 'header-available'), WAIT).toBe(formatMinor(availableBeforeMinor));
  }, 120_000);

  it('refuses a bettor on the admin pages, in the app and at the API', async () => {
    await backer.goto(`${webUrl}/admin`);
    await backer.getByTestId('admin-refused').waitFor(WAIT);
    expect(await backer.getByTestId('admin-markets').count()).toBe(0);
    await backer.goto(`${webUrl}/admin/audit`);
    await backer.getByTestId('admin-refused').waitFor(WAIT);
    expect(await backer.getByTestId('audit-log').count()).toBe(0);
    await backer.screenshot({ path: join(artifacts, 'admin-refused.png') });

    const login = await fetch(`${webUrl}/session/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'backer@web.test', password: PASSWORD }) });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const refused = await fetch(`${webUrl}/api/v1/admin/audit`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(refused.status).toBe(403);
    const settle = await fetch(`${webUrl}/api/v1/admin/markets/1/suspend`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'not mine to do' }),
    });
    expect(settle.status).toBe(403);
  }, 60_000);

  it('never shows a lagging or dropped feed as live, publishes a burst of book updates at most once per animation frame, and resumes from the last seq when the connection returns', async () => {
    const { context, page } = await newPage();
    let forward = true;
    let refuse = false;
    let holding = false;
    const held: string[] = [];
    /** What the page sent to the gateway, and the gateway's answers about market 1, in order. */
    const sent: Array<{ id?: number; type: string; marketId?: number; fromSeq?: number }> = [];
    const answers: Array<{ id?: number; type: string; seq?: number }> = [];
    let current: WebSocketRoute | null = null;
    await context.routeWebSocket(/\/v1\/ws/, (socket) => {
      if (refuse) {
        void socket.close({ code: 4000, reason: 'refused by the test' });
        return;
      }
      current = socket;
      const server = socket.connectToServer();
      server.onMessage((message) => {
        const text = String(message);
        const parsed = JSON.parse(text) as { id?: number; type: string; marketId?: number; seq?: number };
        if (parsed.marketId === 1 && (parsed.type === 'market_snapshot' || parsed.type === 'market_resumed')) answers.push(parsed);
        if (holding) held.push(text);
        else if (forward) socket.send(text);
      });
      socket.onMessage((message) => {
        sent.push(JSON.parse(String(message)) as (typeof sent)[number]);
        server.send(message);
      });
    });
    await page.goto(`${webUrl}/markets/1`);
    const book = page.getByTestId('market-book');
    await expect.poll(() => book.getAttribute('data-live'), WAIT).toBe('true');
    await expect.poll(text(page, 'feed-status'), WAIT).toBe('Live');

    // A busy market: 50 book updates (25 bets placed, then cancelled, through the API) reach the
    // page in one burst. The book is published at most once per animation frame, fewer times than
    // there were updates, and ends at the last update's seq.
    await page.evaluate(() => {
      const target = document.querySelector('[data-testid=market-book]');
      if (target === null) throw new Error('no book');
      const probe = { frame: 0, publishedFrames: [] as number[] };
      (window as unknown as { bookProbe: typeof probe }).bookProbe = probe;
      const count = (): void => {
        probe.frame++;
        requestAnimationFrame(count);
      };
      requestAnimationFrame(count);
      new MutationObserver((records) => {
        for (const _record of records) probe.publishedFrames.push(probe.frame);
      }).observe(target, { attributes: true, attributeFilter: ['data-seq'] });
    });
    const token = await accessTokenOf(stack, 'backer@web.test');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const busyTicks = tickOfDecimalOdds(STANDARD_LADDER, '1000');
    holding = true;
    const orderIds: number[] = [];
    for (let index = 0; index < 25; index++) {
      const placed = await fetch(`${webUrl}/api/v1/orders`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': `busy-market-${index}` },
        body: JSON.stringify({ marketId: 1, runnerIndex: 2, side: 'back', priceTicks: busyTicks, stakeMinor: 1_00 }),
      });
      expect(placed.status, await placed.clone().text()).toBe(201);
      orderIds.push(((await placed.json()) as { orderId: number }).orderId);
    }
    for (const orderId of orderIds) expect((await fetch(`${webUrl}/api/v1/orders/${orderId}`, { method: 'DELETE', headers: { authorization: headers.authorization } })).status).toBe(200);
    const heldDeltas = (): Array<{ seq: number }> =>
      held.map((message) => JSON.parse(message) as { type: string; marketId?: number; seq: number }).filter((message) => message.type === 'market_delta' && message.marketId === 1);
    await expect.poll(() => heldDeltas().length, WAIT).toBeGreaterThanOrEqual(50);
    const burst = heldDeltas();
    const lastSeq = burst[burst.length - 1]?.seq ?? 0;
    await page.evaluate(() => {
      (window as unknown as { bookProbe: { publishedFrames: number[] } }).bookProbe.publishedFrames = [];
    });
    holding = false;
    for (const message of held.splice(0)) (current as WebSocketRoute | null)?.send(message);
    await expect.poll(async () => Number(await book.getAttribute('data-seq')), WAIT).toBeGreaterThanOrEqual(lastSeq);
    const { publishedFrames } = await page.evaluate(() => (window as unknown as { bookProbe: { publishedFrames: number[] } }).bookProbe);
    expect(publishedFrames.length).toBeGreaterThan(0);
    expect(publishedFrames.length).toBeLessThan(burst.length);
    expect(new Set(publishedFrames).size).toBe(publishedFrames.length);
    await expect.poll(() => book.getAttribute('data-live'), WAIT).toBe('true');

    // The server says it is behind on this connection: the book is no longer presented as live.
    forward = false;
    (current as WebSocketRoute | null)?.send(JSON.stringify({ type: 'heartbeat', serverTimeMs: Date.now(), lagging: true }));
    await expect.poll(text(page, 'feed-status'), WAIT).toBe('Feed lagging');
    await expect.poll(() => book.getAttribute('data-live'), WAIT).toBe('false');
    await expect.poll(text(page, 'feed-banner'), WAIT).toContain('Feed lagging');
    await page.screenshot({ path: join(artifacts, 'feed-lagging.png') });

    // Messages flow again, after a gap (the deltas dropped above): the page resumes from its last
    // seq and is live again.
    forward = true;
    await expect.poll(() => book.getAttribute('data-live'), WAIT).toBe('true');
    await expect.poll(text(page, 'feed-status'), WAIT).toBe('Live');

    // The connection drops and cannot come back for now: not live, and said so.
    refuse = true;
    await (current as WebSocketRoute | null)?.close({ code: 4000, reason: 'dropped by the test' });
    await expect.poll(() => page.getByTestId('feed-status').getAttribute('data-state'), WAIT).toMatch(/^(disconnected|connecting)$/);
    await expect.poll(() => book.getAttribute('data-live'), WAIT).toBe('false');
    await expect.poll(text(page, 'feed-banner'), WAIT).toMatch(/not live/);
    await page.screenshot({ path: join(artifacts, 'feed-disconnected.png') });
    const seqBeforeDrop = Number(await book.getAttribute('data-seq'));
    expect(seqBeforeDrop).toBeGreaterThanOrEqual(lastSeq);
    const sentBeforeReconnect = sent.length;

    refuse = false;
    await expect.poll(() => book.getAttribute('data-live'), { timeout: 30_000 }).toBe('true');
    await expect.poll(text(page, 'feed-status'), WAIT).toBe('Live');
    // It resumed from the seq it had shown: the new connection asked for what came after it, and
    // the gateway answered with a resume rather than a fresh snapshot.
    const resubscribe = sent.slice(sentBeforeReconnect).find((message) => message.type === 'subscribe_market' && message.marketId === 1);
    expect(resubscribe?.fromSeq).toBe(seqBeforeDrop);
    expect(answers.find((answer) => answer.id === resubscribe?.id)?.type).toBe('market_resumed');
    await context.close();
  }, 120_000);

  it('works on a phone-sized screen', async () => {
    const { context, page } = await newPage({ phone: true });
    await page.goto(`${webUrl}/login`);
    await page.fill('#email', 'layer@web.test');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${webUrl}/`, WAIT);
    // The sports catalog when the gateway serves one, the engine's markets otherwise.
    await page.getByTestId('sports').or(page.getByTestId('market-list')).first().waitFor(WAIT);
    await page.screenshot({ path: join(artifacts, 'phone-home.png'), fullPage: true });
    // Browsing the demo catalog: what is in play now, a search by team, a sport's events, an
    // event's markets, and a market with its runners' names.
    const inPlayEvents = page.getByTestId('in-play').locator('a.name');
    await expect.poll(() => inPlayEvents.count(), WAIT).toBeGreaterThan(0);
    const eventName = (await inPlayEvents.first().textContent()) ?? '';
    const [, awayTeam = ''] = eventName.split(' v ');
    expect(awayTeam).not.toBe('');
    await page.fill('[data-testid=search]', awayTeam);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.getByTestId('search-results').locator('a.name').allTextContents(), WAIT).toContain(eventName);
    await page.getByTestId('sports').locator('a', { hasText: /football/i }).click();
    await page.waitForURL('**/sports/**', WAIT);
    await expect.poll(() => page.locator('a.name').count(), WAIT).toBeGreaterThan(0);
    await page.screenshot({ path: join(artifacts, 'phone-sport.png'), fullPage: true });
    await page.locator('a.more').first().click();
    await page.waitForURL('**/events/**', WAIT);
    await page.getByRole('link', { name: 'Over/Under 2.5 Goals' }).click();
    await page.waitForURL('**/markets/**', WAIT);
    await expect.poll(() => page.getByTestId('runner-0').locator('.name').textContent(), WAIT).toContain('Under 2.5 Goals');
    await page.goto(`${webUrl}/markets/1`);
    const book = page.getByTestId('market-book');
    await expect.poll(() => book.getAttribute('data-live'), WAIT).toBe('true');
    const overflowPx = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflowPx).toBeLessThanOrEqual(0);
    await page.getByTestId('cell-0-back-0').click();
    const slip = page.getByTestId('bet-slip');
    await slip.waitFor(WAIT);
    const box = await slip.boundingBox();
    expect(box).not.toBeNull();
    expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= 390).toBe(true);
    await page.fill('[data-testid=slip-stake]', '2');
    await expect.poll(text(page, 'slip-liability')).toBe('2.00');
    await page.screenshot({ path: join(artifacts, 'phone-market-slip.png') });
    await context.close();
  }, 120_000);

  it('lets a bettor set a loss limit and submit an identity document, and an admin verify it', async () => {
    await layer.goto(`${webUrl}/account`);
    await expect.poll(text(layer, 'kyc-status'), WAIT).toBe('Not verified');
    await layer.fill('[data-testid=loss-limit-amount]', '50');
    await layer.getByTestId('loss-limit-set').click();
    await expect.poll(text(layer, 'loss-limit'), WAIT).toBe('50.00 per week');

    await layer.getByTestId('kyc-file').setInputFiles({ name: 'passport.png', mimeType: 'image/png', buffer: Buffer.from('not really a passport') });
    await layer.getByTestId('kyc-submit').click();
    await expect.poll(text(layer, 'kyc-status'), WAIT).toBe('Under review');
    await layer.screenshot({ path: join(artifacts, 'account.png'), fullPage: true });

    await admin.goto(`${webUrl}/admin/kyc`);
    const item = admin.locator('section', { hasText: 'layer@web.test' });
    await item.waitFor(WAIT);
    expect(await item.textContent()).toContain('passport.png');
    await item.getByTestId('kyc-verify').click();
    await admin.fill('[data-testid=kyc-reason]', 'passport checked');
    await admin.getByTestId('kyc-confirm').click();
    await expect.poll(text(admin, 'kyc-notice'), WAIT).toMatch(/verified\.$/);
    await expect.poll(() => admin.locator('section', { hasText: 'layer@web.test' }).count(), WAIT).toBe(0);

    await layer.goto(`${webUrl}/account`);
    await expect.poll(text(layer, 'kyc-status'), WAIT).toBe('Verified');
  }, 120_000);

  it('signs a new user in through the OpenID Connect provider, and refuses a callback this browser did not start', async () => {
    const { context, page } = await newPage();
    await page.goto(`${webUrl}/login`);
    const button = page.getByTestId('oidc-login');
    await button.waitFor(WAIT);
    expect(await button.textContent()).toBe('Sign in with OpenID Connect');
    await page.screenshot({ path: join(artifacts, 'login-oidc.png') });
    await button.click();
    // The provider's own login and consent pages.
    await page.waitForURL(`${oidcProvider?.issuer ?? ''}/**`, WAIT);
    await page.fill('input[name=login]', 'oidc.bettor');
    await page.fill('input[name=password]', 'anything');
    await page.click('button[type=submit]');
    await page.locator('button[type=submit]', { hasText: /continue/i }).click(WAIT);
    await page.waitForURL(`${webUrl}/`, WAIT);
    await page.getByTestId('logout').waitFor(WAIT);
    await page.goto(`${webUrl}/wallet`);
    await expect.poll(text(page, 'balance'), WAIT).toBe(formatMinor(0));
    // Logging out ends the session: the wallet asks to log in again, also after a reload.
    await page.getByTestId('logout').click();
    await expect.poll(() => page.getByTestId('logout').count(), WAIT).toBe(0);
    await page.goto(`${webUrl}/wallet`);
    await page.getByText('Log in to see this page.').waitFor(WAIT);
    expect(await page.getByTestId('balance').count()).toBe(0);
    await context.close();

    const other = await newPage();
    await other.page.goto(`${webUrl}/session/oidc/callback?code=stolen&state=not-mine`);
    await other.page.waitForURL(/\/login\?oidc_error=oidc_state$/, WAIT);
    await expect.poll(text(other.page, 'oidc-error'), WAIT).toBe('That sign-in link was not started here or has expired; start again.');
    expect(await other.page.getByTestId('logout').count()).toBe(0);
    await other.context.close();
  }, 120_000);

  it('raised no script error and no Content-Security-Policy violation on any page', () => {
    expect(stack.scriptErrors).toEqual([]);
  });
});
