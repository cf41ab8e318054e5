// Builds the web app (web/build, adapter-node) when the build is missing or older than any of its
// sources; one build at a time across processes (a lock directory in the temp dir).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const webRoot = join(repoRoot, 'web');
const BUILD_LOCK = join(tmpdir(), 'playchacha-web-build.lock');
const BUILD_LOCK_STALE_MS = 10 * 60_000;

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, entry.name === 'testing' ? 0 : newestSourceMs(path));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Resolves once web/build is at least as new as the web sources (and protocol's); builds it if not. */
export async function buildWebIfNeeded(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const lockedAtMs = statSync(BUILD_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - lockedAtMs > BUILD_LOCK_STALE_MS) rmSync(BUILD_LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    const output = join(webRoot, 'build', 'handler.js');
    const builtAtMs = existsSync(output) ? statSync(output).mtimeMs : 0;
    const sourcesMs = Math.max(
      newestSourceMs(join(webRoot, 'src')),
      newestSourceMs(join(webRoot, 'static')),
      newestSourceMs(join(repoRoot, 'protocol', 'src')),
      statSync(join(webRoot, 'svelte.config.js')).mtimeMs,
      statSync(join(webRoot, 'vite.config.ts')).mtimeMs,
    );
    if (builtAtMs > sourcesMs) return;
    const built = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], { cwd: webRoot, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}
