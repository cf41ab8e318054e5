// The fast core against the naive reference, command by command, on generated command sequences.
//
//   NUM_RUNS=2000 npx vitest run engine/src/core/reference-equivalence.sim.test.ts
//   SEED=123 SEED_PATH="4:1:0" npx vitest run engine/src/core/reference-equivalence.sim.test.ts
//
// A failure prints `SEED=<seed> SEED_PATH=<path>`; setting both replays the shrunk counterexample.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLOSE_REASONS, type CommandEnvelope, type EngineEvent, type RejectCode } from '@playchacha/protocol';
import { ExchangeCore } from './exchange-core.js';
import type { ExchangeModel } from './model.js';
import { ReferenceCore } from '../testing/reference-core.js';
import { sampleCommandEnvelopes, scenarioArbitrary, toCommandEnvelopes, type Scenario } from '../testing/command-generator.js';
import { EventLedger, checkModelInvariants, checkSettlementEvents } from '../testing/reference-invariants.js';

const NUM_RUNS = Math.max(1, Number(process.env.NUM_RUNS ?? 200));
const MAX_STEPS = 150;
/** The fast core's own invariant check runs after every command, so a run takes a while. */
const COMPARISON_TIMEOUT_MS = Math.max(120_000, NUM_RUNS * 5_000);

function seededParameters(numRuns: number): fc.Parameters<[Scenario]> {
  const reportSeed: fc.Plugin<[Scenario]> = () => ({
    onAllRunsComplete: (details) => {
      if (!details.failed) return;
      const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      const message = [
        `SEED=${details.seed} SEED_PATH=${details.counterexamplePath ?? ''}`,
        fc.defaultReportMessage(details),
        `Cause: ${cause}`,
      ].join('\n');
      console.error(message);
      throw new Error(message);
    },
  });
  const seed = process.env.SEED;
  const path = process.env.SEED_PATH;
  return {
    numRuns,
    plugins: [reportSeed],
    // Shrinking a long scenario can take many minutes; the default run reports the first
    // counterexample it finds (with its seed and path), and SHRINK=1 shrinks it when replayed.
    endOnFailure: process.env.SHRINK !== '1',
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined || path === '' ? {} : { path }),
  };
}

/** The parts of a command's events that both implementations must agree on exactly. */
function comparable(events: readonly EngineEvent[]): unknown {
  const matched: unknown[] = [];
  const closed: unknown[] = [];
  const answers: unknown[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'OrderMatched': {
        const { seq: _seq, ...rest } = e;
        matched.push(rest);
        break;
      }
      case 'OrderClosed':
        closed.push({ orderId: e.orderId, reason: e.reason, matchedMinor: e.matchedMinor, cancelledMinor: e.cancelledMinor });
        break;
      case 'OrderRejected':
        answers.push({ type: e.type, instructionIndex: e.instructionIndex, code: e.code });
        break;
      case 'CommandRejected':
        answers.push({ type: e.type, code: e.code });
        break;
      case 'OrderDuplicate':
        answers.push({ type: e.type, clientOrderId: e.clientOrderId, orderId: e.orderId, code: e.code });
        break;
      default:
        break;
    }
  }
  return { matched, closed, answers };
}

/** Asserts deep equality; on failure the message carries both values in full. */
function expectSame(actual: unknown, expected: unknown, label: string): void {
  try {
    expect(actual).toEqual(expected);
  } catch {
    throw new Error(`${label}\n  core:      ${JSON.stringify(actual)}\n  reference: ${JSON.stringify(expected)}`);
  }
}

/** Applies one envelope to the reference and checks every invariant on the result. */
function applyToReference(reference: ReferenceCore, ledger: EventLedger, envelope: CommandEnvelope): readonly EngineEvent[] {
  const events = reference.apply(envelope);
  ledger.record(events);
  checkSettlementEvents(events, ledger);
  reference.checkOwnState();
  checkModelInvariants(reference, ledger);
  return events;
}

function compareViews(core: ExchangeModel, reference: ReferenceCore, ledger: EventLedger, where: string): void {
  expectSame(core.accounts(), reference.accounts(), `accounts() after ${where}`);
  expectSame(core.openOrders(), reference.openOrders(), `openOrders() after ${where}`);
  for (const [marketId, market] of ledger.markets) {
    expectSame(core.market(marketId), reference.market(marketId), `market(${marketId}) after ${where}`);
    expectSame(core.traded(marketId), reference.traded(marketId), `traded(${marketId}) after ${where}`);
    for (let runnerIndex = 0; runnerIndex < market.runnerCount; runnerIndex += 1) {
      for (const side of ['back', 'lay'] as const) {
        expectSame(
          core.bookSide(marketId, runnerIndex, side),
          reference.bookSide(marketId, runnerIndex, side),
          `bookSide(${marketId}, ${runnerIndex}, ${side}) after ${where}`,
        );
      }
    }
  }
}

