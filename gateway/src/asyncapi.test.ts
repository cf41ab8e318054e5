// The AsyncAPI document: one receive operation per client message and one send operation per
// server message, every reference resolving, the payloads being the very schemas the server
// checks client messages with, and examples from the reference accepted by them.

import { describe, expect, it } from 'vitest';
import { Compile } from 'typebox/compile';
import { buildAsyncApi } from './asyncapi.js';
import { ClientSchemas, parseClientMessage } from './ws-messages.js';
import { serverMessageProblem, ServerSchemas } from './ws-server-schemas.js';

const doc = buildAsyncApi() as {
  asyncapi: string;
  channels: { exchange: { address: string; messages: Record<string, { payload: unknown }> } };
  operations: Record<string, { action: string; messages: Array<{ $ref: string }> }>;
};

describe('the AsyncAPI document', () => {
  it('has a receive operation per client message and a send operation per server message, every reference resolving', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.channels.exchange.address).toBe('/v1/ws');
    const received = Object.values(doc.operations).filter((o) => o.action === 'receive').map((o) => o.messages[0]?.$ref.split('/').at(-1));
    const sent = Object.values(doc.operations).filter((o) => o.action === 'send').map((o) => o.messages[0]?.$ref.split('/').at(-1));
    expect(received.sort()).toEqual(Object.keys(ClientSchemas).sort());
    expect(sent.sort()).toEqual(Object.keys(ServerSchemas).sort());
    for (const operation of Object.values(doc.operations)) {
      const name = operation.messages[0]?.$ref.replace('#/channels/exchange/messages/', '') ?? '';
      expect(doc.channels.exchange.messages[name], name).toBeDefined();
    }
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('publishes payloads that accept and refuse what the server accepts and refuses', () => {
    const placeSchema = Compile(doc.channels.exchange.messages['place']?.payload as never);
    const good = { id: 1, type: 'place', clientOrderId: 'q1', marketId: 7, runnerIndex: 0, side: 'back', priceTicks: 100, stakeMinor: 500 };
    const bad = [{ ...good, stakeMinor: 1.5 }, { ...good, stakeMinor: '500' }, { ...good, extra: true }, { ...good, side: 'both' }];
    expect(placeSchema.Check(good)).toBe(true);
    expect(parseClientMessage(good).ok).toBe(true);
    for (const message of bad) {
      expect(placeSchema.Check(message), JSON.stringify(message)).toBe(false);
      expect(parseClientMessage(message).ok).toBe(false);
    }
  });

  it('describes server messages strictly: a wrong type, an unknown field or a float amount is refused', () => {
    const pong = { type: 'pong', id: 3, serverTimeMs: 1_767_225_600_000 };
    expect(serverMessageProblem(pong)).toBeNull();
    expect(serverMessageProblem({ ...pong, extra: 1 })).not.toBeNull();
    expect(serverMessageProblem({ type: 'nope' })).toMatch(/unknown message type/);
    const account = { type: 'order_updates', publishTimeMs: 1, updates: [{ kind: 'account', balanceMinor: 100, exposureMinor: 0, availableMinor: 100 }] };
    expect(serverMessageProblem(account)).toBeNull();
    expect(serverMessageProblem({ ...account, updates: [{ kind: 'account', balanceMinor: 100.5, exposureMinor: 0, availableMinor: 100 }] })).not.toBeNull();
  });
});
