// The WebSocket API as an AsyncAPI 3.0 document, built from the schemas the server itself checks
// client messages with (ws-messages.ts) and the schemas of what it sends (ws-server-schemas.ts).
// Served at /docs/asyncapi.json beside the OpenAPI document and the markdown reference.

import type { TSchema } from 'typebox';
import { ClientSchemas, API_VERSION, type ClientMessageType } from './ws-messages.js';
import { ServerSchemas } from './ws-server-schemas.js';
import type { ServerMessageType } from './ws-messages.js';

const WS_ADDRESS = `/${API_VERSION}/ws`;

const CLIENT_SUMMARIES: Record<ClientMessageType, string> = {
  place: 'Place an order; answered by result once the engine journaled it.',
  cancel: 'Cancel an order, or reduce it (reduceByMinor) keeping its queue place.',
  replace: 'Cancel an order and place its unmatched remainder at a new price, atomically.',
  batch: 'Up to 200 place, cancel and replace instructions, all-or-none or best-effort.',
  mass_cancel: 'Cancel every open order of the account, optionally by market, runner and side.',
  subscribe_market: 'Market data: a snapshot (or, with fromSeq, the deltas after it), then deltas.',
  unsubscribe_market: 'Stop a market\'s data.',
  subscribe_event: 'Market data for every market of a catalog event, including markets added to it later: a snapshot of each, then deltas.',
  unsubscribe_event: 'Stop following an event, and the data of the markets subscribed through it.',
  subscribe_orders: 'The account\'s order stream: an image, then updates.',
  unsubscribe_orders: 'Stop the order stream.',
  set_cancel_on_disconnect: 'Cancel this account\'s orders if this connection drops and does not return within graceMs.',
  ping: 'Answered by pong.',
};

function plain(schema: TSchema): unknown {
  // TypeBox schemas carry symbol-keyed metadata; the document holds only JSON.
  return JSON.parse(JSON.stringify(schema));
}

export function buildAsyncApi(): Record<string, unknown> {
  const messages: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const type of Object.keys(ClientSchemas) as ClientMessageType[]) {
    messages[type] = { name: type, title: type, summary: CLIENT_SUMMARIES[type], contentType: 'application/json', payload: plain(ClientSchemas[type]) };
    operations[`receive_${type}`] = {
      action: 'receive',
      channel: { $ref: '#/channels/exchange' },
      summary: CLIENT_SUMMARIES[type],
      messages: [{ $ref: `#/channels/exchange/messages/${type}` }],
    };
  }
  for (const type of Object.keys(ServerSchemas) as ServerMessageType[]) {
    const schema = ServerSchemas[type];
    const summary = (schema as { description?: string }).description;
    messages[type] = { name: type, title: type, summary, contentType: 'application/json', payload: plain(schema) };
    operations[`send_${type}`] = {
      action: 'send',
      channel: { $ref: '#/channels/exchange' },
      summary,
      messages: [{ $ref: `#/channels/exchange/messages/${type}` }],
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Play ChaCha WebSocket API',
      version: API_VERSION,
      description:
        'Orders acknowledged after the durable journal frame, market data with sequence numbers and checksums, the private order ' +
        'stream and cancel-on-disconnect. Amounts are integers of minor units; prices are ticks of the market\'s ladder. JSON text ' +
        'frames by default; with ?encoding=msgpack the same messages as msgpack binary frames. The full reference is at /docs/websocket.',
    },
    defaultContentType: 'application/json',
    servers: {
      gateway: {
        host: 'localhost:8082',
        protocol: 'ws',
        pathname: WS_ADDRESS,
        description: 'The gateway\'s WebSocket port (GATEWAY_WS_PORT). Without credentials a connection gets market data only.',
        security: [{ $ref: '#/components/securitySchemes/bearer' }, { $ref: '#/components/securitySchemes/apiKey' }],
      },
    },
    channels: {
      exchange: {
        address: WS_ADDRESS,
        description: 'One connection carries every message; each client message has an id that its answer echoes.',
        messages,
      },
    },
    operations,
    components: {
      securitySchemes: {
        bearer: { type: 'httpBearerToken', bearerFormat: 'JWT', description: 'Authorization: Bearer <access token>, or ?access_token= in the URL.' },
        apiKey: { type: 'httpApiKey', name: 'X-Api-Key', in: 'header', description: 'A market maker\'s API key, or ?api_key= in the URL.' },
      },
    },
  };
}
