// `npm start`: the whole exchange on its embedded defaults. The gateway process (engine partition,
// REST and WebSocket APIs, PGlite, the settlement worker, the demo catalog and market maker) and
// the web app (built first when missing or stale) in front of it; one READY line lists every URL.
// WEB_PORT (default 3000) and WEB_HOST (default the gateway's host) place the web server; every
// other variable goes to the gateway as documented. Ctrl-C or SIGTERM stops both.

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWebIfNeeded, webRoot } from './web-build.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const children: ChildProcess[] = [];

/** Stops every child, then exits with `code` (at most 10 s later). */
function stopAll(code: number): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    process.exit(code);
  }, 10_000).unref();
  void Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? null : new Promise((resolve) => child.once('exit', resolve))))).then(() => process.exit(code));
}

/** Starts a child whose output goes to ours, except the line `ready` matches, which resolves. */
function start(args: string[], env: NodeJS.ProcessEnv, cwd: string, ready: RegExp, name: string): Promise<string> {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.once('exit', (code, signal) => {
    process.stderr.write(`${name} exited (${signal ?? code})\n`);
    stopAll(code ?? 1);
  });
  return new Promise((resolve) => {
    let pending = '';
    let found = false;
    child.stderr?.pipe(process.stderr);
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!found && ready.test(line)) {
          found = true;
          resolve(line);
        } else {
          process.stdout.write(`${line}\n`);
        }
      }
    });
  });
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

await buildWebIfNeeded();
const gatewayReady = await start(['--import', 'tsx', join(repoRoot, 'gateway', 'src', 'main.ts')], process.env, repoRoot, /^READY /, 'the gateway');
const field = (name: string): string => {
  const value = new RegExp(`\\b${name}=(\\S+)`).exec(gatewayReady)?.[1];
  if (value === undefined) throw new Error(`the gateway's READY line has no ${name}: ${gatewayReady}`);
  return value;
};
const api = field('api');
const apiUrl = new URL(api);
const webHost = process.env['WEB_HOST'] ?? apiUrl.hostname;
const webPort = process.env['WEB_PORT'] ?? '3000';
const webUrl = `http://${webHost}:${webPort}`;
await start(
  [join(webRoot, 'build', 'index.js')],
  {
    ...process.env,
    HOST: webHost,
    PORT: webPort,
    ORIGIN: process.env['ORIGIN'] ?? webUrl,
    GATEWAY_URL: api,
    GATEWAY_WS_URL: field('ws'),
  },
  webRoot,
  /Listening on /,
  'the web server',
);
process.stdout.write(`${gatewayReady.replace(/^READY /, `READY web=${webUrl} `)}\n`);
