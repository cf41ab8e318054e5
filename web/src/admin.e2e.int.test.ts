// The admin's user, configuration and dispute pages end to end, in a real browser against the real
// stack (src/testing/browser-stack.ts): an admin finds a bettor and suspends it, and the bettor's
// next bet is refused plainly; a new configuration version is published and shows in the history
// and on the accounts opened after it; a bettor disputes a settled market and the admin resolves
// the dispute by resettling it, then voids the market from the dashboard. Screenshots go to
// test-artifacts/web/admin-*.png.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { STANDARD_LADDER, tickOfDecimalOdds } from '@playchacha/protocol';
import { accessTokenOf, artifacts, deposit, register, startBrowserStack, textOf, WAIT, type BrowserStack } from './testing/browser-stack';
import { formatBpsAsPercent } from './lib/admin';
import { disputeMessageFor } from './lib/disputes';
import { messageFor } from './lib/messages';
import { formatMinor } from './lib/money';
import { commissionMinor } from './lib/pnl';

const ADMIN_EMAIL = 'admin@admin.test';
const PUNTER_EMAIL = 'punter@admin.test';
const LAYER_EMAIL = 'layer@admin.test';

let stack: BrowserStack;

beforeAll(async () => {
  stack = await startBrowserStack({ adminEmails: [ADMIN_EMAIL], gatewayLogName: 'gateway-admin.log' });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

describe('the admin pages in a browser', () => {
  const depositMinor = 100_00;
  const stakeMinor = 10_00;
  const marketId = 21;
  let admin: Page;
  let punter: Page;
  let layer: Page;
  let punterAccountId = 0;

  const shoot = (page: Page, name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

  it('finds a bettor by email, suspends it with a reason so its next bet is refused plainly, reactivates it and caps its stake', async () => {
    admin = (await stack.newPage()).page;
    punter = (await stack.newPage()).page;
    layer = (await stack.newPage()).page;
    await register(stack, admin, ADMIN_EMAIL);
    await register(stack, punter, PUNTER_EMAIL);
    await register(stack, layer, LAYER_EMAIL);
    await deposit(stack, punter, formatMinor(depositMinor));
    await deposit(stack, layer, formatMinor(depositMinor));

    await admin.goto(`${stack.webUrl}/admin`);
    await admin.getByRole('link', { name: 'Users' }).click();
    await admin.getByTestId('user-results').waitFor(WAIT);
    await admin.fill('[data-testid=user-q]', 'punter@');
    await admin.getByTestId('user-search-button').click();
    const found = admin.getByTestId('user-results').locator('tbody tr');
    await expect.poll(() => found.count(), WAIT).toBe(1);
    expect(await found.first().textContent()).toContain(PUNTER_EMAIL);
    await shoot(admin, 'admin-users');
    // The status filter narrows the search: nobody is suspended yet.
    await admin.selectOption('[data-testid=user-status-filter]', 'suspended');
    await admin.getByTestId('user-search-button').click();
    await admin.getByText('No user matches.').waitFor(WAIT);
    await admin.selectOption('[data-testid=user-status-filter]', '');
    await admin.getByTestId('user-search-button').click();
    await found.first().getByRole('link', { name: PUNTER_EMAIL }).click();
    await admin.waitForURL('**/admin/users/*', WAIT);
    punterAccountId = Number(new URL(admin.url()).pathname.split('/').pop());
    expect(punterAccountId).toBeGreaterThan(0);
    await expect.poll(textOf(admin, 'user-email'), WAIT).toBe(PUNTER_EMAIL);
    await expect.poll(textOf(admin, 'user-balance'), WAIT).toBe(formatMinor(depositMinor));
    expect(await admin.getByTestId('user-status').textContent()).toBe('Active');

    // Suspending asks for a reason and a confirmation; freezing warns that it cancels every open bet.
    await admin.getByTestId('user-freeze').click();
    expect(await admin.getByTestId('status-confirm').textContent()).toContain('Every open bet of this account is cancelled');
    await admin.getByRole('button', { name: 'Cancel' }).click();
    const suspendReason = 'suspicious betting pattern under review';
    await admin.getByTestId('user-suspend').click();
    expect(await admin.getByTestId('status-confirm-button').isDisabled()).toBe(true);
    await admin.fill('[data-testid=status-reason]', suspendReason);
    await shoot(admin, 'admin-user-suspend');
    await admin.getByTestId('status-confirm-button').click();
    await expect.poll(textOf(admin, 'user-status'), WAIT).toBe('Suspended');
    await admin.getByTestId('user-audit').locator('tbody tr', { hasText: suspendReason }).waitFor(WAIT);
    await shoot(admin, 'admin-user');

    await punter.goto(`${stack.webUrl}/markets/1`);
    await punter.getByTestId('market-book').waitFor(WAIT);
    await punter.getByTestId('cell-0-back-0').click();
    await punter.fill('[data-testid=slip-odds]', '2');
    await punter.fill('[data-testid=slip-stake]', '5');
    await punter.getByTestId('slip-place').click();
    await punter.getByTestId('slip-confirm').click();
    await expect.poll(textOf(punter, 'slip-result'), WAIT).toBe(messageFor('account_suspended'));
    expect(messageFor('account_suspended')).toMatch(/^Your account is suspended/);
    await shoot(punter, 'admin-suspended-bettor');

    await admin.getByTestId('user-reactivate').click();
    await admin.fill('[data-testid=status-reason]', 'review found nothing wrong');
    await admin.getByTestId('status-confirm-button').click();
    await expect.poll(textOf(admin, 'user-status'), WAIT).toBe('Active');

    // Trading limits, edited with a reason: the bettor's larger stake is then refused plainly.
    await admin.getByTestId('user-limits-edit').click();
    await admin.fill('[data-testid=limit-stake]', '20');
    await admin.fill('[data-testid=limits-reason]', 'stakes capped while the review settles');
    await admin.getByTestId('limits-save').click();
    await expect.poll(textOf(admin, 'user-stake-max'), WAIT).toBe(formatMinor(20_00));
    await punter.fill('[data-testid=slip-stake]', '25');
    await punter.getByTestId('slip-place').click();
    await punter.getByTestId('slip-confirm').click();
    await expect.poll(textOf(punter, 'slip-result'), WAIT).toBe(messageFor('stake_above_maximum'));
  }, 240_000);

  it('publishes a configuration version with a reason, shows it in the history, and opens new accounts with its limits', async () => {
    await admin.goto(`${stack.webUrl}/admin/config`);
    await admin.getByTestId('config-current').waitFor(WAIT);
    const versionBefore = Number(await admin.getByTestId('config-version').textContent());
    expect(await admin.getByTestId('config-commission').textContent()).toContain('%');
    await admin.fill('[data-testid=config-commission-bps]', '12.5');
    await admin.getByText('The commission is whole basis points').waitFor(WAIT);
    expect(await admin.getByTestId('config-review').isDisabled()).toBe(true);
    await admin.fill('[data-testid=config-commission-bps]', '450');
    await admin.fill('[data-testid=config-stake]', '250');
    const reason = 'lower commission for the new season';
    await admin.fill('[data-testid=config-reason]', reason);
    await admin.getByTestId('config-review').click();
    const confirm = admin.getByTestId('config-confirm');
    await confirm.waitFor(WAIT);
    expect(await confirm.textContent()).toContain(`→ ${formatBpsAsPercent(450)}`);
    expect(await confirm.textContent()).toContain('Largest stake no limit → 250.00');
    await admin.getByTestId('config-publish').click();
    await expect.poll(textOf(admin, 'config-notice'), WAIT).toBe(`Version ${versionBefore + 1} published.`);
    await expect.poll(textOf(admin, 'config-version')).toBe(String(versionBefore + 1));
    expect(await admin.getByTestId('config-commission').textContent()).toBe('4.5% (450 bps)');
    const published = admin.getByTestId(`config-history-${versionBefore + 1}`);
    await published.waitFor(WAIT);
    const cells = await published.locator('td').allTextContents();
    expect(cells[3]).toBe(reason);
    expect(cells[4]).toContain('Default commission');
    expect(cells[4]).toContain('→ 4.5%');
    expect(cells[4]).toContain('Largest stake no limit → 250.00');
    await shoot(admin, 'admin-config');

    // An account opened now gets the new default stake limit.
    const late = (await stack.newPage()).page;
    await register(stack, late, 'late@admin.test');
    await admin.goto(`${stack.webUrl}/admin/users`);
    await admin.fill('[data-testid=user-q]', 'late@admin.test');
    await admin.getByTestId('user-search-button').click();
    await admin.getByRole('link', { name: 'late@admin.test' }).click();
    await expect.poll(textOf(admin, 'user-stake-max'), WAIT).toBe('250.00');
    await late.context().close();
  }, 120_000);

  it('lets a bettor dispute a settled market it bet on, and the admin resolve it by resettling; then void it from the dashboard', async () => {
    // A market the two bettors back and lay at evens (through the REST API), settled for runner 0.
    await admin.goto(`${stack.webUrl}/admin`);
    await admin.fill('[data-testid=new-market-id]', String(marketId));
    await admin.fill('[data-testid=new-market-runners]', '2');
    await admin.fill('[data-testid=new-market-commission]', '500');
    await admin.getByTestId('create-market').click();
    const row = admin.getByTestId(`admin-market-${marketId}`);
    await expect.poll(() => row.getByTestId('admin-status').textContent(), WAIT).toBe('open');
    const priceTicks = tickOfDecimalOdds(STANDARD_LADDER, '2');
    for (const [email, side] of [[PUNTER_EMAIL, 'back'], [LAYER_EMAIL, 'lay']] as const) {
      const placed = await fetch(`${stack.webUrl}/api/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await accessTokenOf(stack, email)}`, 'content-type': 'application/json', 'idempotency-key': `admin-e2e-${side}` },
        body: JSON.stringify({ marketId, runnerIndex: 0, side, priceTicks, stakeMinor }),
      });
      expect(placed.status, await placed.clone().text()).toBe(201);
    }
    for (const [action, reason] of [['close', 'match over'], ['settle', 'runner 1 won']] as const) {
      await row.getByTestId(`admin-${action}`).click();
      if (action === 'settle') await admin.getByTestId('admin-winner-0').check();
      await admin.fill('[data-testid=admin-reason]', reason);
      await admin.getByTestId('admin-confirm-button').click();
      await expect.poll(() => row.getByTestId('admin-status').textContent(), WAIT).toBe(action === 'close' ? 'closed' : 'settled');
    }
    await punter.goto(`${stack.webUrl}/wallet`);
    const backerWonMinor = depositMinor + stakeMinor - commissionMinor(stakeMinor, 500);
    await expect.poll(textOf(punter, 'balance'), WAIT).toBe(formatMinor(backerWonMinor));

    // The layer (who lost) disputes it from its account page, once.
    await layer.goto(`${stack.webUrl}/account`);
    await layer.getByTestId('account-disputes').click();
    await layer.waitForURL('**/account/disputes', WAIT);
    const option = layer.locator('[data-testid=dispute-market] option', { hasText: `Market ${marketId}` });
    await expect.poll(() => option.count(), WAIT).toBe(1);
    await layer.selectOption('[data-testid=dispute-market]', String(marketId));
    const disputeReason = 'the replay shows runner 2 crossed the line first';
    await layer.fill('[data-testid=dispute-reason]', disputeReason);
    await layer.getByTestId('dispute-open').click();
    await expect.poll(textOf(layer, 'dispute-notice'), WAIT).toMatch(new RegExp(`^Dispute #\\d+ on market ${marketId} opened\\.`));
    const mine = layer.getByTestId('my-disputes').locator('tbody tr', { hasText: disputeReason });
    await expect.poll(() => mine.getByTestId('my-dispute-status').textContent(), WAIT).toBe('Open');
    // A second dispute on the same market, and one on a market without a result, are refused plainly.
    await layer.fill('[data-testid=dispute-market]', String(marketId));
    await layer.fill('[data-testid=dispute-reason]', 'again');
    await layer.getByTestId('dispute-open').click();
    await expect.poll(textOf(layer, 'dispute-error'), WAIT).toBe(disputeMessageFor('dispute_open'));
    await layer.fill('[data-testid=dispute-market]', '1');
    await layer.getByTestId('dispute-open').click();
    await expect.poll(textOf(layer, 'dispute-error'), WAIT).toBe(disputeMessageFor('market_not_settled'));
    await shoot(layer, 'admin-account-disputes');

    // The admin resettles the market through the dispute: runner 1 won after all.
    await admin.goto(`${stack.webUrl}/admin`);
    await admin.getByRole('link', { name: 'Disputes' }).click();
    const listed = admin.getByTestId('admin-disputes').locator('tbody tr', { hasText: disputeReason });
    await listed.waitFor(WAIT);
    await listed.getByTestId('dispute-resettle').click();
    await admin.getByTestId('dispute-resolve').waitFor(WAIT);
    await admin.getByTestId('dispute-winner-1').check();
    await admin.fill('[data-testid=dispute-resolve-reason]', 'the photo finish confirms runner 2');
    await shoot(admin, 'admin-disputes-resettle');
    await admin.getByTestId('dispute-resolve-confirm').click();
    await expect.poll(textOf(admin, 'dispute-admin-notice'), WAIT).toMatch(/^Dispute #\d+: market resettled\.$/);
    await expect.poll(() => listed.count(), WAIT).toBe(0);
    await admin.selectOption('[data-testid=dispute-status-filter]', 'all');
    await admin.getByTestId('admin-disputes').locator('tbody tr', { hasText: disputeReason }).getByText('Market resettled').waitFor(WAIT);
    await shoot(admin, 'admin-disputes');

    await layer.reload();
    await expect.poll(() => mine.getByTestId('my-dispute-status').textContent(), WAIT).toBe('Market resettled');
    expect(await mine.textContent()).toContain('the photo finish confirms runner 2');
    await punter.goto(`${stack.webUrl}/wallet`);
    await expect.poll(textOf(punter, 'balance'), WAIT).toBe(formatMinor(depositMinor - stakeMinor));

    // The dashboard resettles a settled market too: here it voids it, and every stake comes back.
    await admin.goto(`${stack.webUrl}/admin`);
    await row.getByTestId('admin-resettle').click();
    await admin.getByTestId('admin-resettle-void').check();
    await admin.fill('[data-testid=admin-reason]', 'the race is declared void');
    await admin.getByTestId('admin-confirm-button').click();
    await expect.poll(() => row.getByTestId('admin-status').textContent(), WAIT).toBe('voided');
    await punter.goto(`${stack.webUrl}/wallet`);
    await expect.poll(textOf(punter, 'balance'), WAIT).toBe(formatMinor(depositMinor));
    await admin.goto(`${stack.webUrl}/admin/audit?target=market:${marketId}`);
    const voided = admin.getByTestId('audit-log').locator('tbody tr', { hasText: 'the race is declared void' });
    await voided.waitFor(WAIT);
    expect(await admin.getByTestId('audit-log').locator('tbody tr', { hasText: 'SetPlatformConfig' }).count()).toBe(0);
    await voided.getByRole('button').click();
    await expect.poll(() => admin.locator('pre.details').textContent(), WAIT).toContain('"winners": null');
    await shoot(admin, 'admin-audit-market');
    await admin.fill('[data-testid=audit-actor]', 'someone');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.getByText('The actor is an account id, e.g. 1000001.').waitFor(WAIT);
  }, 240_000);

  it('raised no script error and no Content-Security-Policy violation on any page', () => {
    expect(stack.scriptErrors).toEqual([]);
  });
});
