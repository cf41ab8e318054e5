// Every reject code and every close reason, each produced by one small scenario (the tables are
// typed by RejectCode and CloseReason, so a new code without a scenario does not compile), and
// the validation of malformed commands, runners, prices and stakes.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CLIENT_ORDER_ID_LENGTH_MAX,
  CLOSE_REASONS,
  REASON_LENGTH_MAX,
  REJECT_CODES,
  STAKE_MINOR_MAX,
  type CloseReason,
  type Command,
  type RejectCode,
} from '@playchacha/protocol';
import { ExchangeCore } from '../exchange-core.js';
import { ReferenceCore } from '../../testing/reference-core.js';
import { Harness, MARKET_ID, placeInstruction, tick } from '../../testing/given-when-then.js';

const A = 1;
const B = 2;
const POOR = 9;
const M = MARKET_ID;

type Scenario = (h: Harness) => unknown;

/** One scenario per reject code; the last command of each must be rejected with that code. */
const REJECT_SCENARIOS: Record<RejectCode, Scenario | string> = {
  invalid_command: (h) => h.when({ type: 'PlaceOrder', accountId: A, clientOrderId: 'x', marketId: M, runnerIndex: 0, side: 'sideways', priceTicks: 0, stakeMinor: 1 } as unknown as Command),
  unknown_account: (h) => h.deposit(77, 100),
  account_exists: (h) => h.when({ type: 'OpenAccount', accountId: A }),
  unknown_market: (h) => h.back(A, '2.0', 100, { marketId: 77 }),
  market_exists: (h) => h.when({ type: 'CreateMarket', marketId: M, runnerCount: 2 }),
  invalid_market_definition: (h) => h.when({ type: 'CreateMarket', marketId: 9, runnerCount: 0 }),
  invalid_runner: (h) => h.back(A, '2.0', 100, { runnerIndex: 2 }),
  invalid_price: (h) => h.when({ type: 'PlaceOrder', accountId: A, clientOrderId: 'p', marketId: M, runnerIndex: 0, side: 'back', priceTicks: 350, stakeMinor: 100 }),
  invalid_stake: (h) => h.back(A, '2.0', 0),
  stake_below_minimum: (h) => {
    h.createMarket(3, { minStakeMinor: 200 });
    h.back(A, '2.0', 199, { marketId: 3 });
  },
  stake_above_maximum: (h) => {
    h.given({ type: 'SetAccountLimits', accountId: A, limits: { stakeMinorMax: 100 } });
    h.back(A, '2.0', 101);
  },
  invalid_min_fill: (h) => h.back(A, '2.0', 100, { minFillMinor: 50 }),
  persistence_not_allowed: (h) => {
    h.createMarket(4, { persistenceAllowed: false });
    h.back(A, '2.0', 100, { marketId: 4, persistence: 'persist' });
  },
  insufficient_funds: (h) => h.back(POOR, '2.0', 1001),
  market_exposure_limit: (h) => {
    h.given({ type: 'SetAccountLimits', accountId: A, limits: { marketExposureMinorMax: 100 } });
    h.back(A, '2.0', 101);
  },
  loss_limit_exceeded: (h) => {
    h.given({ type: 'SetAccountLimits', accountId: A, limits: { lossLimitMinor: 100, lossLimitPeriodMs: 60_000 } });
    h.back(A, '2.0', 101);
  },
  too_many_open_orders: (h) => {
    h.given({ type: 'SetAccountLimits', accountId: A, limits: { openOrdersMax: 1 } });
    expect(h.back(A, '2.0', 100).accepted).toBe(true);
    h.back(A, '2.0', 100);
  },
  market_suspended: (h) => {
    h.given({ type: 'SuspendMarket', marketId: M });
    h.back(A, '2.0', 100);
  },
  market_closed: (h) => {
    h.given({ type: 'CloseMarket', marketId: M });
    h.back(A, '2.0', 100);
  },
  market_settled: (h) => {
    h.closeAndSettle([0]);
    h.back(A, '2.0', 100);
  },
  market_voided: (h) => {
    h.given({ type: 'VoidMarket', marketId: M, reason: 'abandoned' });
    h.back(A, '2.0', 100);
  },
  unknown_order: (h) => h.cancel(A, 999_999),
  batch_empty: (h) => h.batch(A, 'best_effort', []),
  batch_too_large: (h) => h.batch(A, 'best_effort', Array.from({ length: 201 }, () => placeInstruction('back', '2.0', 1))),
  batch_multi_market: (h) => {
    h.createMarket(2);
    h.batch(A, 'all_or_none', [placeInstruction('back', '2.0', 1), placeInstruction('back', '2.0', 1, { marketId: 2 })]);
  },
  batch_instruction_rejected: (h) =>
    h.batch(A, 'all_or_none', [placeInstruction('back', '2.0', 1), { ...placeInstruction('back', '2.0', 1), stakeMinor: 0 }]),
  invalid_amount: (h) => h.deposit(A, 0),
  duplicate_transfer: (h) => {
    h.deposit(A, 100, 'same');
    h.deposit(A, 100, 'same');
  },
  balance_limit: 'accounts.test.ts: rejects a deposit over the largest balance with balance_limit',
  invalid_limits: (h) => h.when({ type: 'SetAccountLimits', accountId: A, limits: { openOrdersMax: 0 } }),
  invalid_transition: (h) => h.resume(),
  invalid_settlement: (h) => {
    h.given({ type: 'CloseMarket', marketId: M });
    h.settle([]);
  },
  account_suspended: (h) => {
    h.given({ type: 'SetAccountStatus', accountId: A, status: 'suspended' });
    h.back(A, '2.0', 100);
  },
  account_frozen: (h) => {
    h.given({ type: 'SetAccountStatus', accountId: A, status: 'frozen' });
    h.back(A, '2.0', 100);
  },
};

