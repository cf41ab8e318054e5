// A seeded generator of random but realistic command sequences over a small universe: a few funded
// accounts, one or two markets (two more may be created later) with two or three runners, prices
// within ±8 ticks of a centre so that orders cross often, and stakes that include small odd values
// so that rounding is exercised. Every order type, self-trade mode, batch mode, the market
// lifecycle with in-play bet delays, settlement with dead heats, limits, transfers and a few
// deliberately invalid commands appear.
//
// A generated scenario holds steps, some of which name an order only symbolically ("the k-th open
// order of account a"). toCommandEnvelopes resolves them by running the steps through a
// ReferenceCore as it stamps the envelopes, so that cancels, reductions and replaces usually hit
// real open orders; the envelopes it returns are then plain data that any model can replay.

import fc from 'fast-check';
import type {
  AccountId,
  AccountLimits,
  AccountStatus,
  Command,
  CommandEnvelope,
  DeadHeat,
  Instruction,
  MarketId,
  OrderId,
  Persistence,
  SelfTradePrevention,
  Side,
  TimeInForce,
} from '@playchacha/protocol';
import { ReferenceCore } from './reference-core.js';

export interface MarketSpec {
  readonly marketId: MarketId;
  readonly runnerCount: number;
  readonly numberOfWinners: number;
  readonly ladderId: 'standard' | 'finest';
  readonly minStakeMinor: number;
  readonly commissionBps: number;
  readonly persistenceAllowed: boolean;
  /** Prices are drawn within ±8 ticks of this tick. */
  readonly centreTicks: number;
}

export interface Universe {
  readonly accountIds: readonly AccountId[];
  readonly depositsMinor: readonly number[];
  readonly openingLimits: readonly (AccountLimits | null)[];
  /** Markets 1..4; the first initialMarketCount are created up front, the others by later steps. */
  readonly markets: readonly MarketSpec[];
  readonly initialMarketCount: number;
  readonly startMs: number;
}

/** Names an open order of an account; `pick` in [0, 1) chooses among them. */
export interface OrderPick {
  readonly pick: number;
  /** Name a random, probably unknown, order id instead. */
  readonly stale: boolean;
  readonly staleOrderId: OrderId;
  /** Restrict the choice to this market (batches). */
  readonly marketId?: MarketId;
}

export type GeneratedInstruction =
  | { readonly kind: 'place'; readonly instruction: Instruction }
  | { readonly kind: 'cancel'; readonly target: OrderPick; readonly reduceByMinor: number | null }
  | {
      readonly kind: 'replace';
      readonly target: OrderPick;
      readonly tickDelta: number;
      readonly clientOrderId: string;
    };

export type GeneratedStep =
  | { readonly kind: 'command'; readonly command: Command }
  | { readonly kind: 'cancel'; readonly accountId: AccountId; readonly target: OrderPick; readonly reduceByMinor: number | null }
  | {
      readonly kind: 'replace';
      readonly accountId: AccountId;
      readonly target: OrderPick;
      readonly tickDelta: number;
      readonly clientOrderId: string;
    }
  | {
      readonly kind: 'batch';
      readonly accountId: AccountId;
      readonly mode: 'all_or_none' | 'best_effort';
      readonly instructions: readonly GeneratedInstruction[];
    }
  /** A CloseMarket followed at once by a SettleMarket. */
  | { readonly kind: 'closeAndSettle'; readonly marketId: MarketId; readonly winners: readonly DeadHeat[] };

export interface TimedStep {
  readonly step: GeneratedStep;
  /** Milliseconds between the previous command and this one. */
  readonly gapMs: number;
}

export interface Scenario {
  readonly universe: Universe;
  readonly steps: readonly TimedStep[];
}

export interface ScenarioOptions {
  /** Most random steps after the opening commands (default 150). */
  readonly maxSteps?: number;
  readonly minSteps?: number;
}

const MARKET_IDS: readonly MarketId[] = [1, 2, 3, 4];
const UNKNOWN_ACCOUNT_ID: AccountId = 42;
const UNKNOWN_MARKET_ID: MarketId = 99;

// ---------------------------------------------------------------------------------------------
// The universe

