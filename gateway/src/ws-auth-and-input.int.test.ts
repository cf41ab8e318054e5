// The door: authentication before the 101 (JWT and API key), connection and message-rate limits,
// and the bad-input list — each bad frame gets a stable error code and changes nothing.

import { encode } from '@msgpack/msgpack';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WS_CLOSE_CODES } from './ws-errors.js';
import { JWT_AUDIENCE, JWT_ISSUER, MAKER_API_KEY, seed, signToken, sleep, startHarness, TestClient, upgradeStatus, type Harness } from './testing/ws-harness.js';

const MARKET = 3;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ connectionsPerAccountMax: 2, anonymousConnectionsPerAddressMax: 2, messagesPerSecond: 20, messageBurst: 40, maxPayloadBytes: 16 * 1024 });
  await seed(h, [1, 2, 4, 5], [{ marketId: MARKET, runnerCount: 2 }]);
});
afterAll(async () => h.stop());

describe('authentication at the upgrade', () => {
  it('upgrades with a valid bearer token, a token in the query, or an API key', async () => {
    expect(await upgradeStatus(h.url, { authorization: `Bearer ${await signToken(2)}` })).toBe(101);
    expect(await upgradeStatus(`${h.url}?access_token=${await signToken(2)}`)).toBe(101);
    expect(await upgradeStatus(h.url, { 'x-api-key': MAKER_API_KEY })).toBe(101);
    const maker = await TestClient.open(h.url, { headers: { 'x-api-key': MAKER_API_KEY } });
    expect(maker.messages[0]).toMatchObject({ type: 'hello', accountId: 1, version: 'v1' });
    await maker.close();
  });

  it('opens a connection without credentials for market data only, capped per remote address', async () => {
    const viewer = await TestClient.open(h.url);
    expect(viewer.messages[0]).toMatchObject({ type: 'hello', accountId: null, cancelOnDisconnectMs: 0 });
    expect(await viewer.request({ type: 'subscribe_market', marketId: MARKET })).toMatchObject({ type: 'market_snapshot', marketId: MARKET });
    expect(await viewer.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    const place = { type: 'place', clientOrderId: 'anon-1', marketId: MARKET, runnerIndex: 0, side: 'back', priceTicks: 10, stakeMinor: 100 };
    for (const message of [place, { type: 'subscribe_orders' }, { type: 'mass_cancel', marketId: MARKET }, { type: 'set_cancel_on_disconnect', graceMs: 1000 }]) {
      expect(await viewer.request(message)).toMatchObject({ type: 'error', code: 'login_required' });
    }
    expect(h.server.orders.image(0).open).toEqual([]);
    // The third anonymous connection from one address is refused; an account's are counted apart.
    const second = await TestClient.open(h.url);
    expect(await upgradeStatus(h.url)).toBe(429);
    expect(await upgradeStatus(h.url, { authorization: `Bearer ${await signToken(2)}` })).toBe(101);
    await second.close();
    await viewer.close();
  });

  it('refuses connections without credentials when anonymous access is off', async () => {
    const closed = await startHarness({ anonymousConnectionsPerAddressMax: 0 });
    try {
      expect(await upgradeStatus(closed.url)).toBe(401);
    } finally {
      await closed.stop();
    }
  });

  it('answers 401 before upgrading for an unsigned, expired, wrong-audience, wrong-issuer or tampered token, or an unknown API key', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const unsigned = new UnsecuredJWT({}).setSubject('2').setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setExpirationTime(nowSeconds + 600).encode();
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('2')
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setExpirationTime(nowSeconds - 60)
      .sign(new TextEncoder().encode('test-secret-test-secret-test-secret-0123'));
    const valid = await signToken(2);
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url');
    const cases: Record<string, Record<string, string>> = {
      'empty bearer': { authorization: 'Bearer ' },
      'alg none': { authorization: `Bearer ${unsigned}` },
      expired: { authorization: `Bearer ${expired}` },
      'wrong audience': { authorization: `Bearer ${await signToken(2, { audience: 'someone-else' })}` },
      'wrong issuer': { authorization: `Bearer ${await signToken(2, { issuer: 'https://evil.test' })}` },
      'other secret': { authorization: `Bearer ${await signToken(2, { secret: new TextEncoder().encode('another-secret-another-secret-0123456') })}` },
      tampered: { authorization: `Bearer ${header}.${tamperedPayload}.${signature}` },
      'garbage token': { authorization: 'Bearer not.a.jwt' },
      'unknown api key': { 'x-api-key': 'mm-key-wrong' },
    };
    for (const [name, headers] of Object.entries(cases)) {
      expect({ name, status: await upgradeStatus(h.url, headers) }).toEqual({ name, status: 401 });
    }
  });

  it('refuses an upgrade beyond the connections allowed per account with 429', async () => {
    const a = await TestClient.token(h.url, 4);
    const b = await TestClient.token(h.url, 4);
    expect(await upgradeStatus(h.url, { authorization: `Bearer ${await signToken(4)}` })).toBe(429);
    await a.close();
    for (let i = 0; i < 100 && h.server.connectionsOf(4) > 1; i++) await sleep(5);
    expect(await upgradeStatus(h.url, { authorization: `Bearer ${await signToken(4)}` })).toBe(101);
    await b.close();
  });

  it('closes the connection when its token expires', async () => {
    const token = await signToken(5, { expiresInSeconds: 1 });
    const client = await TestClient.open(h.url, { headers: { authorization: `Bearer ${token}` } });
    // jose allows 5 s of clock tolerance at the upgrade; the connection ends at exp itself.
    expect(await client.waitClosed(4_000)).toBe(WS_CLOSE_CODES.tokenExpired);
  });

  it('rejects a bad query parameter with 400', async () => {
    expect(await upgradeStatus(`${h.url}?encoding=xml&access_token=${await signToken(2)}`)).toBe(400);
    expect(await upgradeStatus(`${h.url}?cancelOnDisconnectMs=-5&access_token=${await signToken(2)}`)).toBe(400);
  });
});