/** One scenario per close reason; the last command of each must close an order with that reason. */
const CLOSE_SCENARIOS: Record<CloseReason, Scenario> = {
  matched: (h) => {
    h.lay(B, '2.0', 100);
    h.back(A, '2.0', 100);
  },
  cancelled: (h) => h.cancel(A, h.back(A, '2.0', 100).orderId),
  mass_cancelled: (h) => {
    h.back(A, '2.0', 100);
    h.when({ type: 'MassCancel', accountId: A });
  },
  replaced: (h) => h.replace(A, h.back(A, '2.0', 100).orderId, '3.0'),
  lapsed_in_play: (h) => {
    h.back(A, '2.0', 100);
    h.turnInPlay(M, 0);
  },
  lapsed_suspended: (h) => {
    h.given({ type: 'TurnInPlay', marketId: M, betDelayMs: 5000 });
    h.lay(B, '2.0', 100);
    h.back(A, '2.0', 100);
    expect(h.events('OrderDelayed')).toHaveLength(1);
    h.suspend();
  },
  market_closed: (h) => {
    h.back(A, '2.0', 100);
    h.closeMarket();
  },
  market_voided: (h) => {
    h.back(A, '2.0', 100);
    h.voidMarket();
  },
  self_trade: (h) => {
    h.lay(A, '2.0', 100);
    h.back(A, '2.0', 100);
  },
  fill_or_kill: (h) => h.back(A, '2.0', 100, { timeInForce: 'fok' }),
  immediate_or_cancel: (h) => h.back(A, '2.0', 100, { timeInForce: 'ioc' }),
  min_fill_not_met: (h) => h.back(A, '2.0', 100, { timeInForce: 'ioc', minFillMinor: 10 }),
  post_only_would_match: (h) => {
    h.lay(B, '2.0', 100);
    h.back(A, '2.0', 100, { postOnly: true });
  },  account_frozen: (h) => {
    h.back(A, '2.0', 100);
    h.when({ type: 'SetAccountStatus', accountId: A, status: 'frozen' });
  },
};

const ALL_REJECT_CODES = Object.keys(REJECT_CODES) as RejectCode[];
const ALL_CLOSE_REASONS = Object.keys(CLOSE_REASONS) as CloseReason[];

