import { describe, expect, it } from 'vitest';
import { browserMissing, sharedBrowser, openConsole, screenshot, waitForText } from './support/browser.js';
import { adminQuery } from './support/database.js';
import { tokenFor } from './support/graphql-client.js';

/**
 * The Explore panel: GraphiQL bundled with the console, on the gateway's /graphql with the
 * console's token: queries over HTTP, subscriptions over graphql-ws, the schema from introspection.
 */
const RESULT = '.graphiql-response';

/** Types a named operation into the editor, and waits until GraphiQL has read it (its tab takes the name). */
async function replaceQuery(page: import('puppeteer-core').Page, name: string, text: string): Promise<void> {
  await page.click('.graphiql-query-editor .monaco-editor');
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  // Monaco closes brackets as they are typed and steps over the closing ones typed after.
  await page.keyboard.type(text);
  await page.keyboard.press('Escape');
  await waitForText(page, '.graphiql-tab-button', new RegExp(`^${name}$`));
}

/** The result pane's JSON (Monaco draws spaces as no-break spaces). */
async function result(page: import('puppeteer-core').Page, pattern: RegExp, timeout: number): Promise<unknown> {
  return JSON.parse((await waitForText(page, RESULT, pattern, timeout)).replace(/\u00a0/g, ' '));
}

async function run(page: import('puppeteer-core').Page): Promise<void> {
  await page.click('.graphiql-execute-button');
}

describe.skipIf(browserMissing)('console: Explore (GraphiQL)', () => {
  const browser = sharedBrowser();

  it("runs a query with the console's token: a tenant sees its own rows", async () => {
    const { page, problems } = await openConsole(browser(), { token: await tokenFor('reader', '2'), panel: 'explore' });
    await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 30_000 });
    await replaceQuery(page, 'Mine', 'query Mine { studentsAggregate { count } students(limit: 3) { universityId } }');
    await run(page);
    const data = (await result(page, /"students"/, 20_000)) as { data: { studentsAggregate: { count: number }; students: Array<{ universityId: number }> } };
    const [{ n } = { n: 0 }] = await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM students WHERE university_id = 2');
    expect(n).toBeGreaterThan(0);
    expect(data.data.studentsAggregate.count).toBe(n);
    expect(data.data.students).toEqual([{ universityId: 2 }, { universityId: 2 }, { universityId: 2 }]);
    await page.click('.graphiql-toolbar button[aria-label^="Prettify"]');
    await page.waitForFunction(() => document.querySelectorAll('.graphiql-query-editor .view-line').length > 1);
    await screenshot(page, 'explore');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('runs a subscription over graphql-ws: a plain-SQL write shows up in the result pane', async () => {
    const { page, problems } = await openConsole(browser(), { token: await tokenFor('reader', '2'), panel: 'explore' });
    await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 30_000 });
    await replaceQuery(page, 'Watch', 'subscription Watch { dataChanged(tables: ["students"]) { table op tenant } }');
    await run(page);
    // Subscribed once the button offers to stop it; then write until the event shows.
    await page.waitForSelector('.graphiql-execute-button[aria-label*="Stop"], .graphiql-execute-button[aria-label*="stop"]', { timeout: 10_000 });
    let shown: unknown = null;
    for (let attempt = 0; attempt < 10 && !shown; attempt++) {
      await adminQuery('UPDATE students SET gpa = gpa WHERE university_id = 2 AND student_id = (SELECT min(student_id) FROM students WHERE university_id = 2)');
      shown = await result(page, /public\.students/, 2_000).catch(() => null);
    }
    expect(shown).toEqual({ data: { dataChanged: { table: 'public.students', op: 'UPDATE', tenant: '2' } } });
    expect(problems).toEqual([]);
    await page.close();
  });
});
