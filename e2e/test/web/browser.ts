/**
 * Browser harness of the web tests: Debian's Chromium driven by playwright-core (no downloaded
 * browser), the built site on its own origin, and a watch on every page for console errors,
 * failed requests and layout shifts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where screenshots go (git-ignored). */
export const OUTPUT_DIR = join(WORKSPACE_ROOT, 'e2e/output/web');
export const WIDTHS = { phone: 390, desktop: 1280 } as const;

/** Builds the site with Vite into `outDir` (a test's own folder, so parallel builds never collide). */
export function buildSite(outDir: string) {
  const vite = join(WORKSPACE_ROOT, 'node_modules/vite/bin/vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir'], {
    cwd: join(WORKSPACE_ROOT, 'apps/web'),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get update && apt-get install -y chromium (see README "Test")`);
  }
  // playwright-core gives every launch a fresh, temporary user-data dir.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A fresh browser context (its own storage) that only ever talks to this machine: a request to
 * anywhere else (a provider page's web font, say) is aborted before it leaves.
 */
export async function newLocalContext(browser: Browser, width: number): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width, height: 844 } });
  await context.route(
    (url) => !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname),
    (route) => route.abort('blockedbyclient'),
  );
  return context;
}

export type PageWatch = {
  /** Console errors, uncaught exceptions, failed requests and error answers nobody expected. */
  problems: string[];
  /** Sum of layout-shift scores since the last `resetShifts()` (shifts after user input excluded). */
  layoutShift(): Promise<number>;
  resetShifts(): Promise<void>;
};

/**
 * Watches a page. `tolerated(url)` names error answers that are expected (another site's pages,
 * say); everything else that goes wrong is a problem. A request the page cancelled itself
 * (`net::ERR_ABORTED`) is not a failure.
 */
export async function watchPage(page: Page, tolerated: (url: string) => boolean = () => false): Promise<PageWatch> {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (tolerated(message.location().url)) return;
    problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? 'failed';
    if (failure !== 'net::ERR_ABORTED' && !tolerated(request.url())) {
      problems.push(`request failed: ${request.method()} ${request.url()} ${failure}`);
    }
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !tolerated(response.url())) {
      problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
    }
  });
  // In the page: add up layout shifts not caused by the user (the CLS metric's entries).
  await page.addInitScript({
    content: `window.__shift = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
      }).observe({ type: 'layout-shift', buffered: true });`,
  });
  return {
    problems,
    layoutShift: () => page.evaluate<number>('window.__shift'),
    resetShifts: async () => {
      await page.evaluate('window.__shift = 0');
    },
  };
}

/** Full-page screenshots of the page as it is, at a phone's and a desktop's width. */
export async function screenshots(page: Page, name: string) {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const viewport = page.viewportSize();
  for (const [label, width] of Object.entries(WIDTHS)) {
    await page.setViewportSize({ width, height: label === 'phone' ? 844 : 900 });
    await page.screenshot({ path: join(OUTPUT_DIR, `${name}-${width}.png`), fullPage: true, animations: 'disabled' });
  }
  if (viewport) await page.setViewportSize(viewport);
}