describe.each([
  ['core', () => new ExchangeCore()],
  ['reference', () => new ReferenceCore()],
])('rejections (%s)', (_name, makeModel) => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(makeModel());
    h.openFundedAccount(A, 100_000);
    h.openFundedAccount(B, 100_000);
    h.openFundedAccount(POOR, 1000);
    h.createMarket(M);
  });

  describe('every reject code', () => {
    it.each(ALL_REJECT_CODES)('%s', (code) => {
      const scenario = REJECT_SCENARIOS[code];
      if (typeof scenario === 'string') return; // covered where the string says
      scenario(h);
      expect(h.rejectCodes()).toContain(code);
    });
  });

  describe('every close reason', () => {
    it.each(ALL_CLOSE_REASONS)('%s', (reason) => {
      CLOSE_SCENARIOS[reason](h);
      expect(h.events('OrderClosed').map((e) => e.reason)).toContain(reason);
    });
  });

  describe('stakes', () => {
    it.each([0, -1, 1.5, Number.NaN, 2 ** 53, STAKE_MINOR_MAX + 1])('rejects a stake of %s with invalid_stake', (stakeMinor) => {
      const before = h.snapshot();
      h.back(A, '2.0', stakeMinor);
      expect(h.rejectCode()).toBe('invalid_stake');
      h.lay(A, '2.0', stakeMinor);
      expect(h.rejectCode()).toBe('invalid_stake');
      expect(h.snapshot()).toEqual(before);
    });

    it('accepts the largest stake when the funds are there', () => {
      h.deposit(A, STAKE_MINOR_MAX);
      h.back(A, '2.0', STAKE_MINOR_MAX);
      expect(h.rejectCode()).toBeUndefined();
    });
  });

  describe('prices', () => {
    it.each([350, -1, 2.5, 100_000])('rejects a price of tick %s with invalid_price', (priceTicks) => {
      h.when({ type: 'PlaceOrder', accountId: A, clientOrderId: `p${priceTicks}`, marketId: M, runnerIndex: 0, side: 'lay', priceTicks, stakeMinor: 100 });
      expect(h.rejectCode()).toBe('invalid_price');
    });

    it('accepts the first and last ticks (1.01 and 1000)', () => {
      h.back(A, '1000', 100);
      expect(h.rejectCode()).toBeUndefined();
      h.lay(A, '1.01', 100);
      expect(h.rejectCode()).toBeUndefined();
      expect(tick('1000')).toBe(349);
      expect(tick('1.01')).toBe(0);
    });

    it('uses the market\'s own ladder: tick 500 is on the finest ladder only', () => {
      h.createMarket(5, { ladderId: 'finest' });
      h.when({ type: 'PlaceOrder', accountId: A, clientOrderId: 'fine', marketId: 5, runnerIndex: 0, side: 'back', priceTicks: 500, stakeMinor: 100 });
      expect(h.rejectCode()).toBeUndefined();
      h.when({ type: 'PlaceOrder', accountId: A, clientOrderId: 'coarse', marketId: M, runnerIndex: 0, side: 'back', priceTicks: 500, stakeMinor: 100 });
      expect(h.rejectCode()).toBe('invalid_price');
    });
  });

  describe('runners', () => {
    it.each([2, 100])('rejects runner %s of a two-runner market with invalid_runner', (runnerIndex) => {
      h.back(A, '2.0', 100, { runnerIndex });
      expect(h.rejectCode()).toBe('invalid_runner');
    });

    it('rejects a mass cancel on a runner that is not in the market', () => {
      h.when({ type: 'MassCancel', accountId: A, marketId: M, runnerIndex: 2 });
      expect(h.rejectCode()).toBe('invalid_runner');
    });
  });

  describe('malformed commands', () => {
    const place = { type: 'PlaceOrder', accountId: A, clientOrderId: 'm', marketId: M, runnerIndex: 0, side: 'back', priceTicks: 99, stakeMinor: 100 };
    const { side: _side, ...placeWithoutSide } = place;
    const malformed: Array<[string, unknown]> = [
      ['an unknown command type', { type: 'Teleport' }],
      ['a place without a side', placeWithoutSide],
      ['a place with side "sideways"', { ...place, side: 'sideways' }],
      ['a place with a stake as text', { ...place, stakeMinor: '100' }],
      ['a place with an empty client order id', { ...place, clientOrderId: '' }],
      ['a place with a client order id too long', { ...place, clientOrderId: 'x'.repeat(CLIENT_ORDER_ID_LENGTH_MAX + 1) }],
      ['a place with time in force "day"', { ...place, timeInForce: 'day' }],
      ['a place with persistence "forever"', { ...place, persistence: 'forever' }],
      ['a place with self-trade mode "allow"', { ...place, selfTrade: 'allow' }],
      ['a place with postOnly "yes"', { ...place, postOnly: 'yes' }],
      ['a place with an account id as text', { ...place, accountId: '1' }],
      ['a cancel without an order id', { type: 'CancelOrder', accountId: A, marketId: M }],
      ['a deposit without a transfer id', { type: 'Deposit', accountId: A, amountMinor: 100 }],
      ['a market without a runner count', { type: 'CreateMarket', marketId: 8 }],
      ['a batch with mode "sometimes"', { type: 'Batch', accountId: A, mode: 'sometimes', instructions: [placeInstruction('back', '2.0', 1)] }],
      ['a batch whose instructions are not a list', { type: 'Batch', accountId: A, mode: 'best_effort', instructions: 'none' }],
      ['a void reason too long', { type: 'VoidMarket', marketId: M, reason: 'x'.repeat(REASON_LENGTH_MAX + 1) }],
      ['an account id of 1.5', { type: 'OpenAccount', accountId: 1.5 }],
    ];

    it.each(malformed)('rejects %s with invalid_command and changes nothing', (_what, command) => {
      const before = h.snapshot();
      h.when(command as Command);
      expect(h.rejectCode()).toBe('invalid_command');
      expect(h.snapshot()).toEqual(before);
    });
  });
});