const marketSpecArbitrary = (marketId: MarketId): fc.Arbitrary<MarketSpec> =>
  fc
    .record({
      runnerCount: fc.constantFrom(2, 3),
      multiWinner: fc.boolean(),
      ladderId: fc.oneof(
        { weight: 9, arbitrary: fc.constant<'standard' | 'finest'>('standard') },
        { weight: 1, arbitrary: fc.constant<'standard' | 'finest'>('finest') },
      ),
      minStakeMinor: fc.constantFrom(1, 1, 1, 5),
      commissionBps: fc.constantFrom(0, 250, 333, 500, 500, 1000),
      persistenceAllowed: fc.constantFrom(true, true, true, false),
      centreTicks: fc.constantFrom(30, 99, 104, 150, 200),
    })
    .map(({ runnerCount, multiWinner, ladderId, centreTicks, ...rest }) => ({
      marketId,
      runnerCount,
      numberOfWinners: runnerCount === 3 && multiWinner ? 2 : 1,
      ladderId,
      centreTicks: ladderId === 'finest' ? centreTicks * 3 : centreTicks,
      ...rest,
    }));

const openingLimitsArbitrary: fc.Arbitrary<AccountLimits | null> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        stakeMinorMax: fc.integer({ min: 500, max: 50_000 }),
        marketExposureMinorMax: fc.integer({ min: 2_000, max: 100_000 }),
        openOrdersMax: fc.integer({ min: 2, max: 12 }),
        lossLimitMinor: fc.integer({ min: 1_000, max: 60_000 }),
        lossLimitPeriodMs: fc.integer({ min: 500, max: 8_000 }),
      },
      { requiredKeys: [] },
    ),
  },
);

export const universeArbitrary: fc.Arbitrary<Universe> = fc
  .record({
    accountCount: fc.integer({ min: 3, max: 4 }),
    depositsMinor: fc.array(
      fc.oneof(fc.integer({ min: 2_000, max: 20_000 }), fc.integer({ min: 20_000, max: 1_000_000 })),
      { minLength: 4, maxLength: 4 },
    ),
    openingLimits: fc.array(openingLimitsArbitrary, { minLength: 4, maxLength: 4 }),
    markets: fc.tuple(...MARKET_IDS.map(marketSpecArbitrary)),
    initialMarketCount: fc.integer({ min: 1, max: 2 }),
    startMs: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
  })
  .map(({ accountCount, depositsMinor, openingLimits, markets, initialMarketCount, startMs }) => ({
    accountIds: Array.from({ length: accountCount }, (_, i) => i + 1),
    depositsMinor: depositsMinor.slice(0, accountCount),
    openingLimits: openingLimits.slice(0, accountCount),
    markets,
    initialMarketCount,
    startMs,
  }));

// ---------------------------------------------------------------------------------------------
// Steps

function specOf(universe: Universe, marketId: MarketId): MarketSpec {
  const spec = universe.markets.find((m) => m.marketId === marketId);
  if (spec === undefined) throw new Error(`no market spec ${marketId}`);
  return spec;
}

const stakeArbitrary: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 60 }) },
  { weight: 4, arbitrary: fc.integer({ min: 61, max: 3_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 3_001, max: 150_000 }) },
);

const clientOrderIdArbitrary: fc.Arbitrary<string> = fc.integer({ min: 0, max: 399 }).map((n) => `c${n}`);

function accountArbitrary(universe: Universe): fc.Arbitrary<AccountId> {
  return fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom(...universe.accountIds) },
    { weight: 1, arbitrary: fc.constant(UNKNOWN_ACCOUNT_ID) },
  );
}

function orderPickArbitrary(marketId?: MarketId): fc.Arbitrary<OrderPick> {
  return fc
    .record({
      pick: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      stale: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      staleOrderId: fc.integer({ min: 1, max: 80 }),
    })
    .map((base) => (marketId === undefined ? base : { ...base, marketId }));
}

