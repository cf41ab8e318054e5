// Debian's Chromium for the web app's browser tests (driven by playwright-core; no browser
// download). Found at CHROMIUM_PATH or on the usual paths; when missing and we run as root it is
// installed with apt-get (non-interactively), as the test servers are.
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';

/** Flags Chromium needs to run headless in a container. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'];

function executable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findChromium(): string | undefined {
  const fromEnv = process.env['CHROMIUM_PATH'];
  if (fromEnv !== undefined && fromEnv !== '' && executable(fromEnv)) return fromEnv;
  return CANDIDATES.find(executable);
}

let installing: Promise<void> | null = null;

/** The Chromium executable; installs Debian's `chromium` package when missing (as root only). */
export async function chromiumPath(): Promise<string> {
  const found = findChromium();
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(`Chromium is not installed (looked at CHROMIUM_PATH and ${CANDIDATES.join(', ')}); install it with: apt-get install -y chromium`);
  }
  installing ??= aptInstallChromium();
  await installing;
  const after = findChromium();
  if (after === undefined) throw new Error('chromium still missing after apt-get install chromium');
  return after;
}

async function aptInstallChromium(): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`apt-get ${args.join(' ')} failed (${code}): ${stderr}`))));
    });
  // Another process may hold the dpkg lock (a parallel test installing packages).
  for (let attempt = 0; ; attempt++) {
    try {
      await run(['update']);
      await run(['install', '-y', '--no-install-recommends', 'chromium']);
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}
