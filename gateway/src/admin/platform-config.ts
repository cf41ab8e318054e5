// The platform configuration in PostgreSQL (migration 1764650000000): append-only versions, each
// with every value, who published it, when and why. The newest version is in force:
// - defaultCommissionBps: the commission of a market created without one (catalog and admin);
// - defaultAccountLimits: the trading limits a new account is opened with (null: no limit);
// - featureFlags: switches by name (FEATURE_FLAGS), each with its default when a version lacks it.

import type pg from 'pg';
import type { AccountId, AccountLimits } from '@playchacha/protocol';
import { inTransaction } from '../../../settlement/src/db/database.js';

export const FEATURE_FLAGS = {
  registrationOpen: { defaultValue: true, description: 'New users may register (POST /v1/auth/register); when off, registration answers 403 registration_closed.' },
} as const;

export type FeatureFlag = keyof typeof FEATURE_FLAGS;

export interface DefaultAccountLimits {
  readonly stakeMinorMax: number | null;
  readonly marketExposureMinorMax: number | null;
  readonly openOrdersMax: number | null;
}

export interface PlatformConfigValues {
  readonly defaultCommissionBps: number;
  readonly defaultAccountLimits: DefaultAccountLimits;
  readonly featureFlags: Readonly<Record<FeatureFlag, boolean>>;
}

export interface PlatformConfigVersion extends PlatformConfigValues {
  readonly version: number;
  /** null for the initial version. */
  readonly actorAccountId: AccountId | null;
  readonly reason: string;
  readonly createdAtMs: number;
}

interface ConfigRow {
  version: number;
  default_commission_bps: number;
  default_stake_minor_max: string | null;
  default_market_exposure_minor_max: string | null;
  default_open_orders_max: number | null;
  feature_flags: Record<string, unknown>;
  actor_account_id: string | null;
  reason: string;
  created_at: Date;
}

type Queryable = pg.Pool | pg.PoolClient;

const minorOrNull = (value: string | null): number | null => (value === null ? null : Number(value));

function toVersion(row: ConfigRow): PlatformConfigVersion {
  const featureFlags = {} as Record<FeatureFlag, boolean>;
  for (const [name, flag] of Object.entries(FEATURE_FLAGS) as Array<[FeatureFlag, (typeof FEATURE_FLAGS)[FeatureFlag]]>) {
    const stored = row.feature_flags[name];
    featureFlags[name] = typeof stored === 'boolean' ? stored : flag.defaultValue;
  }
  return {
    version: row.version,
    defaultCommissionBps: row.default_commission_bps,
    defaultAccountLimits: {
      stakeMinorMax: minorOrNull(row.default_stake_minor_max),
      marketExposureMinorMax: minorOrNull(row.default_market_exposure_minor_max),
      openOrdersMax: row.default_open_orders_max,
    },
    featureFlags,
    actorAccountId: row.actor_account_id === null ? null : Number(row.actor_account_id),
    reason: row.reason,
    createdAtMs: row.created_at.getTime(),
  };
}

/** The configuration in force (the newest version). */
export async function currentPlatformConfig(db: Queryable): Promise<PlatformConfigVersion> {
  const { rows } = await db.query<ConfigRow>(`SELECT * FROM gateway_platform_config ORDER BY version DESC LIMIT 1`);
  const row = rows[0];
  if (row === undefined) throw new Error('gateway_platform_config has no version (the migration inserts version 1)');
  return toVersion(row);
}

/** The engine limits of an account opened under these defaults (absent: no limit). */
export function accountLimitsOf(defaults: DefaultAccountLimits): AccountLimits {
  return {
    ...(defaults.stakeMinorMax === null ? {} : { stakeMinorMax: defaults.stakeMinorMax }),
    ...(defaults.marketExposureMinorMax === null ? {} : { marketExposureMinorMax: defaults.marketExposureMinorMax }),
    ...(defaults.openOrdersMax === null ? {} : { openOrdersMax: defaults.openOrdersMax }),
  };
}

export class PlatformConfigStore {
  constructor(private readonly pool: pg.Pool) {}

  current(): Promise<PlatformConfigVersion> {
    return currentPlatformConfig(this.pool);
  }

  async flag(name: FeatureFlag): Promise<boolean> {
    return (await this.current()).featureFlags[name];
  }

  /** Versions newest first; `beforeVersion` pages back. */
  async history(options: { limit: number; beforeVersion?: number }): Promise<PlatformConfigVersion[]> {
    const { rows } = await this.pool.query<ConfigRow>(
      `SELECT * FROM gateway_platform_config WHERE version < $1 ORDER BY version DESC LIMIT $2`,
      [options.beforeVersion ?? 2_147_483_647, options.limit],
    );
    return rows.map(toVersion);
  }

  /** Appends the next version (versions are numbered without gaps, one writer at a time). */
  async publish(values: PlatformConfigValues, actorAccountId: AccountId, reason: string): Promise<PlatformConfigVersion> {
    return inTransaction(this.pool, async (client) => {
      await client.query(`LOCK TABLE gateway_platform_config IN SHARE ROW EXCLUSIVE MODE`);
      const limits = values.defaultAccountLimits;
      const { rows } = await client.query<ConfigRow>(
        `INSERT INTO gateway_platform_config (version, default_commission_bps, default_stake_minor_max, default_market_exposure_minor_max,
                                              default_open_orders_max, feature_flags, actor_account_id, reason)
         SELECT COALESCE(max(version), 0) + 1, $1, $2, $3, $4, $5, $6, $7 FROM gateway_platform_config
         RETURNING *`,
        [values.defaultCommissionBps, limits.stakeMinorMax, limits.marketExposureMinorMax, limits.openOrdersMax, JSON.stringify(values.featureFlags), actorAccountId, reason],
      );
      return toVersion(rows[0] as ConfigRow);
    });
  }
}
