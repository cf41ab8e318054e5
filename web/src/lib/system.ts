// GET /v1/admin/system: the gateway's health and the sampled series for the admin dashboard.

import { api } from './session.svelte';

export interface SystemHealth {
  readonly sampledAtMs: number;
  readonly engine: { readonly followedSeq: number; readonly appliedSeq: number | null; readonly lagCommands: number | null };
  readonly journal: { readonly lagCommands: number | null };
  readonly settlement: { readonly lagCommands: number | null };
  readonly connections: { readonly accounts: number; readonly anonymous: number };
  readonly errors: { readonly wsErrorsTotal: number; readonly http5xxTotal: number; readonly wsErrorsPerMinute: number; readonly http5xxPerMinute: number };
  readonly series: {
    readonly intervalMs: number;
    readonly samples: ReadonlyArray<{ readonly atMs: number; readonly exposureMinor: number; readonly matchedMinor: number }>;
  };
}

export function systemHealth(): Promise<SystemHealth> {
  return api<SystemHealth>('/v1/admin/system');
}

/** A lag as the panel shows it: ok at 0, a warning above, unknown where it is not measured here. */
export function lagState(lagCommands: number | null, warnAbove = 100): 'ok' | 'behind' | 'warn' | 'unknown' {
  if (lagCommands === null) return 'unknown';
  if (lagCommands === 0) return 'ok';
  return lagCommands > warnAbove ? 'warn' : 'behind';
}
