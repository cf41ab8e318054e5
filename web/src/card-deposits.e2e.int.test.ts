// Card deposits through Stripe, end to end in headless Chromium. Real: the web app (built, served
// by its own Node process, its CSP widened for Stripe.js at runtime), the gateway process hosting
// the payments routes (the payments service's own code: the payment policy, the deposit row and
// its Idempotency-Key, the PaymentIntent created through the stripe node library, the webhook's
// signature check with that library, the outbox crediting the engine) and the ledger behind the
// wallet page. Standing in: Stripe's servers (settlement/src/testing/stripe-stand-in.ts, which
// keeps the PaymentIntents, confirms them and sends the signed `payment_intent.*` webhooks) and
// Stripe.js (web/src/testing/stripe-js-stand-in.ts, served from the stand-in at STRIPE_JS_URL,
// with a plain card-number field instead of Stripe's iframe). Screenshots go to test-artifacts/web/.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { StripeStandIn } from '../../settlement/src/testing/stripe-stand-in.js';
import { formatMinor } from './lib/money';
import { accessTokenOf, artifacts, register, startBrowserStack, textOf, WAIT, type BrowserStack } from './testing/browser-stack';
import { stripeJsStandInSource } from './testing/stripe-js-stand-in';

const WEBHOOK_SECRET = 'whsec_web_e2e_standin';
const EMAIL = 'card@web.test';
const DECLINED_CARD = '4000 0000 0000 0002';
const GOOD_CARD = '4242 4242 4242 4242';
const INTENTS = '/v1/payment_intents';

let standIn: StripeStandIn;
let stack: BrowserStack;
let page: Page;
/** POSTs the page made to create deposits. */
let depositPosts = 0;

beforeAll(async () => {
  standIn = new StripeStandIn();
  await standIn.start();
  standIn.serve('/v3/', stripeJsStandInSource(standIn.url));
  stack = await startBrowserStack({
    adminEmails: [],
    gatewayLogName: 'gateway-card-deposits.log',
    gatewayEnv: { STRIPE_SECRET_KEY: 'sk_test_standin', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_URL: standIn.url },
    webEnv: { STRIPE_PUBLISHABLE_KEY: 'pk_test_standin', STRIPE_JS_URL: `${standIn.url}/v3/` },
  });
  standIn.sendWebhooksTo(`${stack.gatewayApi}/v1/stripe/webhook`, WEBHOOK_SECRET);
  page = (await stack.newPage()).page;
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/payments/deposits') depositPosts++;
  });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await standIn?.stop();
}, 60_000);

const confirmations = (paymentMethod: string): number =>
  standIn.requests.filter((request) => /^\/v1\/payment_intents\/pi_\w+\/confirm$/.test(request.path) && request.params['payment_method'] === paymentMethod).length;
const webhooks = (): string[] => standIn.webhooks.map((webhook) => `${webhook.type} ${webhook.status}`);

