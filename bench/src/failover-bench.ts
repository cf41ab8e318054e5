// The journal and failover benchmark (research note engine-perf.md §3.4–3.5, goals G5–G7), on a
// redis-server of its own (scripts/test-servers.ts, AOF appendfsync always), loopback only:
//
//   failover  two engine processes (engine/src/main.ts) on one partition; a client sends a 1-minor-
//             unit Deposit every ~5 ms through the partition's inbox; the leader is killed with -9;
//             failoverMs = from the kill to the first answer to a command the NEW leader journaled
//             (its frames carry the new epoch). Repeated --runs times, a fresh standby each time.
//   replay    N commands (the seeded order flow of bench:engine: PlaceOrder/CancelOrder on one
//             market, 50 accounts) journaled in frames of 1,000; then a cold restore, in a fresh
//             Node process, of a new EnginePartition with no snapshot, from start() until it is a
//             standby at seq N. Also, in this process: Redis read + decode alone, core apply alone.
//   append    durable RedisJournal.append: one-command frames with 64 in flight, and 100-command
//             frames (64 in flight, and one at a time as the partition's group commit does).
//
// npm run bench:failover -- [--json] [--runs 5] [--replay-commands 1000000] [--append-frames 20000]
//                           [--only failover,replay,append] [--seed 42]
//                           [--cpu-prof-dir DIR]
// With --json the last line of stdout is one JSON object: {failoverMs, replayEventsPerSec,
// appendPerSec, ...details}. Progress goes to stderr. Exit status 1 if a check fails (a state hash
// differs, a command goes unanswered); missing a goal is reported, not failed.

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Command, CommandEnvelope, EngineEvent } from '@playchacha/protocol';
import { ExchangeCore } from '../../engine/src/core/index.js';
import { EngineClient } from '../../engine/src/io/engine-client.js';
import { decodeFrameBody, encodeFrameBody, type EventFrame } from '../../engine/src/io/frame-codec.js';
import type { JournalFrame } from '../../engine/src/io/journal.js';
import { EnginePartition } from '../../engine/src/io/partition.js';
import { connectJournalRedis, RedisJournal, RedisLeadership } from '../../engine/src/io/redis-journal.js';
import { RedisSnapshotStore } from '../../engine/src/io/snapshot-stores.js';
import { startRedis, type RedisServer } from '../../scripts/test-servers.js';
import { buildCoreFlow, withOrderId } from './core-flow.js';
import { generateWorkload, OP_PLACE } from './workload.js';
import { EngineProcess } from '@playchacha/engine/testing';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const GOAL_FAILOVER_MS = 1_000;
const GOAL_REPLAY_PER_SEC = 1_000_000;

