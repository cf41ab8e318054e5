// Throwaway real servers for integration tests: a redis-server and a PostgreSQL cluster, each on a
// free loopback port with its data in a fresh temp dir, each a child process this process owns.
//
// - The binaries are found on PATH (PostgreSQL also under /usr/lib/postgresql/<n>/bin). When one is
//   missing and we run as root, it is installed with apt-get (non-interactively); the Debian
//   package's own service is stopped and disabled, since we never use its port.
// - Every server runs in its own process group, so kill9() takes down its forks and backends too.
// - Cleanup happens three ways: stop(); a process 'exit' hook for whatever is still running; and a
//   detached shell watchdog per server that kills it and removes its dir once this process is gone
//   (vitest may end a worker with a signal, which skips 'exit' hooks).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  chownSync,
  closeSync,
  constants as fsConstants,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** The pid of the running redis-server (changes on restart). */
  readonly pid: number;
  /** The data dir (the AOF lives here); kept across restart(). */
  readonly dir: string;
  /** SIGTERM, wait for exit, remove the dir. */
  stop(): Promise<void>;
  /** SIGKILL the server's process group and wait for it to be gone; the dir stays for restart(). */
  kill9(): Promise<void>;
  /** Start again on the same port and dir (so the AOF is reloaded); waits until PING answers. */
  restart(): Promise<void>;
}

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  readonly database: string;
  stop(): Promise<void>;
  kill9(): Promise<void>;
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  /** AOF fsync policy; `always` (the default) fsyncs before acknowledging each write batch. */
  appendfsync?: 'always' | 'everysec';
}

export interface StartPostgresOptions {
  /** Database to create (default `test`). */
  database?: string;
  /**
   * fsync on/off (default off). A test's kill -9 loses nothing either way (the page cache
   * survives a process crash); only an OS crash would, and tests do not simulate one.
   */
  fsync?: boolean;
  /** More server settings (`-c name=value`), e.g. a production-sized shared_buffers for a benchmark. */
  settings?: Readonly<Record<string, string>>;
}

const startTimeoutMs = 20_000;
const stopTimeoutMs = 10_000;

// ---------------------------------------------------------------------------------------------
// Redis

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = await ensureBinary('redis-server', ['redis-server'], []);
  const dir = await makeTempDir('redis-');
  const appendfsync = options.appendfsync ?? 'always';
  let port = 0;
  const args = (): string[] => [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', appendfsync,
    '--save', '',
    '--daemonize', 'no',
    '--protected-mode', 'no',
    '--logfile', join(dir, 'redis.log'),
  ];
  const managed = new ManagedProcess('redis-server', dir, () => spawnGroup(binary, args(), {}), async (child) => {
    await waitUntil(() => redisPing(port), `redis-server on port ${port}`, child, join(dir, 'redis.log'));
  });
  port = await startOnFreePort(managed, (p) => (port = p));
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return managed.pid;
    },
    stop: () => managed.stop(),
    kill9: () => managed.kill9(),
    restart: () => managed.restart(),
  };
}

/** Sends PING over a raw socket; true when the server answers +PONG. */
export function redisPing(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      answer += data.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  // realpath: /usr/local/bin may hold a symlink to postgres without its sibling tools.
  const postgresBin = realpathSync(await ensureBinary('postgres', ['postgresql'], postgresBinDirs()));
  const binDir = dirname(postgresBin);
  const initdb = join(binDir, 'initdb');
  const isReady = join(binDir, 'pg_isready');
  const psqlBin = join(binDir, 'psql');
  const database = options.database ?? 'test';
  const dir = await makeTempDir('postgres-');
  const dataDir = join(dir, 'data');
  const user = asPostgresUser();
  if (user !== undefined) chownSync(dir, user.uid, user.gid);

  const init = spawnSync(initdb, ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C'], {
    encoding: 'utf8',
    ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${init.status}): ${init.stderr || init.stdout}`);
  }

  let port = 0;
  const args = (): string[] => [
    '-D', dataDir,
    '-p', String(port),
    '-k', dir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `fsync=${options.fsync === true ? 'on' : 'off'}`,
    '-c', 'max_connections=50',
    '-c', 'shared_buffers=16MB',
    '-c', 'logging_collector=off',
    '-c', `log_directory=${dir}`,
    ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
  const logFile = join(dir, 'postgres.log');
  const managed = new ManagedProcess(
    'postgres',
    dir,
    () => spawnGroup(postgresBin, args(), user === undefined ? {} : { uid: user.uid, gid: user.gid }, logFile),
    async (child) => {
      await waitUntil(() => pgIsReady(isReady, port), `postgres on port ${port}`, child, logFile);
    },
  );
  port = await startOnFreePort(managed, (p) => (port = p));
  const url = `postgres://postgres@127.0.0.1:${port}/${database}`;
  await psql(`postgres://postgres@127.0.0.1:${port}/postgres`, `CREATE DATABASE "${database}"`, psqlBin);
  return {
    url,
    port,
    dir,
    database,
    get pid() {
      return managed.pid;
    },
    stop: () => managed.stop(),
    kill9: () => managed.kill9(),
    restart: () => managed.restart(),
  };
}

