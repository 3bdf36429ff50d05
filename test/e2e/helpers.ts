import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../src/site/chromium.ts';
import { startStaticServer } from '../../src/site/static-server.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DIST = resolve(ROOT, 'dist');
export const OFFLINE = resolve(ROOT, 'dist-offline');

/**
 * The e2e tests use dist/ and dist-offline/ as built by `npm run build && npm run export`.
 * If either is missing they build it here (`astro build` + export; when the transcript pipeline
 * has not produced content/experiments/seed-collision/generated yet, the build uses the test
 * fixtures in test/site/fixtures/experiments).
 */
export function buildEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (!existsSync(resolve(ROOT, 'content/experiments/seed-collision/generated')) && !env.TCP_LAB_EXPERIMENTS_DIR) {
    env.TCP_LAB_EXPERIMENTS_DIR = 'test/site/fixtures/experiments';
  }
  return env;
}

export function ensureBuilt(): void {
  const haveDist = existsSync(resolve(DIST, 'en/index.html'));
  const haveOffline = existsSync(resolve(OFFLINE, 'en/index.html'));
  const env = buildEnv();
  if (!haveDist) execSync('npx --no-install astro build', { cwd: ROOT, env, stdio: 'inherit' });
  if (!haveOffline || statSync(resolve(OFFLINE, 'en/index.html')).mtimeMs < statSync(resolve(DIST, 'en/index.html')).mtimeMs) {
    execSync('npx --no-install node scripts/offline.ts dist dist-offline --no-zip', { cwd: ROOT, env, stdio: 'inherit' });
  }
}

export { CHROMIUM_ARGS };

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROME_PATH || CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface Watched {
  page: Page;
  errors: string[];
  requests: string[];
}

/**
 * A page that records console errors, page errors, failed requests and every request URL.
 * `context` adds browser-context options (viewport, locale, colour scheme, touch...).
 */
export async function watchedPage(browser: Browser, opts: { javaScriptEnabled?: boolean; context?: BrowserContextOptions } = {}): Promise<Watched> {
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'], ...opts.context, javaScriptEnabled: opts.javaScriptEnabled ?? true });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    // ERR_ABORTED: a navigation (e.g. the root page's meta refresh) cancelled a pending load.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('request', (r) => requests.push(r.url()));
  return { page, errors, requests };
}

/**
 * What an e2e file tests against: the browser, dist/ over a local http server (`httpBase`) and
 * dist-offline/ from disk (`fileBase`), built if missing. Registers the file's beforeAll and
 * afterAll; read the fields inside tests.
 */
export function browserAndSite(): { readonly browser: Browser; readonly httpBase: string; readonly fileBase: string } {
  let browser: Browser | undefined;
  let httpBase = '';
  let close = () => {};
  beforeAll(async () => {
    ensureBuilt();
    browser = await launch();
    const { server, url } = await startStaticServer({ root: DIST });
    httpBase = url;
    close = () => server.close();
  });
  afterAll(async () => {
    await browser?.close();
    close();
  });
  return {
    get browser() {
      return browser!;
    },
    get httpBase() {
      return httpBase;
    },
    fileBase: pathToFileURL(OFFLINE).href + '/',
  };
}