interface Options {
  json: boolean;
  runs: number;
  replayCommands: number;
  appendFrames: number;
  seed: number;
  only: Set<string>;
  /** When set, each cold-restore child writes a V8 CPU profile (.cpuprofile) here. */
  cpuProfDir: string | null;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    json: false,
    runs: 5,
    replayCommands: 1_000_000,
    appendFrames: 20_000,
    seed: 42,
    only: new Set(['failover', 'replay', 'append']),
    cpuProfDir: null,
  };
  const integer = (name: string, text: string | undefined, min: number, max: number): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer in ${min}..${max}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--json': options.json = true; break;
      case '--runs': options.runs = integer(arg, argv[++i], 1, 20); break;
      case '--replay-commands': options.replayCommands = integer(arg, argv[++i], 10_000, 5_000_000); break;
      case '--append-frames': options.appendFrames = integer(arg, argv[++i], 1_000, 200_000); break;
      case '--seed': options.seed = integer(arg, argv[++i], 0, 2 ** 31); break;
      case '--only': options.only = new Set((argv[++i] ?? '').split(',').filter((s) => s !== '')); break;
      case '--cpu-prof-dir': options.cpuProfDir = argv[++i] ?? ''; break;
      case '--help':
        process.stdout.write(
          'npm run bench:failover -- [--json] [--runs 5] [--replay-commands 1000000] [--append-frames 20000] [--only failover,replay,append] [--seed 42] [--cpu-prof-dir DIR]\n',
        );
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${arg}`);
    }
  }
  return options;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A failed check (not a missed goal): the run exits with status 1. */
const failures: string[] = [];
function check(ok: boolean, what: string): void {
  if (!ok) {
    failures.push(what);
    log(`CHECK FAILED: ${what}`);
  }
}


async function connect(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  await redis.connect();
  return redis;
}

// ---------------------------------------------------------------------------------------------
// Engine processes

/** Child processes of the cold-restore measurement (engine processes clean up after themselves). */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** An engine process of the bench's partition (lease 500 ms, warn-level logs, no demo). */
function spawnEngine(redisUrl: string, partition: string): Promise<EngineProcess> {
  return EngineProcess.spawn({ REDIS_URL: redisUrl, PARTITION: partition, LEASE_MS: '500' });
}

// ---------------------------------------------------------------------------------------------
// failover

interface FailoverResult {
  readonly runsMs: number[];
  readonly medianMs: number;
  /** From the kill until /status of the standby first said leader (polled every 10 ms). */
  readonly leaderSeenMs: number[];
  readonly commandsSent: number;
  readonly commandsAnswered: number;
  readonly commandsUnanswered: number;
  readonly hashesAgree: boolean;
}

async function benchFailover(redisUrl: string, runs: number): Promise<FailoverResult> {
  const partition = 'failover';
  const started: EngineProcess[] = [];
  const writer = await connect(redisUrl);
  const reader = await connect(redisUrl);
  const journalReader = await connect(redisUrl);
  const journal = new RedisJournal(journalReader, partition);
  const client = new EngineClient(writer, reader, partition, 15_000);
  let sender: NodeJS.Timeout | null = null;
  try {
    log('failover: starting two engine processes');
    let leader = await spawnEngine(redisUrl, partition);
    started.push(leader);
    await leader.waitFor('leadership', (s) => s.role === 'leader');
    let standby = await spawnEngine(redisUrl, partition);
    started.push(standby);
    await standby.waitFor('standby', (s) => s.role === 'standby');

    const frames: Array<{ at: number; frame: EventFrame }> = [];
    client.onFrame((frame) => frames.push({ at: performance.now(), frame }));
    await client.start(0);
    await client.submit({ type: 'OpenAccount', accountId: 1 });

    let sent = 0;
    let answered = 0;
    let unanswered = 0;
    const outstanding = new Set<Promise<unknown>>();
    const send = (): void => {
      const n = sent++;
      const command: Command = { type: 'Deposit', accountId: 1, transferId: `fo-${n}`, amountMinor: 1 };
      const answer = client.submit(command).then(
        (events: readonly EngineEvent[]) => {
          answered++;
          if (!events.some((e) => e.type === 'AccountUpdated')) failures.push(`deposit fo-${n} was not applied: ${JSON.stringify(events)}`);
        },
        () => {
          unanswered++;
        },
      );
      outstanding.add(answer);
      void answer.finally(() => outstanding.delete(answer));
    };
    sender = setInterval(send, 5);

    const runsMs: number[] = [];
    const leaderSeenMs: number[] = [];
    for (let run = 1; run <= runs; run++) {
      await sleep(400); // steady traffic before the kill
      const before = await leader.waitFor('leadership', (s) => s.role === 'leader');
      const seqBefore = frames.at(-1)?.frame.lastSeq ?? 0;
      const killedAt = performance.now();
      leader.kill9();
      const now = await standby.waitFor('leadership after the kill', (s) => s.role === 'leader', 15_000, 10);
      leaderSeenMs.push(performance.now() - killedAt);
      check(now.epoch > before.epoch, `run ${run}: the new leader's epoch ${now.epoch} is above the old ${before.epoch}`);
      // The first frame the new leader journaled: the first with its epoch.
      let firstNewSeq = 0;
      for (let attempt = 0; attempt < 500 && firstNewSeq === 0; attempt++) {
        for (let from = seqBefore + 1; ; ) {
          const page: JournalFrame[] = await journal.read(from, 256);
          const hit = page.find((f) => f.epoch === now.epoch);
          if (hit !== undefined) {
            firstNewSeq = hit.firstSeq;
            break;
          }
          if (page.length === 0) break;
          from = (page.at(-1) as JournalFrame).lastSeq + 1;
        }
        if (firstNewSeq === 0) await sleep(10);
      }
      check(firstNewSeq > 0, `run ${run}: the new leader journaled a frame`);
      // The first answer to one of our commands that the new leader journaled.
      const deadline = Date.now() + 15_000;
      let answerAt: number | null = null;
      while (answerAt === null && Date.now() < deadline) {
        const hit = frames.find(
          (f) => f.at > killedAt && f.frame.firstSeq >= firstNewSeq && f.frame.entries.some((e) => e.inboxId !== null),
        );
        if (hit !== undefined) answerAt = hit.at;
        else await sleep(5);
      }
      check(answerAt !== null, `run ${run}: an answer from the new leader arrived`);
      const failoverMs = (answerAt ?? Number.NaN) - killedAt;
      runsMs.push(failoverMs);
      log(`failover: run ${run}/${runs}: ${round(failoverMs, 1)} ms (standby reported leader after ${round(leaderSeenMs.at(-1) ?? 0, 1)} ms, epoch ${now.epoch}, first new seq ${firstNewSeq})`);
      await leader.waitForExit();
      // A fresh standby for the next run.
      leader = standby;
      standby = await spawnEngine(redisUrl, partition);
      started.push(standby);
      await standby.waitFor('standby', (s) => s.role === 'standby');
    }

    clearInterval(sender);
    sender = null;
    log(`failover: waiting for the last ${outstanding.size} answers`);
    await Promise.race([Promise.allSettled([...outstanding]), sleep(20_000)]);
    // The standby has tailed every frame: same seq, same state.
    const leaderStatus = await leader.waitFor('leadership', (s) => s.role === 'leader');
    const standbyStatus = await standby.waitFor('catch-up', (s) => s.seq === leaderStatus.seq, 5_000);
    const hashesAgree = standbyStatus.stateHash === leaderStatus.stateHash;
    check(hashesAgree, 'the standby and the leader have the same state hash at the end');
    check(unanswered === 0 && answered === sent, `every command was answered (${answered} of ${sent}, ${unanswered} failed)`);
    return {
      runsMs,
      medianMs: median(runsMs),
      leaderSeenMs,
      commandsSent: sent,
      commandsAnswered: answered,
      commandsUnanswered: sent - answered,
      hashesAgree,
    };
  } finally {
    if (sender !== null) clearInterval(sender);
    await client.close();
    await Promise.allSettled(started.map((engine) => engine.stop()));
    writer.disconnect();
    reader.disconnect();
    journalReader.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// replay

interface ReplayResult {
  readonly commands: number;
  readonly frames: number;
  readonly journalSeconds: number;
  readonly journalCommandsPerSec: number;
  readonly journalBytes: number;
  /** Cold restores, each in a fresh Node process: start() until standby at seq N. */
  readonly coldRestoreSeconds: number[];
  /** CPU time (user + system) of the same restores' processes: steadier than wall time on a busy box. */
  readonly coldRestoreCpuSeconds: number[];
  readonly replayEventsPerSec: number;
  /** The same restore once more in this (warm) process. */
  readonly warmRestoreSeconds: number;
  /** XRANGE + decode of every frame, no apply. */
  readonly readDecodeSeconds: number;
  readonly readDecodePerSec: number;
  /** ExchangeCore.apply of the decoded envelopes, no I/O. */
  readonly applySeconds: number;
  readonly applyPerSec: number;
  readonly stateHashAgrees: boolean;
  readonly rejectedShare: number;
}

function buildReplayEnvelopes(count: number, seed: number): { envelopes: CommandEnvelope[]; rejected: number } {
  const prefill = 5_000;
  const w = generateWorkload({ seed, prefill, ops: Math.max(count - prefill, 1) });
  const flow = buildCoreFlow(w);
  const all = [...flow.setup, ...flow.ops].slice(0, count);
  if (all.length !== count) throw new Error(`the flow has ${all.length} commands, wanted ${count}`);
  // As bench:engine does: map the workload's order ids to the ones the engine assigns, so every
  // cancel names a real order. One untimed pass through a core.
  const opOffset = flow.setup.length;
  const engineIdOf = new Float64Array(w.maxOrderId + 1);
  const core = new ExchangeCore();
  let rejected = 0;
  for (let i = 0; i < all.length; i++) {
    let envelope = all[i] as CommandEnvelope;
    const op = i - opOffset;
    if (op >= 0 && w.kind[op] !== OP_PLACE) {
      const mapped = engineIdOf[w.orderId[op] as number] as number;
      if (mapped !== 0) {
        envelope = withOrderId(envelope, mapped);
        all[i] = envelope;
      }
    }
    const events = core.apply(envelope);
    for (const e of events) {
      if (e.type === 'OrderRejected' || e.type === 'CommandRejected') rejected++;
      if (op >= 0 && w.kind[op] === OP_PLACE && e.type === 'OrderAccepted') engineIdOf[w.orderId[op] as number] = e.orderId;
    }
  }
  return { envelopes: all, rejected };
}

async function benchReplay(redisUrl: string, count: number, seed: number, cpuProfDir: string | null): Promise<ReplayResult> {
  const partition = 'replay';
  const framesOf = 1_000;
  log(`replay: building ${fmt(count)} order commands (seed ${seed})`);
  const { envelopes, rejected } = buildReplayEnvelopes(count, seed);
  const kinds = new Map<string, number>();
  for (const e of envelopes) kinds.set(e.command.type, (kinds.get(e.command.type) ?? 0) + 1);
  log(`replay: ${[...kinds].map(([k, n]) => `${k} ${fmt(n)}`).join(', ')}; ${fmt(rejected)} rejections`);

  const journalRedis = await connectJournalRedis(redisUrl, 60_000);
  const plain = await connect(redisUrl);
  try {
    // The writer holds the lease for the whole bench, so the restored partitions stay standbys.
    const writerLease = new RedisLeadership(journalRedis, partition, { leaseMs: 30 * 60_000, owner: 'bench-writer' });
    const epoch = await writerLease.acquire();
    if (epoch === null) throw new Error('replay: the lease is taken');
    const journal = new RedisJournal(journalRedis, partition);
    const payloads: JournalFrame[] = [];
    let journalBytes = 0;
    for (let at = 0; at < envelopes.length; at += framesOf) {
      const chunk = envelopes.slice(at, at + framesOf);
      const payload = encodeFrameBody({ envelopes: chunk, inboxIds: chunk.map(() => null) });
      journalBytes += payload.byteLength;
      payloads.push({ firstSeq: (chunk[0] as CommandEnvelope).seq, lastSeq: (chunk.at(-1) as CommandEnvelope).seq, epoch, payload: payload.slice() });
    }
    log(`replay: journaling ${fmt(payloads.length)} frames of ${fmt(framesOf)} (${round(journalBytes / 1e6, 1)} MB) with appendfsync always`);
    const journalStarted = performance.now();
    await appendPipelined(journal, payloads, 8);
    const journalSeconds = (performance.now() - journalStarted) / 1e3;
    if ((await journal.lastSeq()) !== count) throw new Error('replay: the journal does not end at N');

    // Redis read + decode alone.
    log('replay: reading and decoding the journal (no apply)');
    const decoded: CommandEnvelope[] = [];
    const readStarted = performance.now();
    for (let from = 1; ; ) {
      const page = await journal.read(from, 256);
      if (page.length === 0) break;
      for (const frame of page) for (const envelope of decodeFrameBody(frame.payload).envelopes) decoded.push(envelope);
      from = (page.at(-1) as JournalFrame).lastSeq + 1;
    }
    const readDecodeSeconds = (performance.now() - readStarted) / 1e3;
    check(decoded.length === count, `read back ${decoded.length} of ${count} commands`);

    // Core apply alone (a warm-up pass first, untimed).
    log('replay: applying the decoded envelopes to a fresh core (no I/O)');
    const warm = new ExchangeCore();
    for (let i = 0; i < Math.min(decoded.length, 200_000); i++) warm.apply(decoded[i] as CommandEnvelope);
    const core = new ExchangeCore();
    const applyStarted = performance.now();
    for (const envelope of decoded) core.apply(envelope);
    const applySeconds = (performance.now() - applyStarted) / 1e3;
    const expectedHash = core.stateHash();
    decoded.length = 0;

    // Cold restores, each in a fresh process.
    const coldRestoreSeconds: number[] = [];
    const coldRestoreCpuSeconds: number[] = [];
    let stateHashAgrees = true;
    for (let i = 0; i < 3; i++) {
      log(`replay: cold restore ${i + 1}/3 in a fresh process`);
      const result = await restoreInChild(redisUrl, partition, cpuProfDir);
      check(result.appliedSeq === count && result.role === 'standby', `cold restore ${i + 1}: standby at seq ${count} (got ${result.role} at ${result.appliedSeq})`);
      if (result.stateHash !== expectedHash) stateHashAgrees = false;
      coldRestoreSeconds.push(result.seconds);
      coldRestoreCpuSeconds.push(result.cpuSeconds);
      log(`replay: cold restore ${i + 1}/3: ${round(result.seconds, 3)} s = ${fmt(count / result.seconds)} commands/s (CPU ${round(result.cpuSeconds, 3)} s)`);
    }
    const warmResult = await restoreHere(redisUrl, partition);
    if (warmResult.stateHash !== expectedHash) stateHashAgrees = false;
    check(stateHashAgrees, 'every restore reached the state hash of the direct apply');

    await writerLease.release(epoch);
    await plain.del(`journal:{${partition}}`);
    const restoreSeconds = median(coldRestoreSeconds);
    return {
      commands: count,
      frames: payloads.length,
      journalSeconds,
      journalCommandsPerSec: count / journalSeconds,
      journalBytes,
      coldRestoreSeconds,
      coldRestoreCpuSeconds,
      replayEventsPerSec: count / restoreSeconds,
      warmRestoreSeconds: warmResult.seconds,
      readDecodeSeconds,
      readDecodePerSec: count / readDecodeSeconds,
      applySeconds,
      applyPerSec: count / applySeconds,
      stateHashAgrees,
      rejectedShare: rejected / count,
    };
  } finally {
    journalRedis.disconnect();
    plain.disconnect();
  }
}

interface RestoreResult {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly appliedSeq: number;
  readonly role: string;
  readonly stateHash: string;
}

/** A new EnginePartition (no snapshot) over the partition's journal: start() until standby. */
async function restoreHere(redisUrl: string, partition: string): Promise<RestoreResult> {
  const journalRedis = await connectJournalRedis(redisUrl, 60_000);
  const plain = await connect(redisUrl);
  const restored = new EnginePartition({
    partition,
    journal: new RedisJournal(journalRedis, partition),
    leadership: new RedisLeadership(journalRedis, partition, { leaseMs: 1_000, owner: 'bench-restore' }),
    snapshots: new RedisSnapshotStore(plain, partition),
    logger: pino({ level: 'silent' }),
    standbyPollMs: 1_000,
  });
  try {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await restored.start();
    const seconds = (performance.now() - started) / 1e3;
    const cpu = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return { seconds, cpuSeconds, appliedSeq: restored.appliedSeq, role: restored.role, stateHash: restored.core.stateHash() };
  } finally {
    await restored.stop();
    journalRedis.disconnect();
    plain.disconnect();
  }
}

/** Runs restoreHere in a fresh Node process (this file with --child-restore), so the JIT is cold. */
function restoreInChild(redisUrl: string, partition: string, cpuProfDir: string | null): Promise<RestoreResult> {
  return new Promise((resolve, reject) => {
    const script = fileURLToPath(import.meta.url);
    const profile = cpuProfDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', script, '--child-restore', redisUrl, partition], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`restore child exited with ${code}:\n${stderr}`));
      try {
        resolve(JSON.parse(line) as RestoreResult);
      } catch {
        reject(new Error(`restore child printed no result:\n${stdout}\n${stderr}`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// append

interface AppendRow {
  readonly commandsPerFrame: number;
  readonly inFlight: number;
  readonly frames: number;
  readonly seconds: number;
  readonly framesPerSec: number;
  readonly commandsPerSec: number;
  readonly latencyMsP50: number;
  readonly latencyMsP99: number;
}

/** Appends `frames` in order with up to `depth` appends in flight on one connection. */
async function appendPipelined(journal: RedisJournal, frames: readonly JournalFrame[], depth: number, latenciesMs?: number[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let next = 0;
    let done = 0;
    let failed = false;
    const launch = (): void => {
      while (!failed && next < frames.length && next - done < depth) {
        const frame = frames[next++] as JournalFrame;
        const sentAt = performance.now();
        journal.append(frame).then(
          () => {
            latenciesMs?.push(performance.now() - sentAt);
            done++;
            if (done === frames.length) resolve();
            else launch();
          },
          (error: unknown) => {
            failed = true;
            reject(error as Error);
          },
        );
      }
    };
    if (frames.length === 0) resolve();
    else launch();
  });
}

async function benchAppend(redisUrl: string, framesOfOne: number): Promise<AppendRow[]> {
  const journalRedis = await connectJournalRedis(redisUrl, 60_000);
  try {
    const flow = buildReplayEnvelopes(20_000, 7).envelopes.filter((e) => e.command.type === 'PlaceOrder');
    const sample = (i: number): Command => (flow[i % flow.length] as CommandEnvelope).command;
    const rows: AppendRow[] = [];
    const cases = [
      { commandsPerFrame: 1, inFlight: 64, frames: framesOfOne },
      { commandsPerFrame: 100, inFlight: 64, frames: Math.max(200, Math.floor(framesOfOne / 10)) },
      { commandsPerFrame: 100, inFlight: 1, frames: Math.max(200, Math.floor(framesOfOne / 10)) },
    ];
    for (const c of cases) {
      const partition = `append-${c.commandsPerFrame}-${c.inFlight}`;
      const lease = new RedisLeadership(journalRedis, partition, { leaseMs: 30 * 60_000, owner: 'bench-append' });
      const epoch = await lease.acquire();
      if (epoch === null) throw new Error(`append: the lease of ${partition} is taken`);
      const journal = new RedisJournal(journalRedis, partition);
      const warmUp = 200;
      const frames: JournalFrame[] = [];
      let seq = 0;
      for (let f = 0; f < warmUp + c.frames; f++) {
        const envelopes: CommandEnvelope[] = [];
        for (let k = 0; k < c.commandsPerFrame; k++) {
          seq++;
          envelopes.push({ seq, timestampMs: 1_700_000_000_000 + seq, command: sample(seq) });
        }
        const payload = encodeFrameBody({ envelopes, inboxIds: envelopes.map((e) => `${1_700_000_000_000 + e.seq}-0`) }).slice();
        frames.push({ firstSeq: seq - c.commandsPerFrame + 1, lastSeq: seq, epoch, payload });
      }
      log(`append: ${c.commandsPerFrame}-command frames, ${c.inFlight} in flight: ${fmt(c.frames)} frames`);
      // Warm-up: the first append loads the script (EVALSHA falls back to EVAL once).
      await appendPipelined(journal, frames.slice(0, 1), 1);
      await appendPipelined(journal, frames.slice(1, warmUp), c.inFlight);
      const latencies: number[] = [];
      const started = performance.now();
      await appendPipelined(journal, frames.slice(warmUp), c.inFlight, latencies);
      const seconds = (performance.now() - started) / 1e3;
      check((await journal.lastSeq()) === seq, `append ${partition}: the journal ends at ${seq}`);
      rows.push({
        commandsPerFrame: c.commandsPerFrame,
        inFlight: c.inFlight,
        frames: c.frames,
        seconds,
        framesPerSec: c.frames / seconds,
        commandsPerSec: (c.frames * c.commandsPerFrame) / seconds,
        latencyMsP50: percentile(latencies, 50),
        latencyMsP99: percentile(latencies, 99),
      });
      await lease.release(epoch);
      await journalRedis.del(`journal:{${partition}}`);
    }
    return rows;
  } finally {
    journalRedis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// main

async function childRestore(argv: readonly string[]): Promise<void> {
  const [redisUrl, partition] = argv;
  if (redisUrl === undefined || partition === undefined) throw new Error('--child-restore <redisUrl> <partition>');
  const result = await restoreHere(redisUrl, partition);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child-restore') {
    await childRestore(argv.slice(1));
    return;
  }
  const options = parseOptions(argv);
  const print = (line = ''): void => void process.stdout.write(`${line}\n`);
  let redis: RedisServer | undefined;
  const onSignal = (): void => {
    for (const child of children) child.kill('SIGKILL');
    void (redis?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let failover: FailoverResult | null = null;
  let replay: ReplayResult | null = null;
  let append: AppendRow[] | null = null;
  try {
    log('starting redis-server (AOF, appendfsync always)');
    redis = await startRedis({ appendfsync: 'always' });
    if (options.only.has('append')) append = await benchAppend(redis.url, options.appendFrames);
    if (options.only.has('replay')) replay = await benchReplay(redis.url, options.replayCommands, options.seed, options.cpuProfDir);
    if (options.only.has('failover')) failover = await benchFailover(redis.url, options.runs);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await redis?.stop();
  }

  print('Journal and failover (Redis AOF appendfsync always, loopback, 2-core box)');
  print();
  if (failover !== null) {
    print(`failover (G7): kill -9 of the leader -> first answer journaled by the new leader, LEASE_MS 500, a Deposit every 5 ms`);
    print(`  median ${round(failover.medianMs, 1)} ms   runs ${failover.runsMs.map((v) => round(v, 1)).join(', ')} ms   goal <= ${GOAL_FAILOVER_MS} ms ${failover.medianMs <= GOAL_FAILOVER_MS ? 'met' : 'MISSED'}`);
    print(`  standby reported leader after ${failover.leaderSeenMs.map((v) => round(v, 1)).join(', ')} ms`);
    print(`  commands ${fmt(failover.commandsSent)} sent, ${fmt(failover.commandsAnswered)} answered, ${fmt(failover.commandsUnanswered)} unanswered; final leader/standby state hashes ${failover.hashesAgree ? 'agree' : 'DIFFER'}`);
    print();
  }
  if (replay !== null) {
    print(`replay (G6): cold restore of ${fmt(replay.commands)} journaled order commands (${fmt(replay.frames)} frames of 1,000), no snapshot`);
    print(`  cold, fresh process: ${replay.coldRestoreSeconds.map((s) => round(s, 3)).join(', ')} s -> median ${fmt(replay.replayEventsPerSec)} commands/s   goal >= ${fmt(GOAL_REPLAY_PER_SEC)}/s ${replay.replayEventsPerSec >= GOAL_REPLAY_PER_SEC ? 'met' : 'MISSED'}`);
    print(`  CPU time of those restores: ${replay.coldRestoreCpuSeconds.map((s) => round(s, 3)).join(', ')} s -> median ${fmt(replay.commands / median(replay.coldRestoreCpuSeconds))} commands per CPU-second`);
    print(`  warm, in this process: ${round(replay.warmRestoreSeconds, 3)} s -> ${fmt(replay.commands / replay.warmRestoreSeconds)} commands/s`);
    print(`  breakdown: Redis XRANGE + decode alone ${round(replay.readDecodeSeconds, 3)} s (${fmt(replay.readDecodePerSec)}/s); core apply alone ${round(replay.applySeconds, 3)} s (${fmt(replay.applyPerSec)}/s)`);
    print(`  journaling them took ${round(replay.journalSeconds, 2)} s (${fmt(replay.journalCommandsPerSec)} commands/s, ${round(replay.journalBytes / replay.commands, 1)} B/command); restored state hash ${replay.stateHashAgrees ? 'agrees' : 'DIFFERS'}; ${round(replay.rejectedShare * 100, 2)} % of commands rejected by the core`);
    print();
  }
  if (append !== null) {
    print('append (G5): durable RedisJournal.append on one connection');
    print('  commands/frame  in flight    frames/s   commands/s   p50 ms   p99 ms');
    for (const row of append) {
      print(
        `  ${String(row.commandsPerFrame).padStart(14)}  ${String(row.inFlight).padStart(9)}  ${fmt(row.framesPerSec).padStart(10)}  ${fmt(row.commandsPerSec).padStart(11)}  ${round(row.latencyMsP50, 2).toFixed(2).padStart(7)}  ${round(row.latencyMsP99, 2).toFixed(2).padStart(7)}`,
      );
    }
    print();
  }
  if (failures.length > 0) {
    print(`CHECKS FAILED: ${failures.join('; ')}`);
    process.exitCode = 1;
  }
  if (options.json) {
    const one = append?.find((r) => r.commandsPerFrame === 1) ?? null;
    print(
      JSON.stringify({
        failoverMs: failover === null ? null : round(failover.medianMs, 1),
        replayEventsPerSec: replay === null ? null : Math.round(replay.replayEventsPerSec),
        appendPerSec: one === null ? null : Math.round(one.commandsPerSec),
        failover:
          failover === null
            ? null
            : { ...failover, runsMs: failover.runsMs.map((v) => round(v, 1)), leaderSeenMs: failover.leaderSeenMs.map((v) => round(v, 1)), medianMs: round(failover.medianMs, 1) },
        replay:
          replay === null
            ? null
            : {
                commands: replay.commands,
                frames: replay.frames,
                coldRestoreSeconds: replay.coldRestoreSeconds.map((s) => round(s, 3)),
                coldRestoreCpuSeconds: replay.coldRestoreCpuSeconds.map((s) => round(s, 3)),
                warmRestoreSeconds: round(replay.warmRestoreSeconds, 3),
                readDecodePerSec: Math.round(replay.readDecodePerSec),
                applyPerSec: Math.round(replay.applyPerSec),
                journalCommandsPerSec: Math.round(replay.journalCommandsPerSec),
                bytesPerCommand: round(replay.journalBytes / replay.commands, 1),
                stateHashAgrees: replay.stateHashAgrees,
              },
        append: append?.map((r) => ({ ...r, seconds: round(r.seconds, 3), framesPerSec: Math.round(r.framesPerSec), commandsPerSec: Math.round(r.commandsPerSec), latencyMsP50: round(r.latencyMsP50, 3), latencyMsP99: round(r.latencyMsP99, 3) })) ?? null,
        goals: { failoverMs: GOAL_FAILOVER_MS, replayEventsPerSec: GOAL_REPLAY_PER_SEC },
        checksFailed: failures,
      }),
    );
  }
}

main().then(
  () => {
    // ioredis sockets or timers of a stopped engine client may linger; the results are printed.
    setTimeout(() => process.exit(), 100).unref();
  },
  (error: unknown) => {
    log(`failover bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    for (const child of children) child.kill('SIGKILL');
    process.exit(1);
  },
);
