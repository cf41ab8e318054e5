// Gateway processes for integration tests, browser tests and benchmarks: spawn
// `gateway/src/main.ts` on free loopback ports with an environment, wait for its READY line, keep
// its output (and optionally a log file or a CPU profile), and stop it.

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@playchacha/engine/testing';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Gateway processes still running when this process exits are killed with it. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export interface GatewayProcessOptions {
  /** The gateway's environment beyond the ports, the host and the log level (which it sets). */
  readonly env: Record<string, string>;
  /** Every line the gateway prints is appended here too. */
  readonly logFile?: string;
  /** Writes a V8 CPU profile into this directory when the gateway stops. */
  readonly cpuProfileDir?: string;
  readonly startTimeoutMs?: number;
}

export class GatewayProcess {
  output = '';

  private constructor(
    readonly child: ChildProcess,
    /** REST, e.g. http://127.0.0.1:41234 */
    readonly api: string,
    /** The WebSocket API's URL. */
    readonly wsUrl: string,
    private readonly profiling: boolean,
  ) {}

  static async start(options: GatewayProcessOptions): Promise<GatewayProcess> {
    const [httpPort, wsPort, enginePort] = [await freePort(), await freePort(), await freePort()];
    const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(repoRoot, 'gateway', 'src', 'main.ts')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_HTTP_PORT: String(httpPort),
        GATEWAY_WS_PORT: String(wsPort),
        GATEWAY_METRICS_PORT: '0',
        ENGINE_HTTP_PORT: String(enginePort),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const gateway = new GatewayProcess(child, `http://127.0.0.1:${httpPort}`, `ws://127.0.0.1:${wsPort}/v1/ws`, profile.length > 0);
    const append = (chunk: Buffer): void => {
      gateway.output += chunk.toString();
      if (gateway.output.length > 200_000) gateway.output = gateway.output.slice(-100_000);
      if (options.logFile !== undefined) appendFileSync(options.logFile, chunk);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
    while (!gateway.output.includes('READY ')) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the gateway exited with ${child.exitCode ?? child.signalCode}:\n${gateway.output.slice(-4_000)}`);
      if (Date.now() > deadline) {
        await gateway.stop();
        throw new Error(`the gateway did not start:\n${gateway.output.slice(-4_000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return gateway;
  }

  /** SIGTERM, then SIGKILL if it has not exited in time (longer while a profile is written). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), this.profiling ? 30_000 : 10_000);
    await exited;
    clearTimeout(timer);
  }
}
