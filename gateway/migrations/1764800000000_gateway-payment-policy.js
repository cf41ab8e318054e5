// The payment policy's read contract: what every money path (the gateway's test deposit, the
// payments service's Stripe and test deposits, its withdrawals) reads of an account before it
// lets money in or out. The gateway owns profiles and its deposits; the payments service owns
// payment_deposits; both share this database in every deployment. The rules themselves are in
// protocol/src/responsible-gambling.ts; the reader is settlement/src/payments/payment-policy.ts.
//
// gateway_payment_profile(account) takes the account's payment lock (a transaction advisory lock,
// held to the caller's COMMIT or ROLLBACK, so two deposits or withdrawals of one account are
// decided one after the other) and returns its KYC state, self-exclusion and deposit limit (a
// fresh profile's when it has none yet).
//
// gateway_deposited_minor(account, since, unpaid_since) sums what counts toward the limits, in
// total and created after `since`: every test deposit the gateway recorded, and every payments
// deposit that succeeded (what was credited), is processing, or is an intent not yet paid created
// after `unpaid_since` (UNPAID_INTENT_COUNTS_MS before now: two open intents cannot pass a limit
// together, and an abandoned one stops counting). A deposit counts at the time it was created.
// payment_deposits (the ledger's migrations) is read only where it exists: plpgsql binds late, so
// these run before the ledger's migrations, as every deployment orders them.

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(`
    CREATE FUNCTION gateway_payment_profile(p_account_id bigint)
      RETURNS TABLE (kyc_status text, self_excluded_until timestamptz, deposit_limit_minor bigint,
                     deposit_limit_period text, deposit_limit_pending jsonb)
      LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(7302, hashtext(p_account_id::text));
      RETURN QUERY
        SELECT COALESCE(p.kyc_status, 'unverified'), p.self_excluded_until, p.deposit_limit_minor,
               p.deposit_limit_period, p.deposit_limit_pending
          FROM (SELECT p_account_id AS account_id) a
          LEFT JOIN gateway_profiles p USING (account_id);
    END $$;

    CREATE FUNCTION gateway_deposited_minor(p_account_id bigint, p_since timestamptz, p_unpaid_since timestamptz)
      RETURNS TABLE (total_minor bigint, since_minor bigint)
      LANGUAGE plpgsql AS $$
    DECLARE
      total bigint;
      since bigint;
      payments_total bigint;
      payments_since bigint;
    BEGIN
      SELECT COALESCE(sum(d.amount_minor), 0), COALESCE(sum(d.amount_minor) FILTER (WHERE d.created_at > p_since), 0)
        INTO total, since
        FROM gateway_deposits d WHERE d.account_id = p_account_id;
      IF to_regclass('payment_deposits') IS NOT NULL THEN
        SELECT COALESCE(sum(COALESCE(d.credited_minor, d.amount_minor)), 0),
               COALESCE(sum(COALESCE(d.credited_minor, d.amount_minor)) FILTER (WHERE d.created_at > p_since), 0)
          INTO payments_total, payments_since
          FROM payment_deposits d
         WHERE d.account_id = p_account_id
           AND (d.state IN ('succeeded', 'processing')
                OR (d.state IN ('created', 'pending') AND d.created_at > p_unpaid_since));
        total := total + payments_total;
        since := since + payments_since;
      END IF;
      RETURN QUERY SELECT total, since;
    END $$;
  `);
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(`
    DROP FUNCTION gateway_deposited_minor(bigint, timestamptz, timestamptz);
    DROP FUNCTION gateway_payment_profile(bigint);
  `);
};