describe('bad input', () => {
  const place = { type: 'place', clientOrderId: 'x-1', marketId: MARKET, runnerIndex: 0, side: 'back', priceTicks: 100, stakeMinor: 1_00 };

  it('answers each bad frame with a stable code and changes nothing', async () => {
    const client = await TestClient.token(h.url, 2);
    const hashBefore = h.partition.core.stateHash();
    const seqBefore = h.partition.appliedSeq;
    const bad: Array<[string, Record<string, unknown>, string, string?]> = [
      ['NaN stake', { ...place, stakeMinor: Number.NaN }, 'invalid_field', '/stakeMinor'],
      ['negative stake', { ...place, stakeMinor: -1 }, 'invalid_field', '/stakeMinor'],
      ['zero stake', { ...place, stakeMinor: 0 }, 'invalid_field', '/stakeMinor'],
      ['fractional stake', { ...place, stakeMinor: 1.5 }, 'invalid_field', '/stakeMinor'],
      ['string stake', { ...place, stakeMinor: '1000' }, 'invalid_field', '/stakeMinor'],
      ['huge stake', { ...place, stakeMinor: 2 ** 53 + 1 }, 'invalid_field', '/stakeMinor'],
      ['stake over the maximum', { ...place, stakeMinor: 10_000_000_001 }, 'invalid_field', '/stakeMinor'],
      ['negative price', { ...place, priceTicks: -1 }, 'invalid_field', '/priceTicks'],
      ['fractional price', { ...place, priceTicks: 2.21 }, 'invalid_field', '/priceTicks'],
      ['string price', { ...place, priceTicks: '2.5' }, 'invalid_field', '/priceTicks'],
      ['bad side', { ...place, side: 'buy' }, 'invalid_field', '/side'],
      ['accountId', { ...place, accountId: 1 }, 'forbidden_field', '/accountId'],
      ['isAdmin', { ...place, isAdmin: true }, 'forbidden_field', '/isAdmin'],
      ['unknown field', { ...place, colour: 'red' }, 'unknown_field', '/colour'],
      ['unknown type', { type: 'withdraw_all' }, 'unknown_type', '/type'],
      ['long client order id', { ...place, clientOrderId: 'x'.repeat(33) }, 'invalid_field', '/clientOrderId'],
      ['empty batch', { type: 'batch', mode: 'best_effort', instructions: [] }, 'invalid_field', '/instructions'],
      ['batch too large', { type: 'batch', mode: 'best_effort', instructions: Array.from({ length: 201 }, (_, i) => ({ kind: 'cancel', marketId: MARKET, orderId: i + 1 })) }, 'invalid_field', '/instructions'],
      ['accountId in a batch instruction', { type: 'batch', mode: 'best_effort', instructions: [{ kind: 'cancel', marketId: MARKET, orderId: 1, accountId: 1 }] }, 'forbidden_field', '/instructions/0/accountId'],
      ['conflation too long', { type: 'subscribe_market', marketId: MARKET, conflateMs: 120_001 }, 'invalid_field', '/conflateMs'],
    ];
    let id = 1000;
    for (const [name, body, code, field] of bad) {
      id++;
      client.sendRaw({ id, ...body });
      const reply = await client.next((m) => m.type === 'error' && m.id === id);
      expect({ name, code: reply.type === 'error' ? reply.code : null, field: reply.type === 'error' ? reply.field : null }).toEqual({ name, code, field: field ?? null });
    }
    // Frames without a usable id or not decodable.
    client.sendBytes('{"id":1,"type":"place",', false);
    expect(await client.next((m) => m.type === 'error' && m.code === 'malformed_frame')).toMatchObject({ id: null });
    client.sendBytes('[1,2,3]', false);
    expect(await client.next((m) => m.type === 'error' && m.code === 'not_an_object')).toMatchObject({ id: null });
    client.sendRaw({ type: 'ping' });
    expect(await client.next((m) => m.type === 'error' && m.code === 'invalid_id')).toMatchObject({ id: null });
    client.sendRaw({ id: 1.5, type: 'ping' });
    expect((await client.next((m) => m.type === 'error' && m.code === 'invalid_id' && client.messages.filter((x) => x.type === 'error' && x.code === 'invalid_id').length === 2)).type).toBe('error');
    for (const bytes of [[0xc1], [0x92, 0x01], [0xdd, 0xff, 0xff, 0xff, 0xff], [0xd4, 0x01, 0x01], [0xc4, 0x01, 0x00]]) {
      const before = client.messages.filter((m) => m.type === 'error' && m.code === 'malformed_frame').length;
      client.sendBytes(new Uint8Array(bytes), true);
      await client.next(() => client.messages.filter((m) => m.type === 'error' && m.code === 'malformed_frame').length > before);
    }
    // NaN and Infinity survive msgpack (float64), and are refused.
    client.socket.send(encode({ id: 77, ...place, stakeMinor: Number.NaN }), { binary: true });
    expect(await client.next((m) => m.type === 'error' && m.id === 77)).toMatchObject({ code: 'invalid_field', field: '/stakeMinor' });
    client.socket.send(encode({ id: 78, ...place, stakeMinor: Number.POSITIVE_INFINITY }), { binary: true });
    expect(await client.next((m) => m.type === 'error' && m.id === 78)).toMatchObject({ code: 'invalid_field', field: '/stakeMinor' });
    // The connection is still usable, and the engine saw nothing.
    expect((await client.request({ type: 'ping' })).type).toBe('pong');
    expect(h.partition.appliedSeq).toBe(seqBefore);
    expect(h.partition.core.stateHash()).toBe(hashBefore);
    await client.close();
  });

  it('answers odds off the market\'s ladder with the engine\'s invalid_price and changes nothing', async () => {
    const client = await TestClient.token(h.url, 2);
    const bookBefore = h.partition.core.bookSide(MARKET, 0, 'back');
    const accountBefore = h.partition.core.account(2);
    const reply = await client.request({ ...place, clientOrderId: 'off-ladder', priceTicks: 350 });
    expect(reply).toMatchObject({ type: 'result', results: [{ status: 'rejected', code: 'invalid_price' }] });
    // The rejection is journaled (the client order id is spent) but the books and funds are unchanged.
    expect(h.partition.core.openOrders().filter((o) => o.accountId === 2)).toEqual([]);
    expect(h.partition.core.bookSide(MARKET, 0, 'back')).toEqual(bookBefore);
    expect(h.partition.core.account(2)).toEqual(accountBefore);
    await client.close();
  });

  it('closes a frame over maxPayloadLength and stays healthy', async () => {
    const client = await TestClient.token(h.url, 2);
    client.sendBytes(JSON.stringify({ id: 1, type: 'ping', pad: 'x'.repeat(20_000) }), false);
    expect(await client.waitClosed()).toBe(1006);
    const again = await TestClient.token(h.url, 2);
    expect((await again.request({ type: 'ping' })).type).toBe('pong');
    await again.close();
  });

  it('closes a connection over its message rate with 1008', async () => {
    const client = await TestClient.token(h.url, 2);
    for (let i = 0; i < 200; i++) client.sendRaw({ id: i + 1, type: 'ping' });
    expect(await client.waitClosed()).toBe(WS_CLOSE_CODES.policyViolation);
    expect(client.closeReason).toBe('rate_limited');
  });
});
