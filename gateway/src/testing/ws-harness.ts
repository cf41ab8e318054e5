// Integration-test harness: an in-process engine partition on a file journal in a temp dir, the
// WebSocket server on a free port in front of it, JWT signing, and a raw `ws` test client that
// records every message it receives.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, decode } from '@msgpack/msgpack';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import WebSocket from 'ws';
import type { AccountId, Command, EngineEvent } from '@playchacha/protocol';
import { FileEventLog } from '../../../engine/src/io/file-event-log.js';
import { FileJournal, FileLeadership } from '../../../engine/src/io/file-journal.js';
import { EnginePartition } from '../../../engine/src/io/partition.js';
import { FileSnapshotStore } from '../../../engine/src/io/snapshot-stores.js';
import { TokenOrApiKeyAuthenticator } from '../auth.js';
import { PartitionLink } from '../partition-link.js';
import { WS_PATH, WsServer, type WsServerOptions } from '../ws-server.js';
import type { ServerMessage } from '../ws-messages.js';
import { serverMessageProblem } from '../ws-server-schemas.js';

export const JWT_SECRET = new TextEncoder().encode('test-secret-test-secret-test-secret-0123');
export const JWT_ISSUER = 'https://auth.playchacha.test';
export const JWT_AUDIENCE = 'playchacha-ws';
export const MAKER_API_KEY = 'mm-key-0123456789abcdef';

export interface Harness {
  /** Holds the partition's journal (`journal/`) and snapshots (`snapshots/`). */
  readonly dir: string;
  readonly partition: EnginePartition;
  /** With `{ eventLog: true }`: the events log the partition publishes to (as on the embedded default). */
  readonly eventLog: FileEventLog | null;
  readonly link: PartitionLink;
  readonly server: WsServer;
  readonly url: string;
  submit(command: Command): Promise<readonly EngineEvent[]>;
  stop(): Promise<void>;
}

export async function startHarness(
  options: Partial<WsServerOptions> = {},
  apiKeys: ReadonlyMap<string, AccountId> = new Map([[MAKER_API_KEY, 1]]),
  engine: { eventLog?: boolean } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-ws-'));
  const logger = pino({ level: 'silent' });
  const journal = await FileJournal.open(join(dir, 'journal'), 'p0');
  const eventLog = engine.eventLog === true ? await FileEventLog.open(join(dir, 'events'), 'p0') : null;
  const partition = new EnginePartition({
    partition: 'p0',
    journal,
    leadership: new FileLeadership(join(dir, 'journal'), 'p0', { leaseMs: 5_000 }),
    snapshots: new FileSnapshotStore(join(dir, 'snapshots')),
    ...(eventLog === null ? {} : { sink: eventLog }),
    logger,
    standbyPollMs: 5,
  });
  await partition.start();
  for (let i = 0; i < 400 && partition.role !== 'leader'; i++) await sleep(5);
  if (partition.role !== 'leader') throw new Error(`partition did not lead: ${partition.role}`);
  const link = new PartitionLink(partition);
  const authenticator = new TokenOrApiKeyAuthenticator({ secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE }, apiKeys);
  const server = await WsServer.start({ link, authenticator, port: 0, ...options });
  return {
    dir,
    partition,
    eventLog,
    link,
    server,
    url: `ws://127.0.0.1:${server.port}${WS_PATH}`,
    submit: (command) => partition.submit(command),
    stop: async () => {
      await server.close();
      await partition.stop();
      await journal.close();
      await eventLog?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens accounts with deposits and markets (standard ladder). */
export async function seed(h: Harness, accounts: readonly AccountId[], markets: ReadonlyArray<{ marketId: number; runnerCount: number }>, depositMinor = 1_000_000_00): Promise<void> {
  for (const accountId of accounts) {
    await h.submit({ type: 'OpenAccount', accountId });
    await h.submit({ type: 'Deposit', accountId, transferId: `seed-${accountId}`, amountMinor: depositMinor });
  }
  for (const market of markets) await h.submit({ type: 'CreateMarket', ...market });
}

export function signToken(accountId: AccountId, overrides: { audience?: string; issuer?: string; expiresInSeconds?: number; secret?: Uint8Array } = {}): Promise<string> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(accountId))
    .setIssuer(overrides.issuer ?? JWT_ISSUER)
    .setAudience(overrides.audience ?? JWT_AUDIENCE)
    .setIssuedAt(nowSeconds - 10)
    .setExpirationTime(nowSeconds + (overrides.expiresInSeconds ?? 600))
    .sign(overrides.secret ?? JWT_SECRET);
}

/** A raw client: sends JSON or msgpack frames as given, records every message it gets. */
function checkServerMessage(data: WebSocket.RawData, isBinary: boolean): void {
  const message: unknown = isBinary ? decode(data as Buffer) : JSON.parse(String(data));
  const problem = serverMessageProblem(message);
  if (problem !== null) {
    const error = new Error(`the server sent a message outside its schema: ${problem}\n${JSON.stringify(message)}`);
    console.error(error.message);
    throw error;
  }
}

/** A `ws` WebSocket that checks every message it receives against the published schemas. */
export class CheckedWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.on('message', checkServerMessage);
  }
}

