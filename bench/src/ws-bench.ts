// WebSocket end to end: N `ws` clients place and cancel orders through the real gateway process
// (uWebSockets.js, the engine partition in process, group-committed to Redis Streams with AOF
// `appendfsync always`); every ack comes after the command's frame is durable. Phase 1 runs open
// loop at 1,000 orders/s and records ack latency in an HDR histogram; phase 2 ramps the rate until
// a step has errors or falls behind (ack p99 over 100 ms). A raw Redis PING round trip in the same
// run is the network floor; with `appendfsync always` the disk's fdatasync latency (measured in
// Redis's data dir, same run) is the durability floor under every ack.
// Everything runs on this machine (loopback), bounded in count and time; `--json` prints one JSON
// object on the last line.

import { closeSync, fdatasyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { mulberry32 } from '@playchacha/engine/testing';
import { WsClient, type WebSocketFactory } from '../../gateway/src/ws-client.js';
import { startStack } from './stack.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const option = (name: string, fallback: number): number => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const CLIENTS = option('--clients', 40);
const PHASE1_SECONDS = option('--seconds', 8);
/** Orders at 1,000/s before phase 1, not counted: the gateway's code is compiled and its heap sized first. */
const WARMUP_SECONDS = option('--warmup-seconds', 3);
const STEP_SECONDS = option('--step-seconds', 3);
/** The ramp stops after the step at this rate (0: no ramp). */
const RAMP_MAX = option('--ramp-max', 70_000);
const RAMP = [2_000, 5_000, 10_000, 20_000, 30_000, 40_000, 50_000, 70_000].filter((rate) => rate <= RAMP_MAX);
/** A step is sustained when every order is answered, none is an error, and ack p99 stays under this. */
const SUSTAINED_P99_MS = option('--sustained-p99-ms', 100);
const APPENDFSYNC = args.includes('--everysec') ? 'everysec' : 'always';
const MARKET_ID = 1;
const log = (line: string): void => void process.stderr.write(`${line}\n`);
/** USER_HZ: /proc reports CPU time in these ticks on Linux. */
const CLOCK_TICKS_PER_SECOND = 100;

interface Run {
  sent: number;
  answered: number;
  errors: number;
  histogram: hdr.Histogram;
  /** How late each order went out against its place in the schedule (µs). */
  sendLag: hdr.Histogram;
  /** CPU used per answered order (µs) by each process, and all of it as a share of the machine's cores. */
  cpu: CpuPerOrder | null;
}

interface CpuPerOrder {
  gatewayUs: number;
  redisUs: number;
  loadGeneratorUs: number;
  /** (gateway + Redis + load generator CPU) / (wall time × cores). */
  machineShare: number;
}

async function main(): Promise<void> {
  const stack = await startStack({ appendfsync: APPENDFSYNC });
  try {
    const admin = await stack.account('admin@bench.test');
    await stack.post('/v1/admin/markets', { marketId: MARKET_ID, runnerCount: 3 }, admin.token);
    const clients: WsClient[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const user = await stack.account(`mm${i}@bench.test`, 100_000_000);
      clients.push(
        await WsClient.connect({
          url: stack.wsUrl,
          accessToken: user.token,
          WebSocket: WebSocket as unknown as WebSocketFactory,
          requestTimeoutMs: 10_000,
        }),
      );
    }
    const redisRttP50Ms = await redisRoundTrip(stack.redisUrl);
    log(`${CLIENTS} clients connected; Redis PING round trip p50 ${redisRttP50Ms.toFixed(3)} ms`);
    const fsync = diskSyncLatency(stack.redisDir);
    log(`fdatasync of a 200-byte append in Redis's data dir: p50 ${fsync.p50Ms.toFixed(3)} ms, p99 ${fsync.p99Ms.toFixed(3)} ms`);

    const flow = new OrderFlow(clients);
    const cpuOf = (): CpuSample | null => cpuSample(stack.pids);
    if (WARMUP_SECONDS > 0) {
      const warmup = await runOpenLoop(flow, 1_000, WARMUP_SECONDS, cpuOf);
      log(`warm-up (not counted): ${WARMUP_SECONDS} s at 1,000 orders/s, ack p50 ${(warmup.histogram.getValueAtPercentile(50) / 1000).toFixed(3)} ms, p99 ${(warmup.histogram.getValueAtPercentile(99) / 1000).toFixed(3)} ms`);
    }
    log(`phase 1: open loop at 1,000 orders/s for ${PHASE1_SECONDS} s`);
    const at1k = await runOpenLoop(flow, 1_000, PHASE1_SECONDS, cpuOf);
    const p = (run: Run, q: number): number => run.histogram.getValueAtPercentile(q) / 1000;
    log(`  sent ${at1k.sent}, answered ${at1k.answered}, errors ${at1k.errors}: ack p50 ${p(at1k, 50).toFixed(3)} ms, p99 ${p(at1k, 99).toFixed(3)} ms, p99.9 ${p(at1k, 99.9).toFixed(3)} ms`);
    log(`  ${describeLoad(at1k)}`);

    let maxOrdersPerSec = 0;
    const steps: Array<{ rate: number; achieved: number; errors: number; p50Ms: number; p99Ms: number; sendLagP99Ms: number; cpu: CpuPerOrder | null }> = [];
    for (const rate of RAMP) {
      const run = await runOpenLoop(flow, rate, STEP_SECONDS, cpuOf);
      const achieved = Math.round(run.answered / STEP_SECONDS);
      steps.push({ rate, achieved, errors: run.errors, p50Ms: p(run, 50), p99Ms: p(run, 99), sendLagP99Ms: run.sendLag.getValueAtPercentile(99) / 1000, cpu: run.cpu });
      log(`  ramp ${rate}/s: answered ${run.answered}/${run.sent}, errors ${run.errors}, p50 ${p(run, 50).toFixed(2)} ms, p99 ${p(run, 99).toFixed(2)} ms; ${describeLoad(run)}`);
      if (run.errors > 0 || run.answered < run.sent || run.sent < rate * STEP_SECONDS * 0.95 || p(run, 99) > SUSTAINED_P99_MS) break;
      maxOrdersPerSec = rate;
    }
    for (const client of clients) client.close();

    const summary = {
      maxOrdersPerSec,
      at1k: {
        ackP50Ms: p(at1k, 50),
        ackP99Ms: p(at1k, 99),
        ackP999Ms: p(at1k, 99.9),
        sent: at1k.sent,
        answered: at1k.answered,
        errors: at1k.errors,
        sendLagP99Ms: at1k.sendLag.getValueAtPercentile(99) / 1000,
        cpu: at1k.cpu,
      },
      redisRttP50Ms,
      fsyncP50Ms: fsync.p50Ms,
      fsyncP99Ms: fsync.p99Ms,
      clients: CLIENTS,
      ramp: steps,
      sustainedP99MsMax: SUSTAINED_P99_MS,
      appendfsync: APPENDFSYNC,
      setup: 'loopback, 2 shared cores: load generator + gateway (engine in process) + Redis + PostgreSQL',
      goals: { maxOrdersPerSec: 50_000, at1kAckP50Ms: 1, at1kAckP99Ms: 3 },
    };
    process.stdout.write(`WebSocket end to end: ${CLIENTS} clients, acks after the journal frame is durable (Redis appendfsync ${APPENDFSYNC})\n`);
    process.stdout.write(`  at 1 k orders/s: ack p50 ${summary.at1k.ackP50Ms.toFixed(3)} ms (goal ≤ 1), p99 ${summary.at1k.ackP99Ms.toFixed(3)} ms (goal ≤ 3), p99.9 ${summary.at1k.ackP999Ms.toFixed(3)} ms\n`);
    process.stdout.write(`  highest sustained rate (no errors, all answered, ack p99 ≤ ${SUSTAINED_P99_MS} ms): ${maxOrdersPerSec} orders/s (goal ≥ 50,000)\n`);
    process.stdout.write(`  Redis PING round trip p50: ${redisRttP50Ms.toFixed(3)} ms; disk fdatasync p50 ${fsync.p50Ms.toFixed(3)} ms, p99 ${fsync.p99Ms.toFixed(3)} ms (the floor under each ack with appendfsync always)\n`);
    if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await stack.stop();
  }
}

/** Places orders that rest (backs above, lays below the centre) and cancels earlier ones. */
class OrderFlow {
  private readonly random = mulberry32(20261125);
  private readonly resting: Array<{ client: WsClient; orderId: number }> = [];
  private counter = 0;

  constructor(private readonly clients: readonly WsClient[]) {}

  next(): () => Promise<boolean> {
    const index = this.counter++;
    const client = this.clients[index % this.clients.length] as WsClient;
    if (this.resting.length > 200 && this.random() < 0.5) {
      const victim = this.resting.splice(Math.floor(this.random() * this.resting.length), 1)[0] as { client: WsClient; orderId: number };
      return async () => {
        const reply = await victim.client.cancel({ marketId: MARKET_ID, orderId: victim.orderId });
        return reply.results.every((result) => result.status !== 'rejected' || result.code === 'unknown_order');
      };
    }
    const back = this.random() < 0.5;
    const offset = 1 + Math.floor(this.random() * 10);
    return async () => {
      const reply = await client.place({
        clientOrderId: `b${index}`,
        marketId: MARKET_ID,
        runnerIndex: index % 3,
        side: back ? 'back' : 'lay',
        priceTicks: back ? 120 + offset : 100 - offset,
        stakeMinor: 200 + Math.floor(this.random() * 2_000),
      });
      const result = reply.results[0];
      if (result?.status === 'accepted') this.resting.push({ client, orderId: result.orderId });
      return result?.status === 'accepted';
    };
  }
}

/**
 * Sends at `rate` per second for `seconds` on a fixed schedule (open loop), then waits for the
 * answers. A timer tick sends every order that has come due; each ack is timed from when its order
 * was actually sent, and how late that was against the schedule is recorded beside it (sendLag).
 */
async function runOpenLoop(flow: OrderFlow, rate: number, seconds: number, cpuOf: () => CpuSample | null): Promise<Run> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const sendLag = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const run: Run = { sent: 0, answered: 0, errors: 0, histogram, sendLag, cpu: null };
  const total = rate * seconds;
  const cpuBefore = cpuOf();
  const startedAt = performance.now();
  const inFlight: Array<Promise<void>> = [];
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - startedAt) / 1000) * rate));
      while (run.sent < due) {
        const send = flow.next();
        const sentAt = performance.now();
        sendLag.recordValue(Math.max(1, Math.round((sentAt - startedAt - (run.sent * 1000) / rate) * 1000)));
        run.sent++;
        inFlight.push(
          send().then(
            (ok) => {
              run.answered++;
              if (!ok) run.errors++;
              histogram.recordValue(Math.max(1, Math.round((performance.now() - sentAt) * 1000)));
            },
            () => {
              run.errors++;
            },
          ),
        );
      }
      if (run.sent >= total || performance.now() - startedAt > seconds * 1000 + 2_000) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.all(inFlight);
  const cpuAfter = cpuOf();
  if (cpuBefore !== null && cpuAfter !== null && run.answered > 0) {
    const perOrder = (before: number, after: number): number => ((after - before) * 1e6) / run.answered;
    const wallSeconds = (performance.now() - startedAt) / 1000;
    const used = cpuAfter.gatewaySeconds - cpuBefore.gatewaySeconds + cpuAfter.redisSeconds - cpuBefore.redisSeconds + cpuAfter.selfSeconds - cpuBefore.selfSeconds;
    run.cpu = {
      gatewayUs: perOrder(cpuBefore.gatewaySeconds, cpuAfter.gatewaySeconds),
      redisUs: perOrder(cpuBefore.redisSeconds, cpuAfter.redisSeconds),
      loadGeneratorUs: perOrder(cpuBefore.selfSeconds, cpuAfter.selfSeconds),
      machineShare: used / (wallSeconds * availableParallelism()),
    };
  }
  return run;
}