/** A place instruction on a market of the universe (or, rarely, an unknown one). */
function placeInstructionArbitrary(universe: Universe, fixedMarketId?: MarketId): fc.Arbitrary<Instruction> {
  const marketIdArbitrary =
    fixedMarketId !== undefined
      ? fc.constant(fixedMarketId)
      : fc.oneof(
          { weight: 12, arbitrary: fc.constantFrom(...MARKET_IDS.slice(0, universe.initialMarketCount)) },
          { weight: 3, arbitrary: fc.constantFrom(...MARKET_IDS) },
        );
  return marketIdArbitrary.chain((marketId) => {
    const spec = specOf(universe, marketId);
    return fc
      .record({
        clientOrderId: clientOrderIdArbitrary,
        runnerIndex: fc.integer({ min: 0, max: spec.runnerCount - 1 }),
        side: fc.constantFrom<Side>('back', 'lay'),
        tickOffset: fc.integer({ min: -8, max: 8 }),
        stakeMinor: stakeArbitrary,
        persistence: fc.option(fc.constantFrom<Persistence>('lapse', 'persist', 'persist'), { nil: undefined }),
        timeInForce: fc.oneof(
          { weight: 6, arbitrary: fc.constant<TimeInForce | undefined>(undefined) },
          { weight: 1, arbitrary: fc.constantFrom<TimeInForce | undefined>('gtc', 'fok', 'ioc') },
        ),
        minFillFraction: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined, freq: 3 }),
        postOnly: fc.option(fc.boolean(), { nil: undefined, freq: 2 }),
        selfTrade: fc.option(fc.constantFrom<SelfTradePrevention>('cancel_newest', 'cancel_oldest', 'cancel_both'), {
          nil: undefined,
          freq: 2,
        }),
      })
      .map((r) => {
        const instruction: {
          -readonly [K in keyof Extract<Instruction, { kind: 'place' }>]: Extract<Instruction, { kind: 'place' }>[K];
        } = {
          kind: 'place',
          clientOrderId: r.clientOrderId,
          marketId,
          runnerIndex: r.runnerIndex,
          side: r.side,
          priceTicks: spec.centreTicks + r.tickOffset,
          stakeMinor: r.stakeMinor,
        };
        if (r.persistence !== undefined) instruction.persistence = r.persistence;
        if (r.timeInForce !== undefined) instruction.timeInForce = r.timeInForce;
        if (r.timeInForce === 'ioc' && r.minFillFraction !== undefined) {
          instruction.minFillMinor = Math.max(1, Math.ceil((r.stakeMinor * r.minFillFraction) / 10));
        }
        if (r.postOnly !== undefined) instruction.postOnly = r.postOnly;
        if (r.selfTrade !== undefined) instruction.selfTrade = r.selfTrade;
        return instruction;
      });
  });
}

function placeStepArbitrary(universe: Universe): fc.Arbitrary<GeneratedStep> {
  return fc
    .tuple(accountArbitrary(universe), placeInstructionArbitrary(universe))
    .map(([accountId, instruction]) => {
      const { kind: _kind, ...rest } = instruction as Extract<Instruction, { kind: 'place' }>;
      return { kind: 'command', command: { type: 'PlaceOrder', accountId, ...rest } };
    });
}

const reduceArbitrary: fc.Arbitrary<number | null> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 200_000 }) },
);

function cancelStepArbitrary(universe: Universe): fc.Arbitrary<GeneratedStep> {
  return fc
    .record({ accountId: accountArbitrary(universe), target: orderPickArbitrary(), reduceByMinor: reduceArbitrary })
    .map((r) => ({ kind: 'cancel', ...r }));
}

function replaceStepArbitrary(universe: Universe): fc.Arbitrary<GeneratedStep> {
  return fc
    .record({
      accountId: accountArbitrary(universe),
      target: orderPickArbitrary(),
      tickDelta: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: -6, max: 6 }) }, { weight: 1, arbitrary: fc.constant(100_000) }),
      clientOrderId: clientOrderIdArbitrary,
    })
    .map((r) => ({ kind: 'replace', ...r }));
}

