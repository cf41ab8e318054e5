// The real stack for browser tests: the gateway process (REST, WebSocket and the engine partition
// in process, on its embedded defaults with a temp DATA_DIR) and the built web server in front of
// it on free ports, and headless Chromium (Debian's, through playwright-core) to drive them.

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '@playchacha/engine/testing';
import { CHROMIUM_ARGS, chromiumPath } from '../../../scripts/chromium.js';
import { buildWebIfNeeded } from '../../../scripts/web-build.js';
import { GatewayProcess } from '../../../gateway/src/testing/gateway-process.js';

export const webRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repoRoot = join(webRoot, '..');
export const artifacts = join(repoRoot, 'test-artifacts', 'web');
export const PASSWORD = 'correct horse battery staple';
export const WAIT = { timeout: 20_000 };

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function startProcess(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; ready: RegExp; logFile?: string }): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${output}`)), 90_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (options.logFile !== undefined) appendFileSync(options.logFile, chunk);
      if (options.ready.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

export interface BrowserStack {
  readonly webUrl: string;
  /** The gateway's REST base (for what reaches it directly, such as Stripe's webhooks). */
  readonly gatewayApi: string;
  readonly browser: Browser;
  /** Uncaught script errors and Content-Security-Policy violations seen on any page. */
  readonly scriptErrors: string[];
  newPage(options?: { phone?: boolean }): Promise<{ context: BrowserContext; page: Page }>;
  stop(): Promise<void>;
}

export interface BrowserStackOptions {
  /** Emails given the admin role at registration. */
  readonly adminEmails: readonly string[];
  /** Where the gateway's log goes, under test-artifacts/web/. */
  readonly gatewayLogName: string;
  readonly gatewayEnv?: Record<string, string>;
  /** More environment for the web server. */
  readonly webEnv?: Record<string, string>;
  /** Runs once the web server's URL is known, before the gateway starts; returns more gateway environment (e.g. an OpenID Connect provider whose redirect goes to the web server). */
  readonly beforeGateway?: (webUrl: string) => Promise<Record<string, string>>;
}

export async function startBrowserStack(options: BrowserStackOptions): Promise<BrowserStack> {
  await buildWebIfNeeded();
  mkdirSync(artifacts, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'web-e2e-'));
  const webPort = await freePort();
  let gateway: GatewayProcess | undefined;
  let web: ChildProcess | undefined;
  let browser: Browser | undefined;
  const stop = async (): Promise<void> => {
    await browser?.close();
    await stopProcess(web);
    await gateway?.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const moreGatewayEnv = (await options.beforeGateway?.(`http://127.0.0.1:${webPort}`)) ?? {};
    gateway = await GatewayProcess.start({
      env: {
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        REDIS_URL: '',
        STRIPE_SECRET_KEY: '',
        DEMO: '1',
        ADMIN_EMAILS: options.adminEmails.join(','),
        JWT_SECRET: 'web-e2e-secret-of-at-least-thirty-two-bytes',
        // Every browser request reaches the gateway from the web server's one address.
        REST_REQUESTS_PER_MINUTE: '100000',
        AUTH_REQUESTS_PER_MINUTE: '100000',
        ...options.gatewayEnv,
        ...moreGatewayEnv,
      },
      logFile: join(artifacts, options.gatewayLogName),
    });
    web = await startProcess([join(webRoot, 'build', 'index.js')], {
      cwd: webRoot,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(webPort),
        ORIGIN: `http://127.0.0.1:${webPort}`,
        GATEWAY_URL: gateway.api,
        GATEWAY_WS_URL: gateway.wsUrl,
        ...options.webEnv,
      },
      ready: /Listening on \S+/,
    });
    browser = await chromium.launch({ executablePath: await chromiumPath(), args: [...CHROMIUM_ARGS], headless: true });
  } catch (error) {
    await stop();
    throw error;
  }
  const launched = browser;
  const gatewayApi = gateway.api;
  const scriptErrors: string[] = [];
  return {
    webUrl: `http://127.0.0.1:${webPort}`,
    gatewayApi,
    browser: launched,
    scriptErrors,
    async newPage(pageOptions = {}) {
      const context = await launched.newContext(
        pageOptions.phone === true ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : { viewport: { width: 1280, height: 860 } },
      );
      context.on('weberror', (error) => scriptErrors.push(error.error().message));
      context.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) scriptErrors.push(message.text());
      });
      return { context, page: await context.newPage() };
    },
    stop,
  };
}

/** Registers through the page and waits until the session is in place. */
export async function register(stack: BrowserStack, page: Page, email: string): Promise<void> {
  await page.goto(`${stack.webUrl}/register`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL('**/wallet', WAIT);
  await page.getByTestId('logout').waitFor(WAIT);
}

/** A labelled test deposit through the wallet page. */
export async function deposit(stack: BrowserStack, page: Page, amountText: string): Promise<void> {
  await page.goto(`${stack.webUrl}/wallet`);
  await page.fill('input[name=amount]', amountText);
  await page.getByTestId('deposit').click();
  await page.getByText(/test funds\.$/).waitFor(WAIT);
}

/** An access token of its own for REST calls through the web server's /api proxy. */
export async function accessTokenOf(stack: BrowserStack, email: string): Promise<string> {
  const response = await fetch(`${stack.webUrl}/session/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  if (!response.ok) throw new Error(`login of ${email} failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

/** The text of the first element with the test id, for expect.poll. */
export const textOf = (page: Page, testId: string) => (): Promise<string | null> => page.getByTestId(testId).first().textContent();