function describeCommand(index: number, envelope: CommandEnvelope): string {
  return `command #${index + 1} (seq ${envelope.seq}, t=${envelope.timestampMs}) ${JSON.stringify(envelope.command)}`;
}

describe('ExchangeCore against ReferenceCore', () => {
  it(`agrees with the reference after every command (${NUM_RUNS} runs)`, () => {
    fc.assert(
      fc.property(scenarioArbitrary({ maxSteps: MAX_STEPS }), (scenario) => {
        const envelopes = toCommandEnvelopes(scenario);
        const core = new ExchangeCore();
        const reference = new ReferenceCore();
        const ledger = new EventLedger();
        for (const [index, envelope] of envelopes.entries()) {
          const where = describeCommand(index, envelope);
          const referenceEvents = applyToReference(reference, ledger, envelope);
          const coreEvents = core.apply(envelope);
          expectSame(comparable(coreEvents), comparable(referenceEvents), `events of ${where}`);
          compareViews(core, reference, ledger, where);
          core.checkInvariants();
        }
        const replay = new ExchangeCore();
        for (const envelope of envelopes) replay.apply(envelope);
        expectSame(replay.stateHash(), core.stateHash(), 'stateHash() of a replay from empty');
      }),
      seededParameters(NUM_RUNS),
    );
  }, COMPARISON_TIMEOUT_MS);
});

describe('ReferenceCore on its own', () => {
  it('keeps every invariant on 200 generated runs', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ maxSteps: MAX_STEPS }), (scenario) => {
        const reference = new ReferenceCore();
        const ledger = new EventLedger();
        for (const envelope of toCommandEnvelopes(scenario)) applyToReference(reference, ledger, envelope);
      }),
      seededParameters(200),
    );
  });

  it('is deterministic: the same envelopes give the same events and state', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const envelopes = sampleCommandEnvelopes(seed);
      const first = new ReferenceCore();
      const second = new ReferenceCore();
      for (const envelope of envelopes) expect(second.apply(envelope)).toEqual(first.apply(envelope));
      expect(second.accounts()).toEqual(first.accounts());
      expect(second.openOrders()).toEqual(first.openOrders());
      expect(second.fills()).toEqual(first.fills());
    }
  });

  it('the generator reaches every close reason, the common reject codes and the rarer events', () => {
    const closeReasons = new Set<string>();
    const codes = new Set<RejectCode>();
    const types = new Set<string>();
    let envelopeCount = 0;
    for (let seed = 1; seed <= 200; seed += 1) {
      const envelopes = sampleCommandEnvelopes(seed);
      envelopeCount += envelopes.length;
      const reference = new ReferenceCore();
      for (const envelope of envelopes) {
        for (const e of reference.apply(envelope)) {
          types.add(e.type);
          if (e.type === 'OrderClosed') closeReasons.add(e.reason);
          if (e.type === 'OrderRejected' || e.type === 'CommandRejected') codes.add(e.code);
        }
      }
    }
    expect(envelopeCount).toBeGreaterThan(200 * 50);
    expect([...closeReasons].sort()).toEqual(Object.keys(CLOSE_REASONS).sort());
    for (const type of ['OrderDelayed', 'OrderReduced', 'OrderDuplicate', 'AccountSettled', 'MarketVoided', 'FundsWithdrawn', 'MarketResettled', 'AccountResettled']) {
      expect(types, type).toContain(type);
    }
    const expectedCodes: RejectCode[] = [
      'invalid_command',
      'unknown_account',
      'unknown_market',
      'invalid_runner',
      'invalid_price',
      'invalid_stake',
      'invalid_min_fill',
      'persistence_not_allowed',
      'stake_below_minimum',
      'stake_above_maximum',
      'too_many_open_orders',
      'market_suspended',
      'market_closed',
      'market_settled',
      'market_voided',
      'insufficient_funds',
      'market_exposure_limit',
      'loss_limit_exceeded',
      'unknown_order',
      'batch_empty',
      'batch_too_large',
      'batch_multi_market',
      'batch_instruction_rejected',
      'invalid_amount',
      'duplicate_transfer',
      'invalid_transition',
      'invalid_settlement',
      'invalid_market_definition',
      'market_exists',
      'account_exists',
      'invalid_limits',
    ];
    for (const code of expectedCodes) expect(codes, code).toContain(code);
  });
});