/** Runs SQL through the psql binary (no client library needed); resolves with its unaligned output. */
export async function psql(url: string, sql: string, psqlBin?: string): Promise<string> {
  const binary = psqlBin ?? findOnPath('psql', postgresBinDirs()) ?? 'psql';
  const result = spawnSync(binary, ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.status !== 0) {
    throw new Error(`psql failed (exit ${result.status}): ${result.stderr || String(result.error)}`);
  }
  return result.stdout.trim();
}

async function pgIsReady(isReady: string, port: number): Promise<boolean> {
  const result = spawnSync(isReady, ['-h', '127.0.0.1', '-p', String(port), '-t', '1'], { timeout: 5_000 });
  return result.status === 0;
}

function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  try {
    return readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => join(root, v, 'bin'));
  } catch {
    return [];
  }
}

function asPostgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('running as root but there is no `postgres` OS user to run PostgreSQL as');
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

// ---------------------------------------------------------------------------------------------
// Process management

interface Live {
  name: string;
  dir: string;
  child: ChildProcess | undefined;
  watchdog: ChildProcess | undefined;
}
const live = new Set<Live>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const entry of live) {
      killGroup(entry.child, 'SIGKILL');
      killGroup(entry.watchdog, 'SIGKILL');
      try {
        rmSync(entry.dir, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
    }
    live.clear();
  });
}

class ManagedProcess {
  private readonly entry: Live;
  private exited: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    name: string,
    dir: string,
    private readonly launch: () => ChildProcess,
    private readonly waitReady: (child: ChildProcess) => Promise<void>,
  ) {
    this.entry = { name, dir, child: undefined, watchdog: undefined };
    installExitHook();
    live.add(this.entry);
    this.entry.watchdog = spawnWatchdog(dir);
  }

  get pid(): number {
    return this.entry.child?.pid ?? 0;
  }

  async start(): Promise<void> {
    if (this.stopped) throw new Error(`${this.entry.name} was stopped`);
    const child = this.launch();
    this.entry.child = child;
    this.exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    if (child.pid !== undefined) writeFileSync(join(this.entry.dir, '.server-pgid'), String(child.pid));
    try {
      await this.waitReady(child);
    } catch (error) {
      killGroup(child, 'SIGKILL');
      await withTimeout(this.exited, stopTimeoutMs, `${this.entry.name} did not die after SIGKILL`);
      throw error;
    }
  }

  async kill9(): Promise<void> {
    killGroup(this.entry.child, 'SIGKILL');
    await withTimeout(this.exited, stopTimeoutMs, `${this.entry.name} did not die after SIGKILL`);
    await waitForGroupGone(this.entry.child?.pid);
  }

  async restart(): Promise<void> {
    const child = this.entry.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGTERM');
      await withTimeout(this.exited, stopTimeoutMs, `${this.entry.name} did not stop`);
    }
    await waitForGroupGone(child?.pid);
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const child = this.entry.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGTERM');
      try {
        await withTimeout(this.exited, stopTimeoutMs, `${this.entry.name} did not stop`);
      } catch {
        killGroup(child, 'SIGKILL');
        await withTimeout(this.exited, stopTimeoutMs, `${this.entry.name} did not die after SIGKILL`);
      }
    }
    await waitForGroupGone(child?.pid);
    killGroup(this.entry.watchdog, 'SIGKILL');
    rmSync(this.entry.dir, { recursive: true, force: true });
    live.delete(this.entry);
  }
}

/** Picks a free port, starts; retries on another port if the start fails (e.g. a port race). */
async function startOnFreePort(managed: ManagedProcess, setPort: (port: number) => void): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    setPort(port);
    try {
      await managed.start();
      return port;
    } catch (error) {
      lastError = error;
    }
  }
  await managed.stop();
  throw lastError;
}

function spawnGroup(binary: string, args: string[], ids: { uid?: number; gid?: number }, logFile?: string): ChildProcess {
  // detached: the server leads its own process group, so kill9() can signal the whole group.
  if (logFile === undefined) {
    const child = spawn(binary, args, { detached: true, stdio: 'ignore', ...ids });
    child.unref();
    return child;
  }
  const fd = openSync(logFile, 'a');
  if (ids.uid !== undefined && ids.gid !== undefined) chownSync(logFile, ids.uid, ids.gid);
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], ...ids });
    // Waited on explicitly through 'exit'; it must not keep this process alive on its own.
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

