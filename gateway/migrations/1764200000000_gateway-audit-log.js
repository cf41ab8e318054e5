// The operators' audit log: every admin action with who did it, what, to which target, why, when,
// and how it ended. Rows are only ever inserted.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE gateway_audit_log (
      audit_id bigserial PRIMARY KEY,
      actor_account_id bigint NOT NULL,
      action text NOT NULL,
      target text NOT NULL,
      reason text NOT NULL,
      details jsonb NOT NULL DEFAULT '{}'::jsonb,
      outcome text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX gateway_audit_log_target ON gateway_audit_log (target, audit_id);
    CREATE INDEX gateway_audit_log_actor ON gateway_audit_log (actor_account_id, audit_id);
    CREATE FUNCTION gateway_audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'gateway_audit_log rows are immutable';
    END;
    $$;
    CREATE TRIGGER gateway_audit_log_no_change BEFORE UPDATE OR DELETE ON gateway_audit_log
      FOR EACH ROW EXECUTE FUNCTION gateway_audit_log_immutable();
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP TABLE gateway_audit_log;
    DROP FUNCTION gateway_audit_log_immutable();
  `);
};