function describeLoad(run: Run): string {
  const lag = `sent late p99 ${(run.sendLag.getValueAtPercentile(99) / 1000).toFixed(2)} ms`;
  if (run.cpu === null) return lag;
  const { gatewayUs, redisUs, loadGeneratorUs, machineShare } = run.cpu;
  return `${lag}; CPU per order: gateway ${gatewayUs.toFixed(0)} µs, Redis ${redisUs.toFixed(0)} µs, load generator ${loadGeneratorUs.toFixed(0)} µs (${(machineShare * 100).toFixed(0)} % of ${availableParallelism()} cores)`;
}

interface CpuSample {
  gatewaySeconds: number;
  redisSeconds: number;
  selfSeconds: number;
}

/** CPU time used so far by the gateway, Redis and this process (Linux /proc); null elsewhere. */
function cpuSample(pids: { gateway: number; redis: number }): CpuSample | null {
  const gatewaySeconds = processCpuSeconds(pids.gateway);
  const redisSeconds = processCpuSeconds(pids.redis);
  if (gatewaySeconds === null || redisSeconds === null) return null;
  const self = process.cpuUsage();
  return { gatewaySeconds, redisSeconds, selfSeconds: (self.user + self.system) / 1e6 };
}

/** utime + stime of a process from /proc/<pid>/stat (in clock ticks of 1/100 s). */
function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** fdatasync after a small append, as Redis does per event-loop turn with appendfsync always. */
function diskSyncLatency(dir: string, samples = 1_000): { p50Ms: number; p99Ms: number } {
  const path = join(dir, 'fsync-probe.bin');
  const fd = openSync(path, 'w');
  const record = Buffer.alloc(200, 1);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });
  try {
    for (let i = 0; i < samples; i++) {
      const startedAt = performance.now();
      writeSync(fd, record);
      fdatasyncSync(fd);
      histogram.recordValue(Math.max(1, Math.round((performance.now() - startedAt) * 1000)));
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  return { p50Ms: histogram.getValueAtPercentile(50) / 1000, p99Ms: histogram.getValueAtPercentile(99) / 1000 };
}

async function redisRoundTrip(url: string): Promise<number> {
  const client = new Redis(url);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });
  for (let i = 0; i < 2_000; i++) {
    const startedAt = performance.now();
    await client.ping();
    histogram.recordValue(Math.max(1, Math.round((performance.now() - startedAt) * 1000)));
  }
  client.disconnect();
  return histogram.getValueAtPercentile(50) / 1000;
}




await main();