function batchStepArbitrary(universe: Universe): fc.Arbitrary<GeneratedStep> {
  return fc
    .record({
      accountId: accountArbitrary(universe),
      mode: fc.constantFrom<'all_or_none' | 'best_effort'>('all_or_none', 'best_effort'),
      marketId: fc.constantFrom(...MARKET_IDS.slice(0, universe.initialMarketCount)),
      multiMarket: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
    })
    .chain(({ accountId, mode, marketId, multiMarket }) => {
      const fixed = mode === 'all_or_none' && !multiMarket ? marketId : undefined;
      const instruction: fc.Arbitrary<GeneratedInstruction> = fc.oneof(
        {
          weight: 5,
          arbitrary: placeInstructionArbitrary(universe, fixed).map((i): GeneratedInstruction => ({ kind: 'place', instruction: i })),
        },
        {
          weight: 2,
          arbitrary: fc
            .record({ target: orderPickArbitrary(fixed), reduceByMinor: reduceArbitrary })
            .map((r): GeneratedInstruction => ({ kind: 'cancel', ...r })),
        },
        {
          weight: 1,
          arbitrary: fc
            .record({ target: orderPickArbitrary(fixed), tickDelta: fc.integer({ min: -6, max: 6 }), clientOrderId: clientOrderIdArbitrary })
            .map((r): GeneratedInstruction => ({ kind: 'replace', ...r })),
        },
      );
      return fc
        .array(instruction, { minLength: 1, maxLength: 6 })
        .map((instructions): GeneratedStep => ({ kind: 'batch', accountId, mode, instructions }));
    });
}

function massCancelStepArbitrary(universe: Universe): fc.Arbitrary<GeneratedStep> {
  return fc
    .record({
      operator: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
      accountId: fc.constantFrom(...universe.accountIds),
      marketId: fc.option(fc.constantFrom(...MARKET_IDS.slice(0, universe.initialMarketCount)), { nil: undefined }),
      runnerIndex: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }),
      side: fc.option(fc.constantFrom<Side>('back', 'lay'), { nil: undefined }),
    })
    .map(({ operator, accountId, marketId, runnerIndex, side }): GeneratedStep => {
      const command: { -readonly [K in keyof Extract<Command, { type: 'MassCancel' }>]: Extract<Command, { type: 'MassCancel' }>[K] } = {
        type: 'MassCancel',
      };
      if (operator) {
        command.marketId = marketId ?? 1;
      } else {
        command.accountId = accountId;
        if (marketId !== undefined) {
          command.marketId = marketId;
          if (runnerIndex !== undefined) command.runnerIndex = runnerIndex;
        }
      }
      if (side !== undefined) command.side = side;
      return { kind: 'command', command };
    });
}

function transferStepArbitrary(universe: Universe): fc.Arbitrary<GeneratedStep> {
  return fc
    .record({
      type: fc.constantFrom<'Deposit' | 'Withdraw'>('Deposit', 'Withdraw', 'Withdraw'),
      accountId: accountArbitrary(universe),
      transferId: fc.integer({ min: 0, max: 40 }).map((n) => `t${n}`),
      amountMinor: fc.oneof(
        { weight: 10, arbitrary: fc.integer({ min: 1, max: 30_000 }) },
        { weight: 1, arbitrary: fc.constantFrom(0, -5, 1.5) },
      ),
    })
    .map((command): GeneratedStep => ({ kind: 'command', command }));
}

function limitsStepArbitrary(universe: Universe): fc.Arbitrary<GeneratedStep> {
  return fc
    .record({
      accountId: fc.constantFrom(...universe.accountIds),
      limits: fc.oneof(
        { weight: 5, arbitrary: openingLimitsArbitrary.map((l) => l ?? {}) },
        { weight: 1, arbitrary: fc.constant<AccountLimits>({ openOrdersMax: 0 }) },
      ),
    })
    .map(({ accountId, limits }): GeneratedStep => ({ kind: 'command', command: { type: 'SetAccountLimits', accountId, limits } }));
}

function statusStepArbitrary(universe: Universe): fc.Arbitrary<GeneratedStep> {
  return fc
    .record({
      accountId: fc.constantFrom(...universe.accountIds),
      status: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom<AccountStatus>('active', 'active', 'suspended', 'frozen') },
        { weight: 1, arbitrary: fc.constant('closed' as AccountStatus) },
      ),
    })
    .map(({ accountId, status }): GeneratedStep => ({ kind: 'command', command: { type: 'SetAccountStatus', accountId, status } }));
}

