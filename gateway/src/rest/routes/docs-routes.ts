// The WebSocket protocol reference beside the OpenAPI document.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Type from 'typebox';
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
}
