// The system panel of the admin dashboard: the gateway's health now (engine, journal and ledger lag,
// connected clients, error rates) and the sampled series of total exposure and matched volume.

import Type from 'typebox';
import { requireAuth, requireRole, SECURED, type RestApp, type Services } from '../context.js';
import { errorResponses } from '../errors.js';
import { NoQuery, object } from '../schemas.js';
import type { SystemStats } from '../../system-stats.js';

const Count = Type.Integer({ minimum: 0 });
const NullableCount = Type.Union([Count, Type.Null()]);
const SystemHealth = object({
  sampledAtMs: Count,
  engine: object({
    followedSeq: Count,
    appliedSeq: NullableCount,
    lagCommands: Type.Union([Count, Type.Null()], { description: 'Commands the engine applied that the read models have not followed yet; null where the engine is in another process.' }),
  }),
  journal: object({ lagCommands: Type.Union([Count, Type.Null()], { description: 'Commands durable in the journal (of every partition this gateway follows) that its partition or replicas have not applied yet; 0 while it leads its partition.' }) }),
  settlement: object({ lagCommands: Type.Union([Count, Type.Null()], { description: 'Commands applied by the engine and not yet in the ledger; null where the ledger is kept by another process.' }) }),
  connections: object({ accounts: Count, anonymous: Count }),
  errors: object({ wsErrorsTotal: Count, http5xxTotal: Count, wsErrorsPerMinute: Count, http5xxPerMinute: Count }),
  series: object({
    intervalMs: Type.Integer({ minimum: 1 }),
    samples: Type.Array(object({
      atMs: Count,
      exposureMinor: Type.Integer({ minimum: 0, description: 'The users\' total exposure at the end of the interval.' }),
      matchedMinor: Type.Integer({ minimum: 0, description: 'Backer\'s stake matched in the interval.' }),
      wsErrors: Count,
      http5xx: Count,
    })),
  }),
}, 'The gateway\'s health now and the sampled series, oldest first (the last interval still open).');

export function adminSystemRoutes(app: RestApp, services: Services, stats: SystemStats): void {
  app.get('/v1/admin/system', {
    preValidation: [requireAuth(services), requireRole('admin')],
    schema: {
      tags: ['admin'],
      summary: 'System health (engine, journal and ledger lag, connected clients, error rates) and exposure and matched volume over time',
      security: SECURED,
      querystring: NoQuery,
      response: { 200: SystemHealth, ...errorResponses(401, 403) },
    },
  }, async () => stats.health());
}
