import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { asBenchResult, type BenchResult } from '../bench/bench-result.js';
import { benchResultsDir } from '../src/paths.js';
import { browserMissing, sharedBrowser, consoleBase, openConsole, screenshot } from './support/browser.js';
import { tokenFor } from './support/graphql-client.js';

/**
 * The console's Benchmarks panel against what `npx distrag bench` and `eval` left in bench/results
 * (the directory the stack's gateway serves): a section per benchmark with a chart per table, and
 * every evaluation plot loaded as an image.
 */

function resultsOnDisk(): BenchResult[] {
  let names: string[];
  try {
    names = fs.readdirSync(benchResultsDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^[a-z0-9-]+\.(single|citus)\.json$/.test(n))
    .map((n) => {
      try {
        return asBenchResult(JSON.parse(fs.readFileSync(path.join(benchResultsDir, n), 'utf8')));
      } catch {
        return null;
      }
    })
    .filter((r): r is BenchResult => r !== null);
}

function plotsOnDisk(): string[] {
  try {
    return fs.readdirSync(benchResultsDir).filter((n) => /^[a-z0-9-]+\.svg$/.test(n)).sort();
  } catch {
    return [];
  }
}

describe.skipIf(browserMissing)('console: Benchmarks panel', () => {
  const browser = sharedBrowser();

  it('answers 401 to its API without a token', async () => {
    expect((await fetch(new URL('api/benchmarks', consoleBase()))).status).toBe(401);
    const plot = plotsOnDisk()[0] ?? 'cache-eval.svg';
    expect((await fetch(new URL(`api/benchmarks/${plot}`, consoleBase()))).status).toBe(401);
  });

  it('shows a section per benchmark with results on disk, a chart per table, and every plot', async () => {
    const results = resultsOnDisk();
    const benchmarks = [...new Set(results.map((r) => r.benchmark))].sort();
    const plots = plotsOnDisk();
    const { page, problems } = await openConsole(browser(), { token: await tokenFor('reader', '1'), panel: 'benchmarks' });
    try {
      if (benchmarks.length === 0) {
        await page.waitForSelector('[data-testid="bench-empty"]');
        expect(await page.$eval('[data-testid="bench-empty"]', (n) => (n as HTMLElement).innerText)).toContain('npx distrag bench all');
      } else {
        await page.waitForSelector('[data-testid="bench-section"]', { timeout: 15_000 });
        const sections = await page.$$eval('[data-testid="bench-section"]', (nodes) =>
          nodes.map((n) => ({
            benchmark: n.getAttribute('data-benchmark'),
            title: (n.querySelector('[data-testid="bench-title"]') as HTMLElement).innerText.trim(),
            charts: n.querySelectorAll('[data-testid="bench-chart"] canvas').length,
            tables: n.querySelectorAll('[data-testid="bench-medians"]').length,
            metas: n.querySelectorAll('[data-testid="bench-meta"]').length,
          })),
        );
        expect(sections.map((s) => s.benchmark).sort()).toEqual(benchmarks);
        for (const section of sections) {
          const mine = results.filter((r) => r.benchmark === section.benchmark);
          const tableTitles = new Set(mine.flatMap((r) => r.tables.map((t) => t.title ?? '')));
          expect(section.title).toBe(mine[0]!.title);
          expect(section.charts).toBe(tableTitles.size);
          expect(section.charts).toBeGreaterThan(0);
          expect(section.tables).toBe(tableTitles.size);
          expect(section.metas).toBe(mine.length);
        }
        // The medians of the first benchmark's main table as the file holds them.
        const first = results.find((r) => r.benchmark === benchmarks[0] && r.tables[0]?.rows[0]?.figures.some((f) => f !== null))!;
        const table = first.tables[0]!;
        const column = table.rows[0]!.figures.findIndex((f) => f !== null);
        const median = table.rows[0]!.figures[column]!.median.toLocaleString('en-US', { minimumFractionDigits: table.columns[column]!.digits, maximumFractionDigits: table.columns[column]!.digits });
        const text = await page.$eval(`[data-benchmark="${benchmarks[0]}"] [data-testid="bench-medians"]`, (n) => (n as HTMLElement).innerText);
        expect(text).toContain(median);
        // The select picks the column charted: another one is then the one marked in the table.
        const select = `[data-benchmark="${benchmarks[0]}"] [data-testid="bench-column"]`;
        const options = await page.$$eval(`${select} option`, (nodes) => nodes.map((n) => (n as HTMLOptionElement).value));
        const current = await page.$eval(select, (n) => (n as HTMLSelectElement).value);
        const other = options.find((o) => o !== current)!;
        await page.select(select, other);
        await page.waitForFunction(
          (sel: string, name: string) => (document.querySelector(sel)?.querySelector('th.bench-plotted') as HTMLElement | null)?.innerText.trim() === name,
          {},
          `[data-benchmark="${benchmarks[0]}"] [data-testid="bench-table"]`,
          other,
        );
        expect(await page.$eval(`[data-benchmark="${benchmarks[0]}"] [data-testid="bench-table"]`, (n) => n.querySelectorAll('[data-testid="bench-chart"] canvas').length)).toBe(1);
      }
      // Every plot on disk, loaded as an image.
      if (plots.length > 0) {
        await page.waitForFunction(
          (n: number) => {
            const images = Array.from(document.querySelectorAll<HTMLImageElement>('[data-testid="bench-plot-image"]'));
            return images.length === n && images.every((i) => i.complete && i.naturalWidth > 0);
          },
          { timeout: 20_000 },
          plots.length,
        );
        const shown = await page.$$eval('[data-testid="bench-plot"]', (nodes) => nodes.map((n) => ({ name: n.getAttribute('data-plot'), alt: n.querySelector('img')!.alt, src: n.querySelector('img')!.src })));
        expect(shown.map((p) => p.name).sort()).toEqual(plots);
        for (const plot of shown) {
          expect(plot.src).toMatch(/^blob:/);
          expect(plot.alt.length).toBeGreaterThan(0);
        }
      }
      await screenshot(page, 'benchmarks');
      expect(problems).toEqual([]);
    } finally {
      await page.browserContext().close();
    }
  });
});