describe('card deposits through Stripe', () => {
  it('offers the card form instead of the TEST flow where Stripe is configured', async () => {
    await register(stack, page, EMAIL);
    await page.goto(`${stack.webUrl}/wallet`);
    await page.getByTestId('card-continue').waitFor(WAIT);
    expect(await page.getByTestId('deposit').count()).toBe(0);
    expect(await page.getByText('TEST', { exact: true }).count()).toBe(0);
    await expect.poll(textOf(page, 'balance'), WAIT).toBe(formatMinor(0));
  });

  it('shows a declined card clearly and leaves the balance unchanged; the same deposit paid with another card is pending until the webhook, then credited once', async () => {
    await page.fill('[data-testid=card-amount]', '25');
    await page.getByTestId('card-continue').dblclick();
    await page.getByTestId('stand-in-card-number').waitFor(WAIT);
    expect(depositPosts).toBe(1);
    expect(standIn.created(INTENTS)).toBe(1);

    await page.fill('[data-testid=stand-in-card-number]', DECLINED_CARD);
    await page.getByTestId('card-pay').click();
    await expect.poll(textOf(page, 'card-error'), WAIT).toBe('Your card was declined. Nothing was charged: try another card.');
    await expect.poll(webhooks, WAIT).toEqual(['payment_intent.payment_failed 200']);
    await page.screenshot({ path: join(artifacts, 'card-declined.png'), fullPage: true });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByText('Nothing yet.').waitFor(WAIT);
    expect(await page.getByTestId('balance').textContent()).toBe(formatMinor(0));

    const release = standIn.holdWebhooks();
    await page.fill('[data-testid=stand-in-card-number]', GOOD_CARD);
    await page.getByTestId('card-pay').dblclick();
    await page.getByTestId('card-pending').waitFor(WAIT);
    expect(await page.getByTestId('card-pending').textContent()).toContain(`Payment of ${formatMinor(25_00)} received`);
    expect(confirmations('pm_card_visa')).toBe(1);
    await page.screenshot({ path: join(artifacts, 'card-pending.png'), fullPage: true });
    expect(await page.getByTestId('balance').textContent()).toBe(formatMinor(0));

    release();
    await expect.poll(textOf(page, 'card-credited'), WAIT).toBe(`Added ${formatMinor(25_00)} by card.`);
    await expect.poll(textOf(page, 'balance'), WAIT).toBe(formatMinor(25_00));
    expect(await page.getByTestId('card-pending').count()).toBe(0);
    await expect.poll(() => page.locator('[data-testid=history-row][data-kind=deposit] [data-testid=history-available]').allTextContents(), WAIT).toEqual([`+${formatMinor(25_00)}`]);
    await page.screenshot({ path: join(artifacts, 'card-credited.png'), fullPage: true });
    expect(webhooks()).toEqual(['payment_intent.payment_failed 200', 'payment_intent.succeeded 200']);
    expect(depositPosts).toBe(1);
    expect(standIn.created(INTENTS)).toBe(1);
  });

  it('raises the balance by exactly each deposit\'s amount', async () => {
    await page.fill('[data-testid=card-amount]', '10.50');
    await page.getByTestId('card-continue').click();
    await page.fill('[data-testid=stand-in-card-number]', GOOD_CARD);
    await page.getByTestId('card-pay').click();
    await expect.poll(textOf(page, 'card-credited'), WAIT).toBe(`Added ${formatMinor(10_50)} by card.`);
    await expect.poll(textOf(page, 'balance'), WAIT).toBe(formatMinor(35_50));
    await expect.poll(textOf(page, 'available'), WAIT).toBe(formatMinor(35_50));
    expect(depositPosts).toBe(2);
    expect(standIn.created(INTENTS)).toBe(2);
  });

  it('after a payment method that redirected back, waits for the credit of that PaymentIntent, or says it was not completed, and says it once', async () => {
    const [first] = standIn.paymentIntentIds();
    await page.goto(`${stack.webUrl}/wallet?payment_intent=${first}&redirect_status=succeeded`);
    await expect.poll(textOf(page, 'card-credited'), WAIT).toBe('Your card deposit was added.');
    // Handled once: the query leaves the address, so a reload does not say it again.
    await expect.poll(() => page.url(), WAIT).toBe(`${stack.webUrl}/wallet`);
    await page.reload();
    await expect.poll(textOf(page, 'balance'), WAIT).toBe(formatMinor(35_50));
    expect(await page.getByTestId('card-credited').count()).toBe(0);
    await page.goto(`${stack.webUrl}/wallet?payment_intent=pi_unknown&redirect_status=failed`);
    await expect.poll(textOf(page, 'card-error'), WAIT).toBe('The payment was not completed. Nothing was charged: try again or use another card.');
    await expect.poll(() => page.url(), WAIT).toBe(`${stack.webUrl}/wallet`);
    await expect.poll(textOf(page, 'balance'), WAIT).toBe(formatMinor(35_50));
  });

  it('shows the bettor\'s own deposit limit refusing a deposit, before any PaymentIntent', async () => {
    const token = await accessTokenOf(stack, EMAIL);
    const limit = await fetch(`${stack.webUrl}/api/v1/account/limits/deposit`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ limit: { amountMinor: 40_00, period: 'day' } }),
    });
    expect(limit.status).toBe(200);
    await page.fill('[data-testid=card-amount]', '5');
    await page.getByTestId('card-continue').click();
    await expect.poll(textOf(page, 'card-error'), WAIT).toContain('deposit limit you set');
    await page.screenshot({ path: join(artifacts, 'card-deposit-limit.png'), fullPage: true });
    expect(await page.getByTestId('stand-in-card-number').count()).toBe(0);
    expect(standIn.created(INTENTS)).toBe(2);
    expect(await page.getByTestId('balance').textContent()).toBe(formatMinor(35_50));
    expect(stack.scriptErrors).toEqual([]);
  });
});
