import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { findExecutable } from '../../scripts/system-requirements.mjs';
import { projectRoot } from '../../src/paths.js';

/**
 * The console's browser tests drive Debian's Chromium (`apt-get install chromium`; `npm test`'s
 * prestart installs it when root) through puppeteer-core: no browser is downloaded. Set
 * DISTRAG_CHROMIUM to use another Chromium or Chrome binary.
 */
export function chromiumBinary(): string | null {
  const configured = process.env.DISTRAG_CHROMIUM;
  if (configured) return fs.existsSync(configured) ? configured : null;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = findExecutable(name);
    if (found) return found;
  }
  return null;
}

/** Why the browser tests cannot run here, or null when they can. */
export const browserMissing: string | null = chromiumBinary() === null ? 'no Chromium: install it with `apt-get install chromium` (or set DISTRAG_CHROMIUM)' : null;

/** Where the screenshots of the console go, next to the other test results. */
export const screenshotDir = path.join(projectRoot, 'test-results', 'console');

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumBinary();
  if (!executablePath) throw new Error(browserMissing!);
  return puppeteer.launch({
    executablePath,
    headless: true,
    // Root (CI here) cannot use Chromium's sandbox; /dev/shm is small in containers.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--no-default-browser-check'],
    defaultViewport: { width: 1280, height: 860 },
  });
}

/** One Chromium for the calling file's tests: launched before them, closed after. Call it in a describe. */
export function sharedBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the browser is not launched yet: use it inside a test');
    return browser;
  };
}

/** The console's address as `distrag up` prints it: through NGINX when the stack runs it. */
export function consoleBase(): string {
  return inject('stack').info.urls.console;
}

export interface ConsolePage {
  page: Page;
  /** Every URL the page asked for, from its first load on. */
  requests: string[];
  /** JavaScript errors, failed loads and Content-Security-Policy violations seen on the page. */
  problems: string[];
}

/**
 * A new page (its own storage) opened at the console. With a token it comes in as `up`'s link
 * does (#token=…), and waits until signed in; without, it stays on the sign-in page.
 */
export async function openConsole(browser: Browser, options: { token?: string; panel?: string; waitSignedIn?: boolean } = {}): Promise<ConsolePage> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => problems.push(`page error: ${(error as Error).message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) => {
    // A page left while a request runs aborts it; that is no failure of the console.
    if (request.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  const fragment = options.token ? `#token=${encodeURIComponent(options.token)}` : '';
  await page.goto(`${consoleBase()}${fragment}`, { waitUntil: 'domcontentloaded' });
  if (options.token && options.waitSignedIn !== false) await page.waitForSelector('[data-testid="who"]', { timeout: 15_000 });
  if (options.panel) await showPanel(page, options.panel);
  return { page, problems, requests };
}

/** Opens a panel from the navigation, as a user clicks it. */
export async function showPanel(page: Page, panel: string): Promise<void> {
  await page.click(`[data-testid="nav-${panel}"]`);
  await page.waitForSelector(`[data-testid="panel-${panel}"]`);
}

/** Saves a screenshot of the page as test-results/console/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file as `${string}.png` });
  return file;
}

/** The text of the first element matching a selector (waits for it). */
export async function textOf(page: Page, selector: string, timeout = 10_000): Promise<string> {
  const element = await page.waitForSelector(selector, { timeout });
  return (await element!.evaluate((node) => (node as HTMLElement).innerText)).trim();
}

/** Waits until the element's text matches. */
export async function waitForText(page: Page, selector: string, pattern: RegExp, timeout = 10_000): Promise<string> {
  const handle = await page.waitForFunction(
    (sel: string, source: string, flags: string) => {
      const node = document.querySelector(sel) as HTMLElement | null;
      return node && new RegExp(source, flags).test(node.innerText) ? node.innerText : false;
    },
    { timeout },
    selector,
    pattern.source,
    pattern.flags,
  );
  return String(await handle.jsonValue());
}
