// Disputes: an account contests the result of a settled or void market it had matched bets on,
// within a window after the result; an admin resolves it by upholding the result or by resettling
// the market. At most one open dispute per account and market. A dispute's text and opening are
// never changed; resolving it sets its status once (open → upheld or resettled), and a trigger
// refuses any other change. Every step is also in the audit log.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE gateway_disputes (
      dispute_id bigserial PRIMARY KEY,
      account_id bigint NOT NULL,
      market_id bigint NOT NULL,
      reason text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 2000),
      result_at timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'resettled')),
      opened_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz,
      resolved_by bigint,
      resolution_reason text,
      resolution_winners jsonb,
      CHECK ((status = 'open') = (resolved_at IS NULL)),
      CHECK ((status = 'open') = (resolved_by IS NULL)),
      CHECK ((status = 'open') = (resolution_reason IS NULL))
    );
    CREATE UNIQUE INDEX gateway_disputes_one_open ON gateway_disputes (account_id, market_id) WHERE status = 'open';
    CREATE INDEX gateway_disputes_account ON gateway_disputes (account_id, dispute_id);
    CREATE INDEX gateway_disputes_open ON gateway_disputes (dispute_id) WHERE status = 'open';

    CREATE FUNCTION gateway_disputes_resolve_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'disputes are never deleted' USING ERRCODE = '55000';
      END IF;
      IF OLD.status <> 'open' OR NEW.status = 'open'
         OR NEW.account_id <> OLD.account_id OR NEW.market_id <> OLD.market_id OR NEW.reason <> OLD.reason
         OR NEW.result_at <> OLD.result_at OR NEW.opened_at <> OLD.opened_at THEN
        RAISE EXCEPTION 'a dispute is only ever resolved, once' USING ERRCODE = '55000';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER gateway_disputes_resolve_once BEFORE UPDATE OR DELETE ON gateway_disputes
      FOR EACH ROW EXECUTE FUNCTION gateway_disputes_resolve_once();
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP TABLE gateway_disputes;
    DROP FUNCTION gateway_disputes_resolve_once();
  `);
};
