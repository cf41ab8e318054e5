// Engine benchmark (research note §3.1 workload W, goals G1, G2, G8): one seeded mixed order flow
// replayed into (a) our order book alone, (b) the npm book nodejs-order-book, (c) a minimal
// typed-array ladder (the ceiling), and (d) the full ExchangeCore as journaled commands.
//
//   npm run bench:engine -- [--ops N] [--seed S] [--peer-ops N|all] [--prefill N]
//                           [--heap-orders N] [--runs R] [--only book,peer,ceiling,core] [--json]
//
// Needs `node --expose-gc` for the heap figures and for a collection between passes; the npm script
// passes it, and a run without it relaunches itself with it.

import { spawnSync } from 'node:child_process';
import type { ExchangeCore } from '@playchacha/engine';
import type { CommandEnvelope, EngineEvent } from '@playchacha/protocol';
import type { BenchBook } from './bench-book.js';
import { CeilingBook } from './ceiling-book.js';
import { buildCoreFlow, withOrderId } from './core-flow.js';
import { summarize, timerFloor, type LatencySummary } from './latency.js';
import { PeerBook, peerOrderIds } from './peer-book.js';
import { freshReplayLoops } from './replay.js';
import {
  CENTRE_TICK,
  LADDER_SIZE,
  OP_PLACE,
  RUNNER_COUNT,
  SIDE_BACK,
  generateWorkload,
  type Workload,
} from './workload.js';

/** The peer is slow; a shorter warm-up is enough for its JIT to settle. */
const PEER_WARM_UP_OPS = 50_000;

/** The core is ~10× slower than the book; fewer throughput passes keep the run short. */
const CORE_RUNS_MAX = 3;

const GOALS = {
  bookOpsPerSec: 10_000_000,
  bookOverPeer: 100,
  bookOverCeiling: 1 / 3,
  coreCommandsPerSec: 1_000_000,
  heapBytesPerRestingOrder: 200,
} as const;

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  ops: number;
  seed: number;
  prefill: number;
  peerOps: number;
  heapOrders: number;
  runs: number;
  only: Set<string>;
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    ops: 1_000_000,
    seed: 42,
    prefill: 5_000,
    peerOps: 200_000,
    heapOrders: 200_000,
    runs: 5,
    only: new Set(['book', 'peer', 'ceiling', 'core']),
    json: false,
  };
  let peerAll = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = value();
      const n = Number(v.replace(/_/g, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${arg}: not a non-negative integer: ${v}`);
      return n;
    };
    switch (arg) {
      case '--ops': options.ops = int(); break;
      case '--seed': options.seed = int(); break;
      case '--prefill': options.prefill = int(); break;
      case '--heap-orders': options.heapOrders = int(); break;
      case '--runs': options.runs = Math.max(1, int()); break;
      case '--peer-ops': {
        const v = argv[i + 1];
        if (v === 'all') { peerAll = true; i++; } else options.peerOps = int();
        break;
      }
      case '--only': options.only = new Set(value().split(',').map((s) => s.trim())); break;
      case '--json': options.json = true; break;
      case '--help':
        process.stdout.write(
          'npm run bench:engine -- [--ops N] [--seed S] [--peer-ops N|all] [--prefill N] [--heap-orders N] [--runs R] [--only book,peer,ceiling,core] [--json]\n',
        );
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${arg}`);
    }
  }
  options.peerOps = peerAll ? options.ops : Math.min(options.peerOps, options.ops);
  if (options.ops < 1) throw new Error('--ops must be at least 1');
  if (options.peerOps < 1) options.only.delete('peer');
  return options;
}

// ---------------------------------------------------------------------------------------------
// Helpers

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  if (gc !== undefined) {
    gc();
    gc();
  }
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtRate(perSec: number): string {
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)} k`;
  return perSec.toFixed(0);
}

function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${Math.round(ns)} ns`;
}