function winnersArbitrary(spec: MarketSpec): fc.Arbitrary<DeadHeat[]> {
  const runners = Array.from({ length: spec.runnerCount }, (_, i) => i);
  const heat = (runnerIndex: number, factorNumerator: number, factorDenominator: number): DeadHeat => ({
    runnerIndex,
    factorNumerator,
    factorDenominator,
  });
  const patterns: fc.Arbitrary<DeadHeat[]>[] = [
    fc.constantFrom(...runners).map((r) => [heat(r, 1, 1)]),
    fc.shuffledSubarray(runners, { minLength: 2, maxLength: 2 }).map(([a = 0, b = 1]) => [heat(a, 1, 2), heat(b, 1, 2)]),
    fc.shuffledSubarray(runners, { minLength: 2, maxLength: 2 }).map(([a = 0, b = 1]) => [heat(a, 1, 3), heat(b, 2, 3)]),
  ];
  if (spec.runnerCount === 3) patterns.push(fc.constant([heat(0, 1, 3), heat(1, 1, 3), heat(2, 1, 3)]));
  if (spec.numberOfWinners === 2) {
    patterns.push(
      fc.shuffledSubarray(runners, { minLength: 2, maxLength: 2 }).map(([a = 0, b = 1]) => [heat(a, 1, 1), heat(b, 1, 1)]),
      fc.constantFrom(...runners).map((r) => runners.map((i) => (i === r ? heat(i, 1, 1) : heat(i, 1, 2)))),
    );
  }
  // Invalid: the factors sum to more than the number of winners.
  patterns.push(fc.constant(runners.map((i) => heat(i, 1, 1))));
  return fc.oneof(...patterns.map((arbitrary, i) => ({ weight: i === patterns.length - 1 ? 1 : 4, arbitrary })));
}

function lifecycleStepArbitrary(universe: Universe): fc.Arbitrary<GeneratedStep> {
  const marketId = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...MARKET_IDS.slice(0, universe.initialMarketCount)) },
    { weight: 1, arbitrary: fc.constantFrom(...MARKET_IDS) },
  );
  const command = (c: Command): GeneratedStep => ({ kind: 'command', command: c });
  const delay = fc.oneof(fc.constant(0), fc.integer({ min: 50, max: 1_500 }));
  return fc.oneof(
    { weight: 6, arbitrary: marketId.map((id) => command({ type: 'SuspendMarket', marketId: id })) },
    { weight: 6, arbitrary: marketId.map((id) => command({ type: 'ResumeMarket', marketId: id })) },
    {
      weight: 3,
      arbitrary: fc.tuple(marketId, delay).map(([id, betDelayMs]) => command({ type: 'TurnInPlay', marketId: id, betDelayMs })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(marketId, delay).map(([id, betDelayMs]) => command({ type: 'SetBetDelay', marketId: id, betDelayMs })),
    },
    {
      weight: 2,
      arbitrary: marketId.chain((id) =>
        winnersArbitrary(specOf(universe, id)).map((winners): GeneratedStep => ({ kind: 'closeAndSettle', marketId: id, winners })),
      ),
    },
    { weight: 1, arbitrary: marketId.map((id) => command({ type: 'CloseMarket', marketId: id })) },
    { weight: 1, arbitrary: marketId.map((id) => command({ type: 'VoidMarket', marketId: id, reason: 'abandoned' })) },
    {
      weight: 2,
      arbitrary: marketId.chain((id) =>
        fc
          .oneof({ weight: 3, arbitrary: winnersArbitrary(specOf(universe, id)) }, { weight: 1, arbitrary: fc.constant(null) })
          .map((winners) => command({ type: 'ResettleMarket', marketId: id, winners, reason: 'result corrected' })),
      ),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...MARKET_IDS).map((id) => {
        const { marketId: _id, centreTicks: _centre, ...definition } = specOf(universe, id);
        return command({ type: 'CreateMarket', marketId: id, ...definition });
      }),
    },
  );
}

