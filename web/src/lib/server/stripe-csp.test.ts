import { describe, expect, it } from 'vitest';
import { STRIPE_JS_URL_DEFAULT, stripeJsUrlOf, withStripeSources } from './stripe-csp';

const directive = (csp: string, name: string): string[] | undefined => csp.split('; ').map((part) => part.split(' ')).find((words) => words[0] === name)?.slice(1);

describe('the CSP where card deposits are offered', () => {
  const csp = "default-src 'self'; script-src 'self' 'sha256-abc='; connect-src 'self' ws: wss:; frame-ancestors 'none'";

  it('lets Stripe.js load, frame the Payment Element and reach its API, and leaves the rest as it was', () => {
    const widened = withStripeSources(csp, STRIPE_JS_URL_DEFAULT);
    expect(directive(widened, 'script-src')).toEqual(["'self'", "'sha256-abc='", 'https://js.stripe.com', 'https://*.js.stripe.com']);
    expect(directive(widened, 'frame-src')).toEqual(["'self'", 'https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com']);
    expect(directive(widened, 'connect-src')).toEqual(["'self'", 'ws:', 'wss:', 'https://api.stripe.com', 'https://js.stripe.com']);
    expect(directive(widened, 'default-src')).toEqual(["'self'"]);
    expect(directive(widened, 'frame-ancestors')).toEqual(["'none'"]);
  });

  it('adds the origin of a Stripe.js URL elsewhere to the script, frame and connect sources', () => {
    const widened = withStripeSources(csp, 'http://127.0.0.1:4242/v3/');
    for (const name of ['script-src', 'frame-src', 'connect-src']) expect(directive(widened, name)).toContain('http://127.0.0.1:4242');
  });

  it('takes an http(s) Stripe.js URL, defaults to Stripe\'s, and refuses anything else', () => {
    expect(stripeJsUrlOf(undefined)).toBe(STRIPE_JS_URL_DEFAULT);
    expect(stripeJsUrlOf('')).toBe(STRIPE_JS_URL_DEFAULT);
    expect(stripeJsUrlOf('http://127.0.0.1:4242/v3/')).toBe('http://127.0.0.1:4242/v3/');
    expect(stripeJsUrlOf('javascript:alert(1)')).toBeNull();
    expect(stripeJsUrlOf('not a url')).toBeNull();
  });
});
