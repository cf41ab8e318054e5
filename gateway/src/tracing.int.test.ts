// One order traced across real processes: a gateway following a separate engine process over
// Redis (ENGINE_REMOTE=1), the engine process, and the settlement worker process, each exporting
// spans over OTLP/HTTP (JSON) to a receiver in this test. The order's REST request span, the
// engine's span of its command (a child of the request's span, through the inbox and the journal)
// and the settlement batch that posted its events (linked to the request's span, through the
// events stream) share one trace id.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineProcess } from '@playchacha/engine/testing';
import { sharedPostgres, sharedRedis, type SharedServer } from '../../scripts/test-context.js';
import { freshDatabase } from '../../settlement/src/testing/fresh-database.js';
import { WorkerProcess } from '../../settlement/src/testing/worker-process.js';
import { GatewayProcess } from './testing/gateway-process.js';

const PASSWORD = 'correct horse battery staple';

/** A span as the OTLP/HTTP JSON encoding carries it (ids in hex). */
interface ReceivedSpan {
  readonly service: string;
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly links: ReadonlyArray<{ traceId: string; spanId: string }>;
}

interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ name: string; traceId: string; spanId: string; parentSpanId?: string; links?: Array<{ traceId: string; spanId: string }> }> }>;
  }>;
}

/** An OTLP/HTTP receiver: POST /v1/traces with the JSON encoding; keeps every span. */
async function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; contentTypes: Set<string>; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      contentTypes.add(request.headers['content-type'] ?? '');
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString()) as OtlpRequest;
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({ service, name: span.name, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId ?? '', links: span.links ?? [] });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`, spans, contentTypes, server };
}

let redisServer: SharedServer;
let postgresServer: SharedServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let engine: EngineProcess | null = null;
let gateway: GatewayProcess | null = null;
let worker: WorkerProcess | null = null;
let dataDir = '';

beforeAll(async () => {
  [redisServer, postgresServer] = await Promise.all([sharedRedis(), sharedPostgres()]);
  receiver = await startReceiver();
  dataDir = mkdtempSync(join(tmpdir(), 'gateway-tracing-'));
});

afterAll(async () => {
  await gateway?.stop();
  if (worker !== null && worker.child.exitCode === null) await worker.terminate();
  await engine?.stop();
  receiver?.server.close();
  if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
  await Promise.all([redisServer?.release(), postgresServer?.release()]);
});

async function waitForSpans(what: string, found: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!found()) {
    if (Date.now() > deadline) {
      const seen = receiver.spans.map((s) => `${s.service} ${s.name} ${s.traceId}`).join('\n');
      throw new Error(`no ${what} within ${timeoutMs} ms; spans:\n${seen}\n--- gateway ---\n${gateway?.output.slice(-3_000)}\n--- worker ---\n${worker?.output.slice(-3_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('one order traced from the gateway through the engine to the settlement worker', () => {
  it('shares one trace id across the three processes', async () => {
    const partition = `traced-${randomUUID().slice(0, 8)}`;
    const databaseUrl = await freshDatabase(postgresServer.url);
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    engine = await EngineProcess.spawn({ REDIS_URL: redisServer.url, PARTITION: partition, ...otel });
    await engine.waitForRole('leader');

    gateway = await GatewayProcess.start({
      env: {
        ...otel,
        ENGINE_REMOTE: '1',
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisServer.url,
        PARTITION: partition,
        JWT_SECRET: 'tracing-secret-of-at-least-thirty-two-bytes',
        ADMIN_EMAILS: 'admin@tracing.test',
        DATA_DIR: dataDir,
        DEMO: '0',
      },
      startTimeoutMs: 60_000,
    });
    worker = WorkerProcess.spawn({ DATABASE_URL: databaseUrl, REDIS_URL: redisServer.url, PARTITION: partition, CONSUMER: 'traced', ...otel });
    await worker.waitForOutput('settlement worker running', 60_000);

    const api = gateway.api;
    const post = async (path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': randomUUID() };
      if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
      const response = await fetch(`${api}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const login = async (email: string): Promise<string> => {
      await post('/v1/auth/register', { email, password: PASSWORD });
      return (await post('/v1/auth/login', { email, password: PASSWORD })).body['accessToken'] as string;
    };
    const admin = await login('admin@tracing.test');
    expect((await post('/v1/admin/markets', { marketId: 1, runnerCount: 2 }, admin)).status).toBe(201);
    const bettor = await login('bettor@tracing.test');
    expect((await post('/v1/deposits/test', { amountMinor: 10_000 }, bettor)).status).toBeLessThan(300);
    const placed = await post('/v1/orders', { marketId: 1, runnerIndex: 0, side: 'back', priceTicks: 99, stakeMinor: 500 }, bettor);
    expect(placed.status).toBe(201);

    const request = (): ReceivedSpan | undefined => receiver.spans.find((s) => s.service === 'gateway' && s.name === 'POST /v1/orders');
    await waitForSpans('gateway span of the order request', () => request() !== undefined);
    const { traceId, spanId } = request() as ReceivedSpan;
    const command = (): ReceivedSpan | undefined => receiver.spans.find((s) => s.service === 'engine' && s.traceId === traceId);
    await waitForSpans('engine span of the order command', () => command() !== undefined);
    expect(command()).toMatchObject({ name: 'engine PlaceOrder', parentSpanId: spanId });
    const batch = (): ReceivedSpan | undefined =>
      receiver.spans.find((s) => s.service === 'settlement' && s.links.some((link) => link.traceId === traceId && link.spanId === spanId));
    await waitForSpans('settlement batch linked to the order', () => batch() !== undefined);
    expect(batch()?.name).toBe('settlement batch');
    expect(new Set(receiver.spans.filter((s) => s.traceId === traceId || s.links.some((l) => l.traceId === traceId)).map((s) => s.service))).toEqual(
      new Set(['gateway', 'engine', 'settlement']),
    );
    expect([...receiver.contentTypes].every((type) => type.startsWith('application/json'))).toBe(true);
  });
});