/** Commands the engine must reject; cast, since several break the command types on purpose. */
function invalidStepArbitrary(universe: Universe): fc.Arbitrary<GeneratedStep> {
  const spec = specOf(universe, 1);
  let invalidCount = 0;
  const place = (overrides: Record<string, unknown>): Command =>
    ({
      type: 'PlaceOrder',
      accountId: 1,
      clientOrderId: `bad${(invalidCount += 1)}`,
      marketId: 1,
      runnerIndex: 0,
      side: 'back',
      priceTicks: spec.centreTicks,
      stakeMinor: 100,
      ...overrides,
    }) as unknown as Command;
  const invalid: Command[] = [
    place({ stakeMinor: 0 }),
    place({ stakeMinor: 2.5 }),
    place({ priceTicks: -1 }),
    place({ priceTicks: 1_000_000 }),
    place({ runnerIndex: 7 }),
    place({ side: 'both' }),
    place({ clientOrderId: '' }),
    place({ clientOrderId: 'x'.repeat(33) }),
    place({ timeInForce: 'gtd' }),
    place({ minFillMinor: 10 }),
    place({ timeInForce: 'ioc', minFillMinor: 101 }),
    place({ marketId: UNKNOWN_MARKET_ID }),
    place({ accountId: UNKNOWN_ACCOUNT_ID }),
    place({ accountId: 0 }),
    place({ stakeMinor: 20_000_000_000 }),
    { type: 'OpenAccount', accountId: 1 },
    { type: 'OpenAccount', accountId: 9, limits: { stakeMinorMax: -1 } },
    { type: 'Deposit', accountId: UNKNOWN_ACCOUNT_ID, transferId: 'z', amountMinor: 100 },
    { type: 'CreateMarket', marketId: 1, runnerCount: 2 },
    { type: 'CreateMarket', marketId: 8, runnerCount: 1 },
    { type: 'CreateMarket', marketId: 8, runnerCount: 2, ladderId: 'nope' },
    { type: 'SettleMarket', marketId: 1, winners: [{ runnerIndex: 0, factorNumerator: 1, factorDenominator: 1 }] },
    { type: 'TurnInPlay', marketId: 1, betDelayMs: 100_000 },
    { type: 'CancelOrder', accountId: 1, marketId: 1, orderId: 1, reduceByMinor: 0 },
    { type: 'Batch', accountId: 1, mode: 'best_effort', instructions: [] },
    {
      type: 'Batch',
      accountId: 1,
      mode: 'best_effort',
      instructions: Array.from({ length: 201 }, () => ({ kind: 'cancel', marketId: 1, orderId: 1 })),
    },
    { type: 'MassCancel' },
    { type: 'VoidMarket', marketId: UNKNOWN_MARKET_ID, reason: 'x' },
    { type: 'Bogus' } as unknown as Command,
  ];
  return fc.constantFrom(...invalid).map((command): GeneratedStep => ({ kind: 'command', command }));
}

export function stepArbitrary(universe: Universe): fc.Arbitrary<GeneratedStep> {
  return fc.oneof(
    { weight: 40, arbitrary: placeStepArbitrary(universe) },
    { weight: 10, arbitrary: cancelStepArbitrary(universe) },
    { weight: 6, arbitrary: replaceStepArbitrary(universe) },
    { weight: 8, arbitrary: batchStepArbitrary(universe) },
    { weight: 3, arbitrary: massCancelStepArbitrary(universe) },
    { weight: 6, arbitrary: fc.constant<GeneratedStep>({ kind: 'command', command: { type: 'Clock' } }) },
    { weight: 6, arbitrary: transferStepArbitrary(universe) },
    { weight: 3, arbitrary: limitsStepArbitrary(universe) },
    { weight: 2, arbitrary: statusStepArbitrary(universe) },
    { weight: 10, arbitrary: lifecycleStepArbitrary(universe) },
    { weight: 4, arbitrary: invalidStepArbitrary(universe) },
  );
}

const gapMsArbitrary: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 20 }) },
  { weight: 3, arbitrary: fc.integer({ min: 21, max: 400 }) },
  { weight: 1, arbitrary: fc.integer({ min: 401, max: 3_000 }) },
);

export function scenarioArbitrary(options: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  const maxLength = options.maxSteps ?? 150;
  const minLength = options.minSteps ?? 0;
  return universeArbitrary.chain((universe) =>
    fc
      .array(fc.record({ step: stepArbitrary(universe), gapMs: gapMsArbitrary }), { minLength, maxLength, size: 'max' })
      .map((steps): Scenario => ({ universe, steps })),
  );
}

// ---------------------------------------------------------------------------------------------
// From a scenario to envelopes

