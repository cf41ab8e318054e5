// A local stand-in for the few Stripe API endpoints the payments service calls
// (POST /v1/payment_intents, POST /v1/payouts), on 127.0.0.1 for
// `new Stripe(key, { host, port, protocol: 'http' })`. It records every request with its
// Idempotency-Key, answers Stripe-shaped JSON, replays the stored answer (500s included) for a
// repeated key as Stripe does, and can be told to fail the next N calls with a 500 (stored for the
// key, like Stripe) or by dropping the connection (nothing stored).
//
// For a browser it also plays the part of Stripe's servers behind Stripe.js: it keeps the
// PaymentIntents it created, confirms one from the page (POST /v1/payment_intents/:id/confirm
// with the publishable key and the client secret, CORS open) with Stripe's test payment methods
// (`pm_card_chargeDeclined` is declined with `card_declined`, any other `pm_card_*` paid), and
// then sends `payment_intent.succeeded` or `payment_intent.payment_failed` to the webhook URL it
// was given, signed with the stripe library's `generateTestHeaderString`. It serves scripts
// registered with `serve` (a stand-in of Stripe.js) from the same origin.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | null;
  readonly params: Record<string, unknown>;
  readonly replayed: boolean;
}

type Failure = '500' | 'drop';

/** A webhook the stand-in sent, with the status the receiver answered (0: no answer). */
export interface StandInWebhook {
  readonly type: string;
  readonly paymentIntentId: string;
  readonly status: number;
}

type Intent = Record<string, unknown> & { id: string; amount: number; client_secret: string; status: string };

const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': 'content-type' };
const CONFIRM_PATH = /^\/v1\/payment_intents\/(pi_[A-Za-z0-9]+)\/confirm$/;
const DECLINED_PAYMENT_METHOD = 'pm_card_chargeDeclined';
const WEBHOOK_ATTEMPTS = 5;

/** `metadata[a]=1&amount=5` → { metadata: { a: '1' }, amount: '5' } (one level, as Stripe encodes it). */
function parseForm(body: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const match = /^([^[]+)\[([^\]]+)\]$/.exec(name);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      const nested = (params[match[1]] ??= {}) as Record<string, string>;
      nested[match[2]] = value;
    } else params[name] = value;
  }
  return params;
}

export class StripeStandIn {
  readonly requests: StandInRequest[] = [];
  private readonly stored = new Map<string, { status: number; body: string }>();
  private readonly failures: Failure[] = [];
  private counter = 0;
  private readonly createdCounts = new Map<string, number>();
  private server: Server | null = null;
  private readonly intents = new Map<string, Intent>();
  private readonly scripts = new Map<string, string>();
  private webhookTarget: { readonly url: string; readonly secret: string } | null = null;
  private readonly signer = new Stripe('sk_test_standin');
  private readonly deliveries: Promise<void>[] = [];
  private gate: Promise<void> = Promise.resolve();
  readonly webhooks: StandInWebhook[] = [];
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The PaymentIntents created, oldest first. */
  paymentIntentIds(): string[] {
    return [...this.intents.keys()];
  }

  /** Serves `source` as JavaScript at `path` (GET). */
  serve(path: string, source: string): void {
    this.scripts.set(path, source);
  }

  /** Where confirmed PaymentIntents' events go, signed with `secret`. */
  sendWebhooksTo(url: string, secret: string): void {
    this.webhookTarget = { url, secret };
  }

  /** Holds back webhooks (as a slow Stripe would) until the returned function is called. */
  holdWebhooks(): () => void {
    let release = (): void => undefined;
    this.gate = new Promise((resolve) => (release = resolve));
    return release;
  }