/** Whole bytes; a measured growth within noise of zero prints as 0, never -0. */
function fmtBytes(bytes: number): string {
  return String(Math.round(bytes) + 0);
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The largest order id placed in ops [0, end). */
function maxOrderIdBefore(w: Workload, end: number): number {
  let max = 0;
  for (let i = 0; i < end; i++) if (w.kind[i] === OP_PLACE) max = Math.max(max, w.orderId[i] as number);
  return max;
}

// ---------------------------------------------------------------------------------------------
// Book benchmarks (a), (b), (c)

interface BenchResult {
  readonly name: string;
  readonly ops: number;
  readonly opsPerSec: number;
  /** Throughput of each throughput pass. */
  readonly opsPerSecRuns: number[];
  readonly latency: LatencySummary;
  /** Live orders after the throughput pass. */
  readonly liveOrders: number;
}

/**
 * One book under test: a warm-up pass, throughput passes (no per-op timers) and a latency pass
 * (performance.now() around every op), each on a fresh book with the prefill applied untimed.
 */
class BookBench {
  private readonly loops = freshReplayLoops();
  private readonly opsPerSecRuns: number[] = [];
  private liveOrders = -1;

  constructor(
    readonly name: string,
    private readonly create: () => BenchBook,
    private readonly w: Workload,
    private readonly ops: number,
  ) {}

  private fresh(): BenchBook {
    const book = this.create();
    this.loops.replay(book, this.w, 0, this.w.prefill);
    return book;
  }

  /**
   * Two untimed passes with a collection in between, as the measured passes have: a collection
   * can discard optimised code that referred to a dead book, and the re-optimisation belongs in
   * the warm-up, not in the first measured pass.
   */
  warmUp(ops = this.ops): void {
    log(`${this.name}: warm-up`);
    const end = this.w.prefill + Math.min(ops, this.ops);
    this.loops.replay(this.create(), this.w, 0, end);
    collect();
    this.loops.replay(this.create(), this.w, 0, end);
  }

  throughputPass(): void {
    log(`${this.name}: throughput pass ${this.opsPerSecRuns.length + 1}`);
    const book = this.fresh();
    collect();
    const t0 = performance.now();
    this.loops.replay(book, this.w, this.w.prefill, this.w.prefill + this.ops);
    const t1 = performance.now();
    this.opsPerSecRuns.push(this.ops / ((t1 - t0) / 1e3));
    this.check(book.liveOrders());
  }

  latencyPass(): BenchResult {
    log(`${this.name}: latency pass`);
    const durations = new Float64Array(this.ops);
    const book = this.fresh();
    collect();
    this.loops.replayTimed(book, this.w, this.w.prefill, this.w.prefill + this.ops, durations);
    this.check(book.liveOrders());
    return {
      name: this.name,
      ops: this.ops,
      opsPerSec: median(this.opsPerSecRuns),
      opsPerSecRuns: this.opsPerSecRuns,
      latency: summarize(durations, this.ops),
      liveOrders: this.liveOrders,
    };
  }

  private check(live: number): void {
    if (this.liveOrders >= 0 && live !== this.liveOrders) {
      throw new Error(`${this.name}: live orders differ between passes (${this.liveOrders} vs ${live})`);
    }
    this.liveOrders = live;
  }
}

/** Live orders after replaying ops [0, prefill + ops) into a fresh book, untimed. */
function liveAfter(create: () => BenchBook, w: Workload, ops: number): number {
  const { replay } = freshReplayLoops();
  const book = create();
  replay(book, w, 0, w.prefill + ops);
  return book.liveOrders();
}

interface HeapResult {
  readonly bytesPerOrder: number;
  readonly heapBytesPerOrder: number;
  readonly bufferBytesPerOrder: number;
}

/**
 * Memory per resting order: a fresh book filled with `count` non-crossing orders spread over 30
 * levels per side of each runner, measured as the growth of the V8 heap plus typed-array buffers
 * (typed-array contents live outside the V8 heap and are reported by memoryUsage().arrayBuffers).
 */
function heapPerRestingOrder(create: () => BenchBook, count: number): HeapResult | null {
  if (gc === undefined) return null;
  collect();
  const before = process.memoryUsage();
  const book = create();
  for (let id = 1; id <= count; id++) {
    const side = id & 1;
    const offset = 1 + (id % 30);
    const tick = side === SIDE_BACK ? CENTRE_TICK + offset : CENTRE_TICK - offset;
    book.place(id, id % RUNNER_COUNT, side, tick, 1000);
  }
  collect();
  const after = process.memoryUsage();
  if (book.liveOrders() !== count) throw new Error(`heap fill: expected ${count} resting orders, got ${book.liveOrders()}`);
  const heap = (after.heapUsed - before.heapUsed) / count;
  const buffers = (after.arrayBuffers - before.arrayBuffers) / count;
  return { bytesPerOrder: heap + buffers, heapBytesPerOrder: heap, bufferBytesPerOrder: buffers };
}

// ---------------------------------------------------------------------------------------------
// Core benchmark (d)

interface CoreResult extends BenchResult {
  readonly rejected: number;
  readonly remapped: number;
}

function countRejections(events: readonly EngineEvent[]): number {
  let n = 0;
  for (const e of events) if (e.type === 'OrderRejected' || e.type === 'CommandRejected' || e.type === 'InstructionRefused') n++;
  return n;
}

type ExchangeCoreClass = typeof import('@playchacha/engine').ExchangeCore;

function benchCore(ExchangeCoreImpl: ExchangeCoreClass, w: Workload, runs: number): CoreResult {
  log('core: building command envelopes');
  const flow = buildCoreFlow(w);
  const ops = w.ops;
  const start = w.prefill;
  const end = w.total;
  const setup = (): ExchangeCore => {
    const core = new ExchangeCoreImpl();
    let rejected = 0;
    for (const env of flow.setup) rejected += countRejections(core.apply(env));
    if (rejected > 0) throw new Error(`core: ${rejected} setup commands rejected`);
    return core;
  };

  // Warm-up, which also maps the workload's order ids to the engine's: the engine numbers
  // accepted orders 1, 2, 3, ...; if it ever refuses a place, later cancels are rewritten to name
  // the engine's ids, so every later pass replays exactly the same commands.
  log('core: warm-up (checks order ids)');
  const engineIdOf = new Float64Array(w.maxOrderId + 1);
  let rejected = 0;
  let remapped = 0;
  let core = setup();
  for (let i = 0; i < end; i++) {
    let env = flow.ops[i] as CommandEnvelope;
    const wid = w.orderId[i] as number;
    if (w.kind[i] !== OP_PLACE) {
      const mapped = engineIdOf[wid] as number;
      if (mapped !== 0 && mapped !== wid) {
        env = withOrderId(env, mapped);
        flow.ops[i] = env;
        remapped++;
      }
    }
    const events = core.apply(env);
    rejected += countRejections(events);
    if (w.kind[i] === OP_PLACE) {
      for (const e of events) {
        if (e.type === 'OrderAccepted') {
          engineIdOf[wid] = e.orderId;
          break;
        }
      }
    }
  }

  const apply = (c: ExchangeCore, from: number, to: number): void => {
    const list = flow.ops;
    for (let i = from; i < to; i++) c.apply(list[i] as CommandEnvelope);
  };

  const opsPerSecRuns: number[] = [];
  let liveOrders = 0;
  for (let run = 0; run < runs; run++) {
    log(`core: throughput pass ${run + 1}/${runs}`);
    core = setup();
    apply(core, 0, start);
    collect();
    const t0 = performance.now();
    apply(core, start, end);
    const t1 = performance.now();
    opsPerSecRuns.push(ops / ((t1 - t0) / 1e3));
    liveOrders = core.openOrders().length;
  }

  log('core: latency pass');
  const durations = new Float64Array(ops);
  core = setup();
  apply(core, 0, start);
  collect();
  const list = flow.ops;
  for (let i = start; i < end; i++) {
    const env = list[i] as CommandEnvelope;
    const t0 = performance.now();
    core.apply(env);
    durations[i - start] = (performance.now() - t0) * 1e6;
  }
  const latency = summarize(durations, ops);
  return { name: 'core', ops, opsPerSec: median(opsPerSecRuns), opsPerSecRuns, latency, liveOrders, rejected, remapped };
}

// ---------------------------------------------------------------------------------------------
// Main

function relaunchWithGc(): boolean {
  if (gc !== undefined || process.env['PLAYCHACHA_BENCH_RELAUNCHED'] === '1') return false;
  const script = process.argv[1];
  if (script === undefined) return false;
  const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, PLAYCHACHA_BENCH_RELAUNCHED: '1' },
  });
  process.exitCode = child.status ?? 1;
  return true;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  if (relaunchWithGc()) return;
  const options = parseOptions(process.argv.slice(2));
  const run = (name: string): boolean => options.only.has(name);
  const print = (line = ''): void => {
    process.stdout.write(`${line}\n`);
  };

  log(`generating workload: seed ${options.seed}, prefill ${options.prefill}, ${options.ops} ops`);
  const w = generateWorkload({
    seed: options.seed,
    prefill: options.prefill,
    ops: options.ops,
    checkpoints: [options.peerOps],
  });
  const peerMaxId = Math.max(maxOrderIdBefore(w, w.prefill + options.peerOps), options.heapOrders);
  const peerIds = run('peer') ? peerOrderIds(peerMaxId) : [];

  const makePeer = (): BenchBook => new PeerBook(RUNNER_COUNT, peerIds, w.runnerOfOrder);
  const makeCeiling = (): BenchBook =>
    new CeilingBook({ runnerCount: RUNNER_COUNT, ladderSize: LADDER_SIZE, capacity: 1 << 14, maxOrderId: w.maxOrderId });
  const makeCeilingForHeap = (): BenchBook =>
    new CeilingBook({ runnerCount: RUNNER_COUNT, ladderSize: LADDER_SIZE, capacity: 1024, maxOrderId: options.heapOrders });
  const makePeerForHeap = (): BenchBook => new PeerBook(RUNNER_COUNT, peerIds, new Uint8Array(options.heapOrders + 1));

  // Our book and the core are loaded at run time, so that the other benchmarks still run while
  // either does not load or does not work yet; each is probed once before it is measured.
  let ourError: string | null = null;
  let OurBookImpl: typeof import('./our-book.js').OurBook | null = null;
  if (run('book')) {
    try {
      OurBookImpl = (await import('./our-book.js')).OurBook;
    } catch (error) {
      ourError = `does not load: ${errorText(error)}`;
    }
  }
  const makeOur = (): BenchBook => {
    if (OurBookImpl === null) throw new Error('our book is not loaded');
    return new OurBookImpl({ runnerCount: RUNNER_COUNT, ladderSize: LADDER_SIZE });
  };
  if (OurBookImpl !== null) {
    try {
      const probe = makeOur();
      probe.place(1, 0, SIDE_BACK, CENTRE_TICK, 100);
      probe.cancel(1);
      if (probe.liveOrders() !== 0) ourError = 'probe: cancel did not remove the order';
    } catch (error) {
      ourError = errorText(error);
    }
  }
  const ourOk = run('book') && ourError === null;

  const floor = timerFloor();

  const results: Record<string, BenchResult | null> = { book: null, peer: null, ceiling: null, core: null };
  // Each book's passes run back to back: interleaving them lets one book's garbage collections
  // throw away the other's optimised code between its passes.
  const fast: BookBench[] = [];
  if (run('ceiling')) fast.push(new BookBench('ceiling', makeCeiling, w, options.ops));
  if (ourOk) fast.push(new BookBench('book', makeOur, w, options.ops));
  for (const b of fast) {
    b.warmUp();
    for (let r = 0; r < options.runs; r++) b.throughputPass();
    results[b.name] = b.latencyPass();
  }
  if (run('peer')) {
    const peerBench = new BookBench('peer', makePeer, w, options.peerOps);
    peerBench.warmUp(PEER_WARM_UP_OPS);
    peerBench.throughputPass();
    results['peer'] = peerBench.latencyPass();
  }

  let coreError: string | null = null;
  let coreResult: CoreResult | null = null;
  if (run('core')) {
    let ExchangeCoreImpl: ExchangeCoreClass | null = null;
    try {
      ExchangeCoreImpl = (await import('@playchacha/engine')).ExchangeCore;
    } catch (error) {
      coreError = `does not load: ${errorText(error)}`;
    }
    if (ExchangeCoreImpl !== null) {
      try {
        coreResult = benchCore(ExchangeCoreImpl, w, Math.min(options.runs, CORE_RUNS_MAX));
        results['core'] = coreResult;
      } catch (error) {
        coreError = errorText(error);
      }
    }
  }

  // Memory per resting order, measured after the timed passes so that its differently shaped
  // calls cannot change what the JIT learnt from the workload.
  const heap: Record<string, HeapResult | null> = {};
  if (ourOk) { log('heap: book'); heap['book'] = heapPerRestingOrder(makeOur, options.heapOrders); }
  if (run('ceiling')) { log('heap: ceiling'); heap['ceiling'] = heapPerRestingOrder(makeCeilingForHeap, options.heapOrders); }
  if (run('peer')) { log('heap: peer'); heap['peer'] = heapPerRestingOrder(makePeerForHeap, options.heapOrders); }

  // Semantics: every book must end with the generator's live-order count, at the end of the full
  // flow and (for the peer, which may run a prefix) after the peer's ops.
  const expectedFull = w.expectedLive.get(options.ops) as number;
  const expectedPeer = w.expectedLive.get(options.peerOps) as number;
  const liveFull: Record<string, number> = {};
  const livePeer: Record<string, number> = {};
  for (const name of ['book', 'ceiling', 'core']) {
    const r = results[name];
    if (r) liveFull[name] = r.liveOrders;
  }
  if (results['peer']) {
    livePeer['peer'] = results['peer'].liveOrders;
    if (results['ceiling']) livePeer['ceiling'] = liveAfter(makeCeiling, w, options.peerOps);
    if (results['book']) livePeer['book'] = liveAfter(makeOur, w, options.peerOps);
  }
  const mismatches: string[] = [];
  for (const [name, n] of Object.entries(liveFull)) if (n !== expectedFull) mismatches.push(`${name} ${n} ≠ ${expectedFull} after ${options.ops} ops`);
  for (const [name, n] of Object.entries(livePeer)) if (n !== expectedPeer) mismatches.push(`${name} ${n} ≠ ${expectedPeer} after ${options.peerOps} ops`);

  // ---- report
  const book = results['book'] ?? null;
  const peer = results['peer'] ?? null;
  const ceiling = results['ceiling'] ?? null;
  const core = results['core'] ?? null;
  const bookOverPeer = book && peer ? book.opsPerSec / peer.opsPerSec : null;
  const bookOverCeiling = book && ceiling ? book.opsPerSec / ceiling.opsPerSec : null;
  const s = w.stats;
  const measured = options.ops;

  print(`Engine benchmark: seed ${options.seed}, ${fmtInt(options.prefill)} prefill orders, then ${fmtInt(options.ops)} ops`);
  print(`  one market, ${RUNNER_COUNT} runners, standard ladder (${LADDER_SIZE} ticks) around tick ${CENTRE_TICK} (odds 2.0)`);
  print(
    `  flow: ${((100 * (s.passive - options.prefill)) / measured).toFixed(1)} % passive, ${((100 * s.cancels) / measured).toFixed(1)} % cancels, ` +
      `${((100 * s.crossing) / measured).toFixed(1)} % crossing; ${fmtInt(s.fills)} fills; ${fmtInt(expectedFull)} live orders at the end (max ${fmtInt(s.maxLive)})`,
  );
  print(`  final touch per runner (best back / best lay tick): ${s.touches.map(([b, l]) => `${b}/${l}`).join(', ')}`);
  print(`  timer floor (two back-to-back performance.now()): p50 ${fmtNs(floor.p50Ns)}, p99 ${fmtNs(floor.p99Ns)}; it is included in the latency columns`);
  if (peer && options.peerOps < options.ops) {
    print(`  the peer runs the first ${fmtInt(options.peerOps)} ops only (it is ~100× slower; --peer-ops all runs everything)`);
  }
  print(
    `  throughput: median of ${options.runs} passes (core: ${Math.min(options.runs, CORE_RUNS_MAX)}, peer: 1); latency: one pass timing every op`,
  );
  print();
  const header =
    pad('bench', 9) + pad('ops', 11, true) + pad('ops/s', 12, true) + pad('p50', 10, true) + pad('p90', 10, true) +
    pad('p99', 10, true) + pad('p99.9', 10, true) + pad('max', 10, true) + '   goal';
  print(header);
  print('-'.repeat(header.length + 12));
  const row = (name: string, r: BenchResult | null, goal: string, missing: string): void => {
    if (!r) {
      print(pad(name, 9) + `   ${missing}`);
      return;
    }
    const l = r.latency;
    print(
      pad(name, 9) + pad(fmtInt(r.ops), 11, true) + pad(fmtRate(r.opsPerSec), 12, true) + pad(fmtNs(l.p50Ns), 10, true) +
        pad(fmtNs(l.p90Ns), 10, true) + pad(fmtNs(l.p99Ns), 10, true) + pad(fmtNs(l.p999Ns), 10, true) +
        pad(fmtNs(l.maxNs), 10, true) + `   ${goal}`,
    );
  };
  row('book', book, `≥ ${fmtRate(GOALS.bookOpsPerSec)} ops/s`, ourError === null ? 'not run' : `not available: ${ourError}`);
  row('peer', peer, '', 'not run');
  row('ceiling', ceiling, '', 'not run');
  row('core', core, `≥ ${fmtRate(GOALS.coreCommandsPerSec)} commands/s`, coreError === null ? 'not run' : `not available: ${coreError}`);
  print();
  for (const r of [book, ceiling, core]) {
    if (r && r.opsPerSecRuns.length > 1) print(`  ${r.name} throughput passes: ${r.opsPerSecRuns.map(fmtRate).join(', ')} ops/s`);
  }
  if (coreResult) {
    print(`  core: ${fmtRate(coreResult.opsPerSec)} commands/s; ${coreResult.rejected} rejected commands, ${coreResult.remapped} cancels remapped to engine ids`);
  }
  print(
    `  book / peer:    ${bookOverPeer === null ? 'n/a' : `${bookOverPeer.toFixed(0)}×`}   (goal ≥ ${GOALS.bookOverPeer}×)`,
  );
  print(
    `  book / ceiling: ${bookOverCeiling === null ? 'n/a' : bookOverCeiling.toFixed(2)}   (goal ≥ ${GOALS.bookOverCeiling.toFixed(2)})`,
  );
  print();
  print(`  memory per resting order (${fmtInt(options.heapOrders)} resting orders; V8 heap + typed-array buffers):`);
  if (gc === undefined) print('    n/a: run with node --expose-gc');
  for (const name of ['book', 'ceiling', 'peer']) {
    const h = heap[name];
    if (h) {
      const goal = name === 'book' ? `   (goal ≤ ${GOALS.heapBytesPerRestingOrder} B)` : '';
      print(
        `    ${pad(name, 8)} ${pad(fmtBytes(h.bytesPerOrder), 6, true)} B  (heap ${fmtBytes(h.heapBytesPerOrder)} B + buffers ${fmtBytes(h.bufferBytesPerOrder)} B)${goal}`,
      );
    }
  }
  print();
  const liveLine = (label: string, expected: number, counts: Record<string, number>): void => {
    const parts = Object.entries(counts).map(([name, n]) => `${name} ${fmtInt(n)}`);
    print(`  live orders after ${label}: generator ${fmtInt(expected)}; ${parts.length > 0 ? parts.join(', ') : 'no books ran'}`);
  };
  liveLine(`${fmtInt(options.ops)} ops`, expectedFull, liveFull);
  if (results['peer']) liveLine(`${fmtInt(options.peerOps)} ops`, expectedPeer, livePeer);
  if (mismatches.length > 0) {
    print(`  SEMANTICS DIFFER: ${mismatches.join('; ')}`);
    process.exitCode = 1;
  } else {
    print('  semantics agree: every book that ran ends with the generator\'s live-order count');
  }

  if (options.json) {
    const figures = (r: BenchResult | null): object | null =>
      r && {
        opsPerSec: Math.round(r.opsPerSec),
        p50Ns: r.latency.p50Ns,
        p99Ns: r.latency.p99Ns,
        p999Ns: r.latency.p999Ns,
        ops: r.ops,
        liveOrders: r.liveOrders,
      };
    const json = {
      book: figures(book),
      peer: figures(peer),
      ceiling: figures(ceiling),
      core: core && { ...figures(core), commandsPerSec: Math.round(core.opsPerSec) },
      ratios: {
        bookOverPeer: bookOverPeer === null ? null : Number(bookOverPeer.toFixed(2)),
        bookOverCeiling: bookOverCeiling === null ? null : Number(bookOverCeiling.toFixed(4)),
      },
      heapBytesPerRestingOrder: heap['book'] ? Number(heap['book'].bytesPerOrder.toFixed(1)) : null,
      ops: options.ops,
      peerOps: peer ? options.peerOps : null,
      seed: options.seed,
      semanticsAgree: mismatches.length === 0,
      goals: GOALS,
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  }
}

await main();
