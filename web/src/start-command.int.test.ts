// The README's start command as a newcomer runs it (`npm start` runs scripts/start-exchange.ts):
// on the embedded defaults it brings up the gateway and the web app in front of it, prints one
// READY line listing every URL, serves the app and the API through it, and stops cleanly.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@playchacha/engine/testing';
import { repoRoot } from './testing/browser-stack';

let child: ChildProcess | undefined;
let dataDir = '';

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
});

describe('the start command', () => {
  it('starts the gateway and the web app on the embedded defaults, prints one READY line with every URL, and stops on SIGTERM', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'start-command-'));
    const [httpPort, wsPort, enginePort, webPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'start-exchange.ts')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        REDIS_URL: '',
        STRIPE_SECRET_KEY: '',
        LOG_LEVEL: 'warn',
        GATEWAY_HTTP_PORT: String(httpPort),
        GATEWAY_WS_PORT: String(wsPort),
        GATEWAY_METRICS_PORT: '0',
        ENGINE_HTTP_PORT: String(enginePort),
        WEB_PORT: String(webPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 180_000;
    while (!/^READY .*$/m.test(output)) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`no READY line:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lines = output.split('\n').filter((line) => line.startsWith('READY'));
    expect(lines).toHaveLength(1);
    const ready = lines[0] as string;
    const url = (name: string): string => new RegExp(`\\b${name}=(\\S+)`).exec(ready)?.[1] ?? '';
    expect(url('web')).toBe(`http://127.0.0.1:${webPort}`);
    expect(url('api')).toBe(`http://127.0.0.1:${httpPort}`);
    expect(url('docs')).toBe(`http://127.0.0.1:${httpPort}/docs/json`);
    expect(url('ws')).toBe(`ws://127.0.0.1:${wsPort}/v1/ws`);

    const page = await fetch(url('web'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    // The API through the web server's proxy: the demo catalog is there.
    const sports = (await (await fetch(`${url('web')}/api/v1/catalog/sports`)).json()) as { sports: Array<{ sportId: string }> };
    expect(sports.sports.map((sport) => sport.sportId)).toContain('football');
    expect(((await (await fetch(url('docs'))).json()) as { openapi: string }).openapi).toMatch(/^3\./);

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('the gateway exited (0)');
    expect(output).toContain('the web server exited (0)');
  }, 240_000);
});
