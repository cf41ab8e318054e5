// Every bound the exchange enforces, in one place. Related bounds are asserted against each other
// below, so that changing one cannot silently break an arithmetic guarantee elsewhere.
import { assert } from './assert.js';

/** Largest stake of a single order, in minor units (100,000,000.00 in a two-decimal currency). */
export const STAKE_MINOR_MAX = 10_000_000_000;
/** Largest single deposit or withdrawal, in minor units. */
export const TRANSFER_MINOR_MAX = 10_000_000_000;
/** Largest balance an account may reach, in minor units. Deposits beyond it are rejected. */
export const BALANCE_MINOR_MAX = 1_000_000_000_000_000;
/** Largest decimal odds × 100 on any ladder (odds 1000). */
export const PRICE_X100_MAX = 100_000;
/** Instructions in one batch. */
export const BATCH_INSTRUCTIONS_MAX = 200;
/** Runners (selections) in one market. */
export const RUNNERS_PER_MARKET_MAX = 100;
/** Characters in a client order id, transfer id or void reason. */
export const CLIENT_ORDER_ID_LENGTH_MAX = 32;
export const TRANSFER_ID_LENGTH_MAX = 64;
export const REASON_LENGTH_MAX = 200;
/** Commission rate in basis points (10,000 = 100%). */
export const COMMISSION_BPS_MAX = 10_000;
export const COMMISSION_BPS_DEFAULT = 500;
/** In-play bet delay. */
export const BET_DELAY_MS_MAX = 60_000;
/** Default per-account cap on open (unmatched or delayed) orders. */
export const OPEN_ORDERS_PER_ACCOUNT_DEFAULT = 10_000;
/** Dead-heat factor denominators are small integers (number of runners tied). */
export const DEAD_HEAT_DENOMINATOR_MAX = 1_000;
/** Ids are positive safe integers. */
export const ID_MAX = Number.MAX_SAFE_INTEGER;

// stake × (priceX100 − 100) must stay a safe integer so that liabilities are exact.
assert(
  Number.isSafeInteger(STAKE_MINOR_MAX * PRICE_X100_MAX),
  'STAKE_MINOR_MAX × PRICE_X100_MAX must be a safe integer',
);
// A balance plus the largest transfer must stay a safe integer.
assert(Number.isSafeInteger(BALANCE_MINOR_MAX + TRANSFER_MINOR_MAX), 'balance bound too large');
assert(STAKE_MINOR_MAX <= BALANCE_MINOR_MAX, 'a stake never exceeds the largest balance');
