// Engine processes for integration tests and benchmarks: spawn `engine/src/main.ts` with an
// environment, watch its /status, and kill -9, pause or resume it.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface EngineStatus {
  readonly role: 'starting' | 'standby' | 'leader' | 'halted';
  readonly epoch: number;
  readonly seq: number;
  readonly stateHash: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Engine processes still running when this process exits are killed with it. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export class EngineProcess {
  private exitCode: number | null = null;
  private readonly exited: Promise<number | null>;
  output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    running.add(child);
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      this.exitCode = code ?? -1;
      running.delete(child);
      resolve(code);
    }));
    const append = (chunk: Buffer): void => {
      this.output += chunk.toString();
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
  }

  /** Starts an engine process; resolves once its HTTP side door answers. */
  static async spawn(env: Record<string, string>): Promise<EngineProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'engine', 'src', 'main.ts')], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'warn', DEMO: '0', ...env, ENGINE_HTTP_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const engine = new EngineProcess(child, port);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (engine.exitCode !== null) throw new Error(`engine exited with ${engine.exitCode}:\n${engine.output}`);
      if ((await engine.status().catch(() => null)) !== null) return engine;
      await sleep(25);
    }
    engine.kill9();
    throw new Error(`engine did not come up:\n${engine.output}`);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === null;
  }

  async status(): Promise<EngineStatus> {
    const response = await fetch(`http://127.0.0.1:${this.port}/status`, { signal: AbortSignal.timeout(1_000) });
    return (await response.json()) as EngineStatus;
  }

  /** Polls /status until `ok` holds (throws if the process exits or after timeoutMs). */
  async waitFor(what: string, ok: (status: EngineStatus) => boolean, timeoutMs = 15_000, pollMs = 10): Promise<EngineStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`engine on ${this.port} exited while waiting for ${what}:\n${this.output.slice(-4000)}`);
      const status = await this.status().catch(() => null);
      if (status !== null && ok(status)) return status;
      if (Date.now() > deadline) throw new Error(`engine on ${this.port}: no ${what} within ${timeoutMs} ms (last: ${JSON.stringify(status)}):\n${this.output.slice(-4000)}`);
      await sleep(pollMs);
    }
  }

  /** Waits until the process reports `role` (or throws after timeoutMs). */
  waitForRole(role: EngineStatus['role'], timeoutMs = 15_000): Promise<EngineStatus> {
    return this.waitFor(`role ${role}`, (status) => status.role === role, timeoutMs);
  }

  kill9(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** Resolves with the exit code once the process has exited, or null after timeoutMs. */
  async waitForExit(timeoutMs = 10_000): Promise<number | null | 'running'> {
    const timeout = sleep(timeoutMs).then(() => 'running' as const);
    return Promise.race([this.exited, timeout]);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    if ((await this.waitForExit(5_000)) === 'running') {
      this.kill9();
      await this.waitForExit(5_000);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
