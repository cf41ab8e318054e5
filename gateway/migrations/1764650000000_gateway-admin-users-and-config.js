// Admin user management and platform configuration: each user's trading status (as last set in the
// engine, for display and search) and the trading limits it was given (the platform's defaults at
// registration, or an admin's), and the platform configuration as append-only versions: who
// changed it, when, why, and every value of the version (amounts in minor units; null is no
// limit). Version 1 holds the defaults the exchange had before the configuration existed.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    ALTER TABLE gateway_users
      ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'frozen')),
      ADD COLUMN status_changed_at timestamptz,
      ADD COLUMN trading_limits jsonb NOT NULL DEFAULT '{}'::jsonb;
    CREATE INDEX gateway_users_status ON gateway_users (status, account_id) WHERE status <> 'active';

    CREATE TABLE gateway_platform_config (
      version integer PRIMARY KEY CHECK (version >= 1),
      default_commission_bps integer NOT NULL CHECK (default_commission_bps BETWEEN 0 AND 10000),
      default_stake_minor_max bigint CHECK (default_stake_minor_max >= 1),
      default_market_exposure_minor_max bigint CHECK (default_market_exposure_minor_max >= 0),
      default_open_orders_max integer CHECK (default_open_orders_max >= 1),
      feature_flags jsonb NOT NULL DEFAULT '{}'::jsonb,
      actor_account_id bigint,
      reason text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE FUNCTION gateway_platform_config_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'gateway_platform_config versions are immutable';
    END;
    $$;
    CREATE TRIGGER gateway_platform_config_no_change BEFORE UPDATE OR DELETE ON gateway_platform_config
      FOR EACH ROW EXECUTE FUNCTION gateway_platform_config_immutable();
    INSERT INTO gateway_platform_config (version, default_commission_bps, feature_flags, reason)
      VALUES (1, 500, '{"registrationOpen": true}'::jsonb, 'initial configuration');
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP TABLE gateway_platform_config;
    DROP FUNCTION gateway_platform_config_immutable();
    DROP INDEX gateway_users_status;
    ALTER TABLE gateway_users DROP COLUMN trading_limits, DROP COLUMN status_changed_at, DROP COLUMN status;
  `);
};
