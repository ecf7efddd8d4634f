import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, sharedBrowser, openConsole, screenshot, textOf, waitForText } from './support/browser.js';
import { graphql, tokenFor } from './support/graphql-client.js';

/**
 * The console's Cache panel (CONTRACT §5 "Cache subgraph") in Chromium against the shared stack:
 * what it shows is what the cache subgraph says, and what it does (Flush, policy) the server then
 * reports. One tenant no other test uses, so that its counters are this file's alone.
 */
const TENANT = 'console-cache';

interface Policy {
  threshold: number;
  maxEntries: number;
  ttlSeconds: number;
  rebind: boolean;
  literalGuard: boolean;
}
interface Stats {
  enabled: boolean;
  disabledReason: string | null;
  entries: number;
  hits: number;
  policy: Policy | null;
}

const STATS = `query ($tenant: ID) { cacheStats(tenant: $tenant) { enabled disabledReason entries hits policy { threshold maxEntries ttlSeconds rebind literalGuard } } }`;
const ENTRIES = 'query ($tenant: ID) { cacheEntries(tenant: $tenant, limit: 100) { id tenant question } }';
const STORE = 'mutation ($q: String!, $sql: String!, $answer: String, $tenant: ID) { storeCacheEntry(question: $q, sql: $sql, answer: $answer, tenant: $tenant) { id } }';
const SET_POLICY = `mutation ($tenant: ID, $threshold: Float, $maxEntries: Int, $ttlSeconds: Int, $rebind: Boolean, $literalGuard: Boolean) {
  setCachePolicy(tenant: $tenant, threshold: $threshold, maxEntries: $maxEntries, ttlSeconds: $ttlSeconds, rebind: $rebind, literalGuard: $literalGuard) { threshold }
}`;

const QUESTIONS: Array<[string, string]> = [
  ['How many students are enrolled in the console test?', 'SELECT count(*) FROM students'],
  ['List the names of all departments in the console test', 'SELECT name FROM departments'],
  ['Which courses does the console test know?', 'SELECT title FROM courses'],
];

let admin: string;

async function data<T>(query: string, variables: Record<string, unknown>, token = admin): Promise<T> {
  const { body } = await graphql(query, { token, variables });
  if (body.errors?.length) throw new Error(`${query}: ${body.errors[0]!.message}`);
  return body.data as T;
}
const stats = (tenant = TENANT) => data<{ cacheStats: Stats }>(STATS, { tenant }).then((d) => d.cacheStats);
const entries = () => data<{ cacheEntries: Array<{ id: string; tenant: string | null; question: string }> }>(ENTRIES, { tenant: TENANT }).then((d) => d.cacheEntries);
const storeAll = () => Promise.all(QUESTIONS.map(([q, sql]) => data(STORE, { q, sql, tenant: TENANT, answer: '{"rows":[[1]]}' })));

async function rowsShown(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid="cache-entry-row"] [data-testid="cache-entry-question"]', (cells) => cells.map((c) => (c as HTMLElement).innerText.trim()));
}

async function waitForRows(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n: number) => document.querySelectorAll('[data-testid="cache-entry-row"]').length === n, { timeout: 20_000 }, count);
}

async function setField(page: Page, testId: string, value: string): Promise<void> {
  const input = (await page.$(`[data-testid="${testId}"]`))!;
  await input.click({ count: 3 });
  await input.press('Backspace');
  await input.type(value);
}

