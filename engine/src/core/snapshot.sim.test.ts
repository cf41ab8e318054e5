// Snapshots: a core restored from a snapshot taken at any point, fed the rest of the journal,
// ends in the same state (same hash, same events) as a core that replayed everything.
import { describe, expect, it } from 'vitest';
import type { CommandEnvelope, EngineEvent } from '@playchacha/protocol';
import { sampleCommandEnvelopes } from '../testing/command-generator.js';
import { ExchangeCore, type CoreSnapshot } from './exchange-core.js';

const SEEDS = Number(process.env['NUM_RUNS'] ?? 60);
const seedBase = Number(process.env['SEED'] ?? 20261125);

function replay(envelopes: readonly CommandEnvelope[], core = new ExchangeCore()): { core: ExchangeCore; events: EngineEvent[][] } {
  const events = envelopes.map((envelope) => [...core.apply(envelope)]);
  return { core, events };
}

describe('snapshot and replay', () => {
  it(`snapshot at a random point + replay of the tail equals a full replay (${SEEDS} seeds)`, () => {
    for (let run = 0; run < SEEDS; run++) {
      const seed = seedBase + run;
      const envelopes = sampleCommandEnvelopes(seed);
      const cut = (seed * 7919) % (envelopes.length + 1);
      const full = replay(envelopes);
      const head = replay(envelopes.slice(0, cut));
      // Through JSON, as a snapshot store would hold it.
      const saved = JSON.parse(JSON.stringify(head.core.snapshot())) as CoreSnapshot;
      const restored = ExchangeCore.fromSnapshot(saved);
      expect(restored.stateHash(), `SEED=${seed} cut=${cut}`).toBe(head.core.stateHash());
      const tail = replay(envelopes.slice(cut), restored);
      expect(tail.events, `SEED=${seed} cut=${cut}`).toEqual(full.events.slice(cut));
      expect(restored.stateHash(), `SEED=${seed} cut=${cut}`).toBe(full.core.stateHash());
      restored.checkInvariants();
    }
  });

  it('the same journal applied twice from empty gives the same state hash', () => {
    const envelopes = sampleCommandEnvelopes(seedBase);
    expect(replay(envelopes).core.stateHash()).toBe(replay(envelopes).core.stateHash());
  });

  it('the state hash changes when the state does', () => {
    const envelopes = sampleCommandEnvelopes(seedBase);
    const core = new ExchangeCore();
    const hashes = new Set<string>();
    for (const envelope of envelopes) {
      core.apply(envelope);
      hashes.add(core.stateHash());
    }
    // Every command advances the journal position, which the hash covers.
    expect(hashes.size).toBe(envelopes.length);
  });
});
