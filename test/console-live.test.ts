import type { Browser, Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { browserMissing, sharedBrowser, openConsole, screenshot, waitForText } from './support/browser.js';
import { adminQuery } from './support/database.js';
import { tokenFor } from './support/graphql-client.js';

/**
 * The Live panel in Chromium: events from PostgreSQL (logical decoding of plain SQL writes, the DDL
 * event trigger) arrive over the console's graphql-ws connection through NGINX.
 */
const dataRow = (tenant: string) => `[data-testid="events"] tr[data-kind="data"][data-table="public.students"][data-tenant="${tenant}"]`;

async function openLive(browser: Browser, token: string): Promise<{ page: Page; problems: string[] }> {
  const opened = await openConsole(browser, { token, panel: 'live' });
  await waitForText(opened.page, '[data-testid="feed-status"]', /^live$/);
  return opened;
}

/** A plain SQL write to one tenant's students (no API involved); resolves once committed. */
async function touchStudents(tenant: number): Promise<void> {
  await adminQuery('UPDATE students SET gpa = gpa WHERE university_id = $1 AND student_id = (SELECT min(student_id) FROM students WHERE university_id = $1)', [tenant]);
}

describe.skipIf(browserMissing)('console: Live', () => {
  const browser = sharedBrowser();

  it("shows a plain-SQL write's dataChanged within 1 s, only to the tenant it concerns", async () => {
    const admin = await openLive(browser(), await tokenFor('admin'));
    const reader = await openLive(browser(), await tokenFor('reader', '2'));

    // Tenant 1's write reaches the admin first; the reader (tenant 2) must never get it.
    await touchStudents(1);
    await admin.page.waitForSelector(dataRow('1'), { timeout: 10_000 });

    const before = Date.now();
    await touchStudents(2);
    const committed = Date.now();
    await reader.page.waitForSelector(dataRow('2'), { timeout: 10_000 });
    const shownAfterCommitMs = Date.now() - committed;
    expect(shownAfterCommitMs, `commit took ${committed - before} ms`).toBeLessThan(1000);
    expect(await reader.page.$(dataRow('1'))).toBeNull();
    await admin.page.waitForSelector(dataRow('2'));

    // Filters: by table text, and by kind.
    await reader.page.type('[data-testid="filter-table"]', 'students');
    expect(await reader.page.$$eval('[data-testid="events"] tbody tr', (trs) => trs.every((tr) => tr.getAttribute('data-table')?.includes('students')))).toBe(true);
    await screenshot(reader.page, 'live');
    await reader.page.click('[data-testid="filter-data"]');
    await reader.page.waitForSelector('[data-testid="no-events"]');
    // Cluster events are for admins: a tenant token has no such filter (nor subscription).
    expect(await reader.page.$('[data-testid="filter-cluster"]')).toBeNull();
    expect(await admin.page.$('[data-testid="filter-cluster"]')).not.toBeNull();

    expect(admin.problems).toEqual([]);
    expect(reader.problems).toEqual([]);
    await admin.page.close();
    await reader.page.close();
  });

  it('shows a schema change (DDL from plain SQL) as a schema event', async () => {
    const [{ comment } = { comment: null }] = await adminQuery<{ comment: string | null }>("SELECT obj_description('public.universities'::regclass, 'pg_class') AS comment");
    const { page, problems } = await openLive(browser(), await tokenFor('admin'));
    try {
      await adminQuery(`COMMENT ON TABLE public.universities IS 'console live test'`);
      const row = await page.waitForSelector('[data-testid="events"] tr[data-kind="schema"][data-table="public.universities"]', { timeout: 10_000 });
      expect(await row!.evaluate((tr) => (tr as HTMLElement).innerText)).toMatch(/COMMENT/);
    } finally {
      await adminQuery(`COMMENT ON TABLE public.universities IS ${comment === null ? 'NULL' : `'${comment.replace(/'/g, "''")}'`}`);
    }
    expect(problems).toEqual([]);
    await page.close();
  });
});
