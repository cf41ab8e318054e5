// The Content-Security-Policy additions Stripe.js needs, made at runtime because Stripe is
// configured per deployment: its script, the frames of the Payment Element and 3-D Secure, and its
// API; and the origin of STRIPE_JS_URL too, wherever that points.

export const STRIPE_JS_URL_DEFAULT = 'https://js.stripe.com/v3/';

const STRIPE_SOURCES: Readonly<Record<string, readonly string[]>> = {
  'script-src': ['https://js.stripe.com', 'https://*.js.stripe.com'],
  'frame-src': ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
  'connect-src': ['https://api.stripe.com'],
};

/** `csp` with Stripe's sources and `jsUrl`'s origin added (a missing directive starts from 'self'). */
export function withStripeSources(csp: string, jsUrl: string): string {
  const origin = new URL(jsUrl).origin;
  const directives = csp.split(';').map((part) => part.trim()).filter((part) => part !== '').map((part) => part.split(/\s+/));
  for (const [name, sources] of Object.entries(STRIPE_SOURCES)) {
    let directive = directives.find((words) => words[0] === name);
    if (directive === undefined) {
      directive = [name, "'self'"];
      directives.push(directive);
    }
    for (const source of [...sources, origin]) if (!directive.includes(source)) directive.push(source);
  }
  return directives.map((words) => words.join(' ')).join('; ');
}

/** STRIPE_JS_URL (unset or empty: Stripe's own), or null when it is not an http(s) URL. */
export function stripeJsUrlOf(text: string | undefined): string | null {
  if (text === undefined || text === '') return STRIPE_JS_URL_DEFAULT;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}
