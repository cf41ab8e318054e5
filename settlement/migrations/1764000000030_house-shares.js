// The house's shares in a partitioned engine's risk partitions (kind 'house_share', code
// house:share:<partition>). Each risk partition settles its own accounts from the house's share
// there, so a share may go below zero (its accounts won what other partitions' accounts lost);
// the shares, commission and rounding sum to the house's balance.
//
// The enum gains a value by being recreated (see 1764000000004_resettlement.js). Down refuses (the
// cast fails) while any share account exists.

const VIEW = `
    CREATE VIEW user_balances AS
      SELECT owner_account_id AS account_id,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_available'), 0)::bigint AS available_minor,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_held'), 0)::bigint AS held_minor,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_escrow'), 0)::bigint AS escrow_minor,
             SUM(balance_minor)::bigint AS total_minor,
             COALESCE(SUM(balance_minor) FILTER (WHERE kind = 'user_debt'), 0)::bigint AS debt_minor
        FROM ledger_accounts
       WHERE owner_account_id IS NOT NULL
       GROUP BY owner_account_id;`;

/** @param {string} from @param {string[]} kinds @param {string[]} mayBeNegative */
function recreateKinds(from, kinds, mayBeNegative) {
  return `
    DROP VIEW user_balances;
    ALTER TABLE ledger_accounts
      DROP CONSTRAINT ledger_accounts_shape,
      DROP CONSTRAINT ledger_accounts_not_negative,
      DROP CONSTRAINT ledger_accounts_clearing_not_positive,
      DROP CONSTRAINT ledger_accounts_debt_not_positive;
    ALTER TYPE ledger_account_kind RENAME TO ${from};
    CREATE TYPE ledger_account_kind AS ENUM (${kinds.map((kind) => `'${kind}'`).join(', ')});
    ALTER TABLE ledger_accounts ALTER COLUMN kind TYPE ledger_account_kind USING kind::text::ledger_account_kind;
    DROP TYPE ${from};
    ALTER TABLE ledger_accounts
      ADD CONSTRAINT ledger_accounts_shape CHECK (
        CASE kind
          WHEN 'user_available' THEN owner_account_id IS NOT NULL AND market_id IS NULL
          WHEN 'user_debt' THEN owner_account_id IS NOT NULL AND market_id IS NULL
          WHEN 'user_held' THEN owner_account_id IS NOT NULL AND market_id IS NOT NULL
          WHEN 'user_escrow' THEN owner_account_id IS NOT NULL AND market_id IS NOT NULL
          WHEN 'market_pot' THEN owner_account_id IS NULL AND market_id IS NOT NULL
          ELSE owner_account_id IS NULL AND market_id IS NULL
        END
      ),
      ADD CONSTRAINT ledger_accounts_not_negative CHECK (
        kind IN (${mayBeNegative.map((kind) => `'${kind}'`).join(', ')}) OR balance_minor >= 0
      ),
      ADD CONSTRAINT ledger_accounts_clearing_not_positive CHECK (kind <> 'payment_clearing' OR balance_minor <= 0),
      ADD CONSTRAINT ledger_accounts_debt_not_positive CHECK (kind <> 'user_debt' OR balance_minor <= 0);
    ${VIEW}`;
}

const KINDS = ['user_available', 'user_held', 'user_escrow', 'market_pot', 'house_commission', 'house_rounding', 'payment_clearing', 'user_debt'];
const MAY_BE_NEGATIVE = ['market_pot', 'payment_clearing', 'user_debt'];

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.sql(recreateKinds('ledger_account_kind_before_shares', [...KINDS, 'house_share'], [...MAY_BE_NEGATIVE, 'house_share']));
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.sql(recreateKinds('ledger_account_kind_with_shares', KINDS, MAY_BE_NEGATIVE));
};
