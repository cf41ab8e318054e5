// The WebSocket protocol reference (markdown) and its AsyncAPI document beside the OpenAPI document.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Type from 'typebox';
import { buildAsyncApi } from '../../asyncapi.js';
import type { RestApp } from '../context.js';

export const WEBSOCKET_DOC_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'websocket-api.md');

export function docsRoutes(app: RestApp): void {
  const markdown = readFileSync(WEBSOCKET_DOC_PATH, 'utf8');
  app.get('/docs/websocket', {
    schema: {
      tags: ['docs'],
      summary: 'The WebSocket API reference (markdown)',
      response: { 200: Type.String({ description: 'text/markdown' }) },
    },
  }, async (_request, reply) => reply.type('text/markdown; charset=utf-8').send(markdown));

  const asyncApi = buildAsyncApi();
  app.get('/docs/asyncapi.json', {
    schema: {
      tags: ['docs'],
      summary: 'The WebSocket API as an AsyncAPI 3.0 document',
      response: { 200: Type.Object({}, { additionalProperties: true, description: 'application/json' }) },
    },
  }, async (_request, reply) => reply.type('application/json; charset=utf-8').send(asyncApi));
}