function spawnWatchdog(dir: string): ChildProcess {
  // Polls this process once a second; when it is gone, kills the server's group and removes dir.
  const script =
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done; ' +
    'if [ -f "$2/.server-pgid" ]; then kill -9 "-$(cat "$2/.server-pgid")" 2>/dev/null; sleep 0.2; fi; ' +
    'rm -rf -- "$2"';
  const watchdog = spawn('sh', ['-c', script, 'test-server-watchdog', String(process.pid), dir], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  return watchdog;
}

/**
 * Signals the child's process group and every descendant (postgres backends call setsid(), so they
 * are in groups of their own): a kill -9 takes the whole server down at once, like a crash.
 */
function killGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (child?.pid === undefined) return;
  if (signal === 'SIGKILL') {
    for (const pid of descendants(child.pid)) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Waits until no live process of the group is left (postgres backends exit after their
 * postmaster). Zombies count as gone: in a container whose PID 1 does not reap, orphans stay
 * zombies for a while, and `kill(pid, 0)` still succeeds on them.
 */
async function waitForGroupGone(pgid: number | undefined): Promise<void> {
  if (pgid === undefined) return;
  const deadline = Date.now() + stopTimeoutMs;
  let killed = false;
  while (groupAlive(pgid)) {
    if (!killed && Date.now() > deadline) {
      killed = true;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        return;
      }
    } else if (killed && Date.now() > deadline + stopTimeoutMs) {
      throw new Error(`process group ${pgid} still alive after SIGKILL`);
    }
    await sleep(20);
  }
}

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

function procStats(): ProcStat[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const stats: ProcStat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    stats.push({ pid: Number(entry), state: fields[0] ?? '', ppid: Number(fields[1]), pgrp: Number(fields[2]) });
  }
  return stats;
}

function descendants(root: number): number[] {
  const stats = procStats() ?? [];
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop();
    for (const s of stats) {
      if (s.ppid === parent) {
        found.push(s.pid);
        frontier.push(s.pid);
      }
    }
  }
  return found;
}

function groupAlive(pgid: number): boolean {
  const stats = procStats();
  if (stats === undefined) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return stats.some((s) => s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X');
}

async function waitUntil(
  ready: () => Promise<boolean>,
  what: string,
  child: ChildProcess,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(logFile)}`);
    }
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${startTimeoutMs} ms:\n${tail(logFile)}`);
    await sleep(25);
  }
}

function tail(file: string): string {
  const result = spawnSync('tail', ['-n', '20', file], { encoding: 'utf8' });
  return result.stdout ?? '';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function makeTempDir(prefix: string): Promise<string> {
  const base = join(tmpdir(), 'playchacha-test-servers');
  mkdirSync(base, { recursive: true, mode: 0o1777 });
  return mkdtemp(join(base, prefix));
}

// ---------------------------------------------------------------------------------------------
// Binaries

const installs = new Map<string, Promise<void>>();

async function ensureBinary(name: string, aptPackages: string[], extraDirs: string[]): Promise<string> {
  const found = findOnPath(name, extraDirs);
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(`${name} is not installed (looked on PATH and in ${extraDirs.join(', ') || 'nowhere else'}); ` +
      `install it with: apt-get install -y ${aptPackages.join(' ')}`);
  }
  const key = aptPackages.join(' ');
  let install = installs.get(key);
  if (install === undefined) {
    install = aptInstall(aptPackages);
    installs.set(key, install);
  }
  await install;
  const after = findOnPath(name, [...extraDirs, ...postgresBinDirs()]);
  if (after === undefined) throw new Error(`${name} still missing after apt-get install ${key}`);
  return after;
}

async function aptInstall(packages: string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`apt-get ${args.join(' ')} failed (${code}): ${stderr}`))));
    });
  // Another process may hold the dpkg lock (a parallel test worker installing the same thing).
  for (let attempt = 0; ; attempt++) {
    try {
      await run(['update']);
      await run(['install', '-y', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confold', ...packages]);
      break;
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(2_000);
    }
  }
  // The Debian packages start their own service on the default port; we never use it.
  for (const service of packages) {
    spawnSync('service', [service, 'stop'], { stdio: 'ignore' });
    spawnSync('update-rc.d', [service, 'disable'], { stdio: 'ignore' });
  }
}

function findOnPath(name: string, extraDirs: string[]): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), ...extraDirs, '/usr/sbin', '/usr/bin', '/sbin'];
  for (const d of dirs) {
    if (d === '') continue;
    const candidate = join(d, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
