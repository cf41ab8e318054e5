// The sports catalog: sports → competitions → events → markets → runners. A catalog market is an
// engine market: its engine market id is allocated here (from a sequence far above hand-made ids)
// and the row is inserted before CreateMarket is submitted, so a retried creation finds the row and
// never creates a second market. Feed keys make imports idempotent.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE catalog_sports (
      sport_id text PRIMARY KEY CHECK (sport_id ~ '^[a-z0-9_-]{1,32}$'),
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE catalog_competitions (
      competition_id bigserial PRIMARY KEY,
      sport_id text NOT NULL REFERENCES catalog_sports (sport_id),
      code text NOT NULL,
      name text NOT NULL,
      country text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (sport_id, code)
    );
    CREATE TABLE catalog_events (
      event_id bigserial PRIMARY KEY,
      competition_id bigint NOT NULL REFERENCES catalog_competitions (competition_id),
      feed_key text NOT NULL UNIQUE,
      name text NOT NULL,
      home_name text NOT NULL,
      away_name text NOT NULL,
      starts_at timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'in_play', 'finished', 'postponed', 'abandoned')),
      home_goals integer CHECK (home_goals BETWEEN 0 AND 99),
      away_goals integer CHECK (away_goals BETWEEN 0 AND 99),
      result_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((status = 'finished') = (home_goals IS NOT NULL AND away_goals IS NOT NULL))
    );
    CREATE INDEX catalog_events_starts_at ON catalog_events (starts_at, event_id);
    CREATE INDEX catalog_events_competition ON catalog_events (competition_id, starts_at);
    CREATE SEQUENCE catalog_market_ids START WITH 1000000;
    CREATE TABLE catalog_markets (
      market_id bigint PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES catalog_events (event_id),
      market_type text NOT NULL,
      name text NOT NULL,
      number_of_winners integer NOT NULL CHECK (number_of_winners >= 1),
      ladder_id text NOT NULL,
      min_stake_minor bigint NOT NULL CHECK (min_stake_minor >= 1),
      bet_delay_ms integer NOT NULL CHECK (bet_delay_ms BETWEEN 0 AND 60000),
      commission_bps integer NOT NULL CHECK (commission_bps BETWEEN 0 AND 10000),
      persistence_allowed boolean NOT NULL,
      -- pending: the row exists, CreateMarket not yet confirmed; open, in_play, closed: as far as
      -- the catalog drove it; settled and voided are final.
      lifecycle text NOT NULL DEFAULT 'pending'
        CHECK (lifecycle IN ('pending', 'open', 'in_play', 'closed', 'settled', 'voided')),
      winners jsonb,
      void_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (event_id, market_type)
    );
    CREATE INDEX catalog_markets_lifecycle ON catalog_markets (lifecycle) WHERE lifecycle NOT IN ('settled', 'voided');
    CREATE TABLE catalog_runners (
      market_id bigint NOT NULL REFERENCES catalog_markets (market_id),
      runner_index integer NOT NULL CHECK (runner_index BETWEEN 0 AND 99),
      name text NOT NULL,
      PRIMARY KEY (market_id, runner_index)
    );
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP TABLE catalog_runners;
    DROP TABLE catalog_markets;
    DROP SEQUENCE catalog_market_ids;
    DROP TABLE catalog_events;
    DROP TABLE catalog_competitions;
    DROP TABLE catalog_sports;
  `);
};
