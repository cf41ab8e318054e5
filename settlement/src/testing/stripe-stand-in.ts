// A local stand-in for the few Stripe API endpoints the payments service calls
// (POST /v1/payment_intents, POST /v1/payouts), on 127.0.0.1 for
// `new Stripe(key, { host, port, protocol: 'http' })`. It records every request with its
// Idempotency-Key, answers Stripe-shaped JSON, replays the stored answer (500s included) for a
// repeated key as Stripe does, and can be told to fail the next N calls with a 500 (stored for the
// key, like Stripe) or by dropping the connection (nothing stored).

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | null;
  readonly params: Record<string, unknown>;
  readonly replayed: boolean;
}

type Failure = '500' | 'drop';

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
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      void this.read(request).then((body) => {
        const key = (request.headers['idempotency-key'] as string | undefined) ?? null;
        const path = request.url ?? '';
        const params = parseForm(body);
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
      return { status: 200, body: JSON.stringify({ id, object: 'payment_intent', amount, amount_received: 0, currency: params['currency'], status: 'requires_payment_method', client_secret: `${id}_secret_${n}`, metadata, livemode: false }) };
    }
    if (method === 'POST' && path === '/v1/payouts') {
      return { status: 200, body: JSON.stringify({ id: `po_standin${n}`, object: 'payout', amount, currency: params['currency'], status: 'pending', metadata, livemode: false }) };
    }
    return { status: 404, body: JSON.stringify({ error: { type: 'invalid_request_error', message: `no stand-in for ${method} ${path}` } }) };
  }

  private send(response: import('node:http').ServerResponse, status: number, body: string, replayed: boolean): void {
    response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_standin${this.counter}`, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) });
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