export class TestClient {
  readonly messages: ServerMessage[] = [];
  closeCode: number | null = null;
  closeReason = '';
  private nextId = 1;
  private readonly waiters: Array<{ test: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }> = [];
  private readonly closed: Promise<number>;

  private constructor(
    readonly socket: WebSocket,
    readonly encoding: 'json' | 'msgpack',
  ) {
    socket.on('message', (data, isBinary) => {
      // Every message a test receives must match the published schema of its type.
      checkServerMessage(data, isBinary);
      const message = (isBinary ? decode(data as Buffer) : JSON.parse(String(data))) as ServerMessage;
      this.messages.push(message);
      for (const waiter of [...this.waiters]) {
        if (waiter.test(message)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = String(reason);
        resolve(code);
      }),
    );
  }

  static async open(url: string, init: { query?: Record<string, string>; headers?: Record<string, string>; encoding?: 'json' | 'msgpack' } = {}): Promise<TestClient> {
    const query = new URLSearchParams(init.query ?? {});
    if (init.encoding === 'msgpack') query.set('encoding', 'msgpack');
    const socket = new WebSocket(`${url}?${query.toString()}`, { headers: init.headers ?? {} });
    const client = new TestClient(socket, init.encoding ?? 'json');
    await client.next((m) => m.type === 'hello');
    return client;
  }

  static async token(url: string, accountId: AccountId, query: Record<string, string> = {}, encoding: 'json' | 'msgpack' = 'json'): Promise<TestClient> {
    return TestClient.open(url, { headers: { authorization: `Bearer ${await signToken(accountId)}` }, query, encoding });
  }

  /**
   * Resolves with the first message (already received or not) that passes the test. The timeout
   * only ends a test that would otherwise hang; it is generous because a loaded CI machine can
   * stall an fsync for seconds, and tests never assert on speed.
   */
  next(test: (m: ServerMessage) => boolean, timeoutMs = 20_000): Promise<ServerMessage> {
    const seen = this.messages.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const startedAtMs = Date.now();
      const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms (timer fired after ${Date.now() - startedAtMs} ms); got ${JSON.stringify(this.messages.slice(-5))}`)), timeoutMs);
      this.waiters.push({ test, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  /** Sends a message with a fresh id and waits for the reply that echoes it. */
  async request(message: Record<string, unknown>): Promise<ServerMessage> {
    const id = this.nextId++;
    this.sendRaw({ id, ...message });
    return this.next((m) => 'id' in m && m.id === id);
  }

  sendRaw(value: unknown): void {
    this.socket.send(this.encoding === 'json' ? JSON.stringify(value) : encode(value));
  }

  sendBytes(bytes: Uint8Array | string, binary: boolean): void {
    this.socket.send(bytes, { binary });
  }

  waitClosed(timeoutMs = 5_000): Promise<number> {
    return Promise.race([this.closed, sleep(timeoutMs).then(() => { throw new Error('not closed'); })]);
  }

  close(): Promise<number> {
    this.socket.close(1000);
    return this.closed;
  }
}

/** Tries an upgrade; resolves with the HTTP status of a rejection, or 101 when it upgraded. */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('upgrade', () => {
      resolve(101);
    });
    socket.on('open', () => socket.close());
    socket.on('error', () => undefined);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