  /** Waits for every webhook sent so far to be delivered or given up. */
  async webhooksSettled(): Promise<void> {
    await Promise.all(this.deliveries);
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      void this.read(request).then((body) => {
        const key = (request.headers['idempotency-key'] as string | undefined) ?? null;
        const [path = '', search = ''] = (request.url ?? '').split('?');
        if (request.method === 'OPTIONS') {
          response.writeHead(204, CORS);
          return response.end();
        }
        const script = request.method === 'GET' ? this.scripts.get(path) : undefined;
        if (script !== undefined) {
          response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store', ...CORS });
          return response.end(script);
        }
        const params = parseForm(request.method === 'GET' ? search : body);
        const storedKey = key === null ? null : `${path} ${key}`;
        const stored = storedKey === null ? undefined : this.stored.get(storedKey);
        this.requests.push({ method: request.method ?? '', path, idempotencyKey: key, params, replayed: stored !== undefined });
        if (stored !== undefined) return this.send(response, stored.status, stored.body, true);
        const failure = this.failures.shift();
        if (failure === 'drop') return request.socket.destroy();
        const answer = failure === '500'
          ? { status: 500, body: JSON.stringify({ error: { type: 'api_error', message: 'stand-in failure' } }) }
          : this.answer(request.method ?? '', path, params);
        if (storedKey !== null) this.stored.set(storedKey, answer);
        if (answer.status === 200) this.createdCounts.set(path, this.created(path) + 1);
        this.send(response, answer.status, answer.body, false);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** The next `count` calls that are not replays fail this way. */
  failNext(count: number, how: Failure): void {
    for (let i = 0; i < count; i++) this.failures.push(how);
  }

  /** Objects created at `path` (answered 200, replays not counted). */
  created(path: string): number {
    return this.createdCounts.get(path) ?? 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private answer(method: string, path: string, params: Record<string, unknown>): { status: number; body: string } {
    const n = ++this.counter;
    const amount = Number(params['amount']);
    const metadata = params['metadata'] ?? {};
    if (method === 'POST' && path === '/v1/payment_intents') {
      const id = `pi_standin${n}`;
      const intent: Intent = { id, object: 'payment_intent', amount, amount_received: 0, currency: params['currency'], status: 'requires_payment_method', client_secret: `${id}_secret_${n}`, metadata, last_payment_error: null, livemode: false };
      this.intents.set(id, intent);
      return { status: 200, body: JSON.stringify(intent) };
    }
    const confirm = method === 'POST' ? CONFIRM_PATH.exec(path) : null;
    if (confirm?.[1] !== undefined) return this.confirm(confirm[1], params);
    if (method === 'POST' && path === '/v1/payouts') {
      return { status: 200, body: JSON.stringify({ id: `po_standin${n}`, object: 'payout', amount, currency: params['currency'], status: 'pending', metadata, livemode: false }) };
    }
    return { status: 404, body: JSON.stringify({ error: { type: 'invalid_request_error', message: `no stand-in for ${method} ${path}` } }) };
  }

  /** A confirmation from Stripe.js: the publishable key, the intent's client secret and a test payment method. */
  private confirm(id: string, params: Record<string, unknown>): { status: number; body: string } {
    const intent = this.intents.get(id);
    const error = (status: number, type: string, code: string, message: string, extra: object = {}): { status: number; body: string } =>
      ({ status, body: JSON.stringify({ error: { type, code, message, ...extra } }) });
    if (typeof params['key'] !== 'string' || !params['key'].startsWith('pk_test_')) return error(401, 'invalid_request_error', 'api_key_invalid', 'Invalid publishable key.');
    if (intent === undefined || params['client_secret'] !== intent.client_secret) return error(404, 'invalid_request_error', 'resource_missing', `No such payment_intent: '${id}'`);
    if (intent.status !== 'requires_payment_method') {
      return error(400, 'invalid_request_error', 'payment_intent_unexpected_state', `This PaymentIntent's status is ${intent.status}, so it cannot be confirmed.`, { payment_intent: intent });
    }
    const paymentMethod = params['payment_method'];
    if (typeof paymentMethod !== 'string' || !paymentMethod.startsWith('pm_card_')) return error(400, 'invalid_request_error', 'parameter_missing', 'Missing required param: payment_method.');
    if (paymentMethod === DECLINED_PAYMENT_METHOD) {
      const declined = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
      Object.assign(intent, { last_payment_error: declined });
      this.sendWebhook('payment_intent.payment_failed', { ...intent });
      return error(402, 'card_error', 'card_declined', 'Your card was declined.', { decline_code: 'generic_decline', payment_intent: intent });
    }
    Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, last_payment_error: null, payment_method: paymentMethod });
    this.sendWebhook('payment_intent.succeeded', { ...intent });
    return { status: 200, body: JSON.stringify(intent) };
  }

  /** Sends the event after the answer, retrying a few times like Stripe while the receiver does not answer 2xx. */
  private sendWebhook(type: string, intent: Intent): void {
    const target = this.webhookTarget;
    if (target === null) return;
    const event = { id: `evt_standin${++this.counter}`, object: 'event', api_version: '2026-10-28', created: Math.floor(Date.now() / 1000), livemode: false, type, data: { object: intent } };
    const payload = JSON.stringify(event);
    const gate = this.gate;
    const deliver = async (): Promise<void> => {
      await gate;
      let status = 0;
      for (let attempt = 0; attempt < WEBHOOK_ATTEMPTS && (status < 200 || status >= 300); attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        const signature = this.signer.webhooks.generateTestHeaderString({ payload, secret: target.secret });
        try {
          const response = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature }, body: payload });
          status = response.status;
          await response.arrayBuffer();
        } catch {
          status = 0;
        }
      }
      this.webhooks.push({ type, paymentIntentId: intent.id, status });
    };
    this.deliveries.push(new Promise((resolve) => setTimeout(resolve, 20)).then(deliver));
  }

  private send(response: import('node:http').ServerResponse, status: number, body: string, replayed: boolean): void {
    response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_standin${this.counter}`, ...CORS, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) });
    response.end(body);
  }

  private read(request: IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => resolve(body));
    });
  }
}
