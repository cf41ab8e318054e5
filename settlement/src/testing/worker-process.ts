// The settlement worker as a child process (settlement/src/main.ts), to be killed with -9.

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export class WorkerProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const append = (chunk: Buffer): void => {
      this.output += chunk.toString();
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
  }

  static spawn(env: Record<string, string>): WorkerProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'settlement', 'src', 'main.ts')], {
      cwd: repoRoot,
      // A free port for the side door unless the test picks one (several workers run at once).
      env: { ...process.env, LOG_LEVEL: 'info', SETTLEMENT_HTTP_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new WorkerProcess(child);
  }

  /**
   * Resolves when the output after index `from` contains `text`; rejects if the process exits
   * first or on timeout.
   */
  async waitForOutput(text: string, timeoutMs = 30_000, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    void this.exited.then(() => (done = true));
    while (!this.output.includes(text, from)) {
      if (done) throw new Error(`worker exited before printing "${text}":\n${this.output.slice(-4_000)}`);
      if (Date.now() > deadline) throw new Error(`worker did not print "${text}" within ${timeoutMs} ms:\n${this.output.slice(-4_000)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The base URL of the worker's side door, once it listens. */
  async httpUrl(timeoutMs = 30_000): Promise<string> {
    await this.waitForOutput('settlement http listening', timeoutMs);
    const line = this.output.split('\n').find((text) => text.includes('settlement http listening')) as string;
    return (JSON.parse(line) as { url: string }).url;
  }

  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM; resolves with the exit code. */
  async terminate(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return (await this.exited).code;
  }
}