describe.skipIf(browserMissing)('console: Cache panel', () => {
  const browser = sharedBrowser();
  let enabled = true;
  let disabledReason: string | null = null;

  beforeAll(async () => {
    admin = await tokenFor('admin');
    await data('mutation ($tenant: ID) { flushCache(tenant: $tenant) }', { tenant: TENANT });
    ({ enabled, disabledReason } = await stats());
  });
  afterAll(async () => {
    if (enabled) await data('mutation ($tenant: ID) { flushCache(tenant: $tenant) }', { tenant: TENANT });
  });

  it('admin: shows the tenant’s counters and entries as the server reports them, charts the hit rate, changes the policy and flushes', async () => {
    if (enabled) {
      await storeAll();
      // One hit and one miss, so that the counters and the chart have something to show.
      const reader = await tokenFor('reader', TENANT);
      const lookup = 'query ($q: String!) { cacheLookup(question: $q) { cached } }';
      expect((await data<{ cacheLookup: { cached: string } }>(lookup, { q: QUESTIONS[0]![0] }, reader)).cacheLookup.cached).toBe('HIT');
      expect((await data<{ cacheLookup: { cached: string } }>(lookup, { q: 'Which professors teach on Mondays in the console test?' }, reader)).cacheLookup.cached).toBe('MISS');
    }
    const { page, problems } = await openConsole(browser(), { token: admin, panel: 'cache' });
    try {
      await page.type('[data-testid="tenant"]', TENANT);
      if (!enabled) {
        await waitForText(page, '[data-testid="cache-disabled"]', new RegExp((disabledReason ?? 'disabled').slice(0, 40).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        await screenshot(page, 'cache');
        expect(problems).toEqual([]);
        return;
      }

      // The entries table: the stored questions, all of this tenant.
      await waitForRows(page, QUESTIONS.length);
      expect((await rowsShown(page)).sort()).toEqual(QUESTIONS.map(([q]) => q).sort());
      expect((await entries()).map((e) => e.question).sort()).toEqual(QUESTIONS.map(([q]) => q).sort());
      const server = await stats();
      expect(server.entries).toBe(QUESTIONS.length);
      await waitForText(page, '[data-testid="cache-stat-entries"]', new RegExp(`^${server.entries}$`));
      await waitForText(page, '[data-testid="cache-stat-hits"]', new RegExp(`^${server.hits}$`));

      // The hit-rate chart, once a couple of polls are in.
      await page.waitForSelector('[data-testid="hit-rate-chart"] canvas', { timeout: 20_000 });

      // The current policy as the server has it, then a change made through the form.
      const before = server.policy!;
      await waitForText(page, '[data-testid="policy-current-threshold"]', new RegExp(`^${before.threshold}$`));
      await waitForText(page, '[data-testid="policy-current-max-entries"]', new RegExp(`^${before.maxEntries.toLocaleString('en-US')}$`));
      await screenshot(page, 'cache');
      const wanted: Policy = {
        threshold: before.threshold === 0.87 ? 0.88 : 0.87,
        maxEntries: before.maxEntries === 777 ? 778 : 777,
        ttlSeconds: before.ttlSeconds === 3600 ? 7200 : 3600,
        rebind: !before.rebind,
        literalGuard: before.literalGuard,
      };
      try {
        await setField(page, 'policy-threshold', String(wanted.threshold));
        await setField(page, 'policy-max-entries', String(wanted.maxEntries));
        await setField(page, 'policy-ttl', String(wanted.ttlSeconds));
        await page.click('[data-testid="policy-rebind"]');
        await page.click('[data-testid="policy-save"]');
        await waitForText(page, '[data-testid="policy-current-threshold"]', new RegExp(`^${wanted.threshold}$`));
        await waitForText(page, '[data-testid="policy-current-rebind"]', wanted.rebind ? /^on$/ : /^off$/);
        expect((await stats()).policy).toEqual(wanted);
      } finally {
        await data(SET_POLICY, { tenant: TENANT, ...before });
      }
      expect((await stats()).policy).toEqual(before);

      // Flush through the inline confirmation: the server then holds none of the tenant's entries.
      await page.click('[data-testid="flush"]');
      await waitForText(page, '[data-testid="flush-confirm-step"]', new RegExp(`${QUESTIONS.length} entries of tenant ${TENANT}`));
      await page.click('[data-testid="flush-confirm"]');
      await waitForText(page, '[data-testid="flush-result"]', new RegExp(`^${QUESTIONS.length} entries removed$`));
      expect(await entries()).toEqual([]);
      expect((await stats()).entries).toBe(0);
      await waitForRows(page, 0);
      await page.waitForSelector('[data-testid="cache-entries-empty"]');
      await waitForText(page, '[data-testid="cache-stat-entries"]', /^0$/);
      expect(problems).toEqual([]);
    } finally {
      await page.browserContext().close();
    }
  });

  it('a reader token sees its own tenant only, the policy without the form, and Flush disabled', async () => {
    if (enabled) await storeAll();
    const reader = await tokenFor('reader', TENANT);
    const { page, problems } = await openConsole(browser(), { token: reader, panel: 'cache' });
    try {
      expect(await textOf(page, '[data-testid="who"]')).toMatch(new RegExp(`tenant ${TENANT}`));
      expect(await page.$('[data-testid="tenant"]')).toBeNull();
      expect(await textOf(page, '.tenant-fixed')).toBe(`tenant ${TENANT}`);
      if (!enabled) {
        await page.waitForSelector('[data-testid="cache-disabled"]');
        expect(problems).toEqual([]);
        return;
      }
      await waitForRows(page, QUESTIONS.length);
      const tenants = await page.$$eval('[data-testid="cache-entry-row"] td:nth-child(2)', (cells) => cells.map((c) => (c as HTMLElement).innerText.trim()));
      expect(new Set(tenants)).toEqual(new Set([TENANT]));
      const server = await stats();
      await waitForText(page, '[data-testid="cache-stat-entries"]', new RegExp(`^${server.entries}$`));
      await waitForText(page, '[data-testid="policy-current-threshold"]', new RegExp(`^${server.policy!.threshold}$`));
      expect(await page.$('[data-testid="policy-form"]')).toBeNull();
      expect(await page.$eval('[data-testid="flush"]', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
      expect(await textOf(page, '[data-testid="flush-disabled-reason"]')).toMatch(/writer|admin/);
      // The server agrees: a reader may not flush.
      const { body } = await graphql('mutation { flushCache }', { token: reader });
      expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(problems).toEqual([]);
    } finally {
      await page.browserContext().close();
    }
  });
});
