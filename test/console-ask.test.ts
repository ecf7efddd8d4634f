import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { browserMissing, sharedBrowser, openConsole, screenshot, textOf, waitForText } from './support/browser.js';
import { adminQuery, gqlData } from './support/database.js';
import { tokenFor } from './support/graphql-client.js';
import { llmCalls, scriptLlm } from './support/scripted-llm.js';

/**
 * The console's Ask panel in Chromium against the shared stack, whose RAG subgraph asks a local
 * server speaking Gemini's wire protocol (scripted per question by a marker in it).
 */
const control = () => inject('stack').llmControlUrl;
const marker = () => `q${randomUUID().slice(0, 8)}`;
const sqlReply = (sql: string) => ({ text: JSON.stringify({ sql }) });

describe.skipIf(browserMissing)('console: Ask', () => {
  const browser = sharedBrowser();

  it('asks through the UI: the answer, the SQL highlighted, the rows, a cache miss then a hit, every stage timed', async () => {
    const m = marker();
    const sql = 'SELECT department_id, count(*) AS students FROM students GROUP BY department_id ORDER BY department_id';
    await scriptLlm(control(), { when: m, stage: 'sql', replies: [sqlReply(sql)] }, { when: m, stage: 'answer', replies: [{ text: 'Each department has its own count of students.' }] });
    const expected = await adminQuery<{ department_id: number; students: string }>(
      'SELECT department_id, count(*)::text AS students FROM students WHERE university_id = 1 GROUP BY department_id ORDER BY department_id',
    );
    const { page, problems } = await openConsole(browser(), { token: await tokenFor('reader', '1'), panel: 'ask' });

    const question = `How many students are in each department? ${m}`;
    await page.type('[data-testid="question"]', question);
    await page.click('[data-testid="ask"]');
    expect(await textOf(page, '[data-testid="answer-text"]', 20_000)).toBe('Each department has its own count of students.');
    expect(await page.$eval('[data-testid="cached"]', (n) => n.getAttribute('data-outcome'))).toBe('MISS');
    // The SQL as the pipeline ran it, highlighted: keywords marked up by highlight.js.
    expect(await textOf(page, '[data-testid="sql"] pre')).toBe(sql);
    const keywords = await page.$$eval('[data-testid="sql"] .hljs-keyword', (nodes) => nodes.map((n) => n.textContent?.toUpperCase()));
    expect(keywords).toEqual(expect.arrayContaining(['SELECT', 'FROM', 'GROUP', 'ORDER']));
    // The rows are tenant 1's, as PostgreSQL counts them.
    const rows = await page.$$eval('[data-testid="rows"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toEqual(expected.map((r) => [String(r.department_id), r.students]));
    const headers = await page.$$eval('[data-testid="rows"] th', (ths) => ths.map((th) => th.textContent));
    expect(headers).toEqual(['department_id', 'students']);
    // A timings bar segment per stage that ran, and a legend entry for every stage.
    expect(await page.$$eval('[data-testid="timings"] .timings span', (spans) => spans.length)).toBeGreaterThanOrEqual(5);
    for (const stage of ['embed', 'cache', 'retrieve', 'generate', 'execute', 'synthesize']) {
      expect(await textOf(page, `[data-testid="timing-${stage}"]`)).toMatch(new RegExp(`^${stage} \\d+(\\.\\d)? (ms|s)$`));
    }
    // A reader does not get to mark answers correct.
    expect(await page.$('[data-testid="mark-correct"]')).toBeNull();
    await screenshot(page, 'ask');

    // The same question again: the semantic cache answers, the LLM is not asked for SQL again.
    await page.click('[data-testid="ask"]');
    await page.waitForSelector('[data-testid="cached"][data-outcome="HIT"]', { timeout: 20_000 });
    expect(await waitForText(page, '[data-testid="cached"]', /^cache hit · similarity 1\.000$/)).toBeTruthy();
    expect((await llmCalls(control(), m)).filter((c) => c.stage === 'sql')).toHaveLength(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('an admin marks an answer correct: it becomes a few-shot example of that tenant', async () => {
    const m = marker();
    const sql = 'SELECT count(*) AS courses FROM courses';
    await scriptLlm(control(), { when: m, stage: 'sql', replies: [sqlReply(sql)] });
    const { page, problems } = await openConsole(browser(), { token: await tokenFor('admin'), panel: 'ask' });
    const question = `How many courses are there? ${m}`;
    await page.type('[data-testid="question"]', question);
    await page.type('[data-testid="tenant"]', '2');
    await page.click('[data-testid="ask"]');
    await page.waitForSelector('[data-testid="answer"]', { timeout: 20_000 });
    const [courses] = await adminQuery<{ n: string }>('SELECT count(*)::text AS n FROM courses WHERE university_id = 2');
    expect(await page.$$eval('[data-testid="rows"] td', (tds) => tds.map((td) => td.textContent))).toEqual([courses!.n]);

    await page.click('[data-testid="mark-correct"]');
    const saved = await waitForText(page, '[data-testid="marked"]', /saved as example \S+/);
    const id = /example (\S+)/.exec(saved)![1];
    const { examples } = await gqlData<{ examples: Array<{ id: string; question: string; sql: string; tenant: string | null; source: string }> }>('admin', null, '{ examples(tenant: "2", limit: 1000) { id question sql tenant source } }');
    expect(examples.find((e) => e.id === id)).toEqual({ id, question, sql, tenant: '2', source: 'user' });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows the error code and message when the question is refused', async () => {
    const { page, problems } = await openConsole(browser(), { token: await tokenFor('reader', '1'), panel: 'ask' });
    // No scripted SQL: the LLM declines, and the pipeline says so.
    await page.type('[data-testid="question"]', `What is the meaning of life? ${marker()}`);
    await page.click('[data-testid="ask"]');
    const error = await textOf(page, '[data-testid="error"]', 20_000);
    expect(error).toMatch(/^[A-Z_]+ \S/);
    expect(await page.$('[data-testid="answer"]')).toBeNull();
    expect(problems).toEqual([]);
    await page.close();
  });
});