/** The opening commands: accounts, deposits and the first markets. */
export function openingCommands(universe: Universe): Command[] {
  const commands: Command[] = [];
  universe.accountIds.forEach((accountId, i) => {
    const limits = universe.openingLimits[i] ?? null;
    commands.push(limits === null ? { type: 'OpenAccount', accountId } : { type: 'OpenAccount', accountId, limits });
    commands.push({ type: 'Deposit', accountId, transferId: `open-${accountId}`, amountMinor: universe.depositsMinor[i] ?? 10_000 });
  });
  for (const spec of universe.markets.slice(0, universe.initialMarketCount)) {
    const { centreTicks: _centre, ...definition } = spec;
    commands.push({ type: 'CreateMarket', ...definition });
  }
  return commands;
}

function resolveOrder(model: ReferenceCore, accountId: AccountId, target: OrderPick): { orderId: OrderId; marketId: MarketId; priceTicks: number } {
  const candidates = model
    .openOrders()
    .filter((o) => o.accountId === accountId && (target.marketId === undefined || o.marketId === target.marketId));
  const chosen = candidates[Math.floor(target.pick * candidates.length)];
  if (target.stale || chosen === undefined) {
    return { orderId: target.staleOrderId, marketId: target.marketId ?? 1, priceTicks: 0 };
  }
  return { orderId: chosen.orderId, marketId: chosen.marketId, priceTicks: chosen.priceTicks };
}

function resolveInstruction(model: ReferenceCore, accountId: AccountId, generated: GeneratedInstruction): Instruction {
  switch (generated.kind) {
    case 'place':
      return generated.instruction;
    case 'cancel': {
      const { orderId, marketId } = resolveOrder(model, accountId, generated.target);
      return generated.reduceByMinor === null
        ? { kind: 'cancel', marketId, orderId }
        : { kind: 'cancel', marketId, orderId, reduceByMinor: generated.reduceByMinor };
    }
    case 'replace': {
      const { orderId, marketId, priceTicks } = resolveOrder(model, accountId, generated.target);
      return {
        kind: 'replace',
        marketId,
        orderId,
        clientOrderId: generated.clientOrderId,
        priceTicks: Math.max(0, priceTicks + generated.tickDelta),
      };
    }
  }
}

function resolveStep(model: ReferenceCore, step: GeneratedStep): Command[] {
  switch (step.kind) {
    case 'command':
      return [step.command];
    case 'cancel':
    case 'replace': {
      const instruction = resolveInstruction(model, step.accountId, step);
      const { kind: _kind, ...fields } = instruction;
      const type = instruction.kind === 'cancel' ? 'CancelOrder' : 'ReplaceOrder';
      return [{ type, accountId: step.accountId, ...fields } as Command];
    }
    case 'batch':
      return [
        {
          type: 'Batch',
          accountId: step.accountId,
          mode: step.mode,
          instructions: step.instructions.map((i) => resolveInstruction(model, step.accountId, i)),
        },
      ];
    case 'closeAndSettle':
      return [
        { type: 'CloseMarket', marketId: step.marketId },
        { type: 'SettleMarket', marketId: step.marketId, winners: step.winners },
      ];
  }
}

/**
 * Stamps the scenario's commands into envelopes (seq 1, 2, 3, ...; timestamps that never
 * decrease), resolving symbolic order references against a ReferenceCore run alongside.
 */
export function toCommandEnvelopes(scenario: Scenario): CommandEnvelope[] {
  const model = new ReferenceCore();
  const envelopes: CommandEnvelope[] = [];
  let timestampMs = scenario.universe.startMs;
  const push = (command: Command): void => {
    const envelope: CommandEnvelope = { seq: envelopes.length + 1, timestampMs, command };
    envelopes.push(envelope);
    model.apply(envelope);
  };
  for (const command of openingCommands(scenario.universe)) push(command);
  for (const { step, gapMs } of scenario.steps) {
    timestampMs += gapMs;
    for (const command of resolveStep(model, step)) push(command);
  }
  return envelopes;
}

/** The envelopes of one scenario drawn with a fixed seed (for benchmarks and ad-hoc runs). */
export function sampleCommandEnvelopes(seed: number, options: ScenarioOptions = {}): CommandEnvelope[] {
  const [scenario] = fc.sample(scenarioArbitrary(options), { seed, numRuns: 1 });
  if (scenario === undefined) throw new Error('fast-check produced no scenario');
  return toCommandEnvelopes(scenario);
}
