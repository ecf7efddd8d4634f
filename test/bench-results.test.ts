import { describe, expect, it } from 'vitest';
import { asBenchResult, type BenchResult } from '../bench/bench-result.js';
import { BenchTableBuilder } from '../bench/bench-table-builder.js';
import { figureOf, formatFigure } from '../bench/figure.js';
import { replaceBenchBlock } from '../bench/readme-bench-block.js';
import { benchProblems, renderBenchBody, renderBenchmark } from '../bench/render-results.js';
import { timeRow } from '../bench/time-breakdown.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** A gateway-like result whose runs measured `rps` requests/s direct and half that through the gateway. */
function result(mode: 'SINGLE' | 'CITUS', rps: number[], overrides: Partial<BenchResult> = {}): BenchResult {
  const table = new BenchTableBuilder({ title: null, keyColumns: ['path'], columns: [{ name: 'req/s', digits: 0 }, { name: 'p50 ms', digits: 2 }, { name: 'errors', digits: 0 }] });
  const ratios = new BenchTableBuilder({ title: 'Ratios within each run', keyColumns: ['ratio'], columns: [{ name: 'req/s', digits: 2 }] });
  for (const value of rps) {
    table.add(['direct'], [value, 1.5, 0]);
    table.add(['through the gateway'], [value / 2, 3, null]);
    ratios.add(['gateway / direct'], [0.5]);
  }
  return {
    format: 2,
    benchmark: 'gateway',
    mode,
    title: 'Gateway overhead',
    commit: COMMIT,
    dirty: false,
    date: '2026-12-01T19:18:35.953Z',
    elapsedSeconds: 61.2,
    machine: { cpus: 2, cpuModel: 'Test CPU', memoryGiB: 24, node: 'v20.20.2', platform: 'linux' },
    settings: { runs: rps.length, durationSeconds: 5, connections: 32 },
    tables: [table.build(), ratios.build()],
    notes: ['a conclusion'],
    method: ['how it was measured'],
    ...overrides,
  };
}

describe('bench results: figures', () => {
  it('keeps every run and their median, min and max (the median of an even count is the mean of the middle two)', () => {
    expect(figureOf([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, runs: [30, 10, 20] });
    expect(figureOf([4, 1, 3, 2])).toMatchObject({ median: 2.5, min: 1, max: 4 });
    expect(() => figureOf([])).toThrow(/at least one run/);
    expect(() => figureOf([1, Number.NaN])).toThrow(/finite/);
  });

  it('shows the median and the range, or the median alone when every run shows the same', () => {
    expect(formatFigure(figureOf([4100, 4224.4, 4310]), 0)).toBe('4224 (4100–4310)');
    expect(formatFigure(figureOf([0.821, 0.819, 0.822]), 2)).toBe('0.82');
    expect(formatFigure(null, 2)).toBe('');
  });

  it('turns run-by-run rows into one figure per cell, null where a column does not apply', () => {
    const [main] = result('SINGLE', [100, 300, 200]).tables;
    expect(main!.rows.map((r) => r.key)).toEqual([['direct'], ['through the gateway']]);
    expect(main!.rows[0]!.figures[0]).toEqual({ median: 200, min: 100, max: 300, runs: [100, 300, 200] });
    expect(main!.rows[1]!.figures[2]).toBeNull();
  });
});

describe('bench results: tables', () => {
  it('renders both modes row by row with median (min–max), each mode with its commit, date, runs and machine', () => {
    const body = renderBenchBody('gateway', [result('CITUS', [50, 70, 60]), result('SINGLE', [100, 300, 200])]);
    expect(body).toContain(`- SINGLE: commit \`${COMMIT.slice(0, 10)}\`, measured 2026-12-01T19:18:35.953Z; 3 runs × 5 s, 32 connections; 2 CPUs (Test CPU), 24 GiB, Node v20.20.2`);
    expect(body).toContain(`- CITUS: commit \`${COMMIT.slice(0, 10)}\``);
    expect(body).toContain('| path | mode | req/s | p50 ms | errors |');
    const rows = body.split('\n').filter((l) => l.startsWith('| direct') || l.startsWith('| through'));
    expect(rows).toEqual([
      '| direct | SINGLE | 200 (100–300) | 1.50 | 0 |',
      '| direct | CITUS | 60 (50–70) | 1.50 | 0 |',
      '| through the gateway | SINGLE | 100 (50–150) | 3.00 |  |',
      '| through the gateway | CITUS | 30 (25–35) | 3.00 |  |',
    ]);
    expect(body).toContain('**Ratios within each run**');
    expect(body).toContain('| gateway / direct | SINGLE | 0.50 |');
    expect(body).toContain('- how it was measured');
    expect(body).toContain('- SINGLE: a conclusion');
    expect(body).not.toContain('⚠');
    expect(benchProblems('gateway', [result('SINGLE', [1, 2, 3]), result('CITUS', [1, 2, 3])])).toEqual([]);
  });

  it('flags modes measured at different commits', () => {
    const other = result('CITUS', [1, 2, 3], { commit: 'fedcba9876543210fedcba9876543210fedcba98' });
    const body = renderBenchBody('gateway', [result('SINGLE', [1, 2, 3]), other]);
    expect(body).toMatch(/⚠ measured at different commits \(SINGLE `0123456789`, CITUS `fedcba9876`\).*rerun `npx distrag bench gateway`/);
  });

  it('flags fewer than 3 runs, uncommitted code (not the commit\'s code) and differing settings', () => {
    const problems = benchProblems('gateway', [result('SINGLE', [100]), result('CITUS', [1, 2, 3], { dirty: true })]);
    expect(problems).toEqual([
      expect.stringMatching(/^measured at different commits \(SINGLE `0123456789`, CITUS `0123456789\+dirty`\)/),
      expect.stringMatching(/^the modes ran with different settings \(SINGLE: 1 run × 5 s, 32 connections; CITUS: 3 runs × 5 s, 32 connections\)/),
      expect.stringMatching(/^SINGLE: 1 run behind some figures, fewer than 3: not a result to quote/),
      expect.stringMatching(/^CITUS measured uncommitted changes on top of `0123456789`/),
    ]);
    expect(renderBenchBody('gateway', [result('CITUS', [1, 2, 3], { dirty: true })])).toContain('commit `0123456789+dirty`');
  });

  it('flags a figure with fewer runs than the setting (a run that gave no value)', () => {
    const r = result('SINGLE', [1, 2, 3]);
    r.tables[0]!.rows[0]!.figures[0] = figureOf([1, 2]);
    expect(benchProblems('gateway', [r])).toEqual([expect.stringMatching(/^SINGLE: 2 runs behind some figures, fewer than 3/)]);
  });

  it('says "not yet measured" without results, and reads no file of the older one-run layout', () => {
    expect(renderBenchBody('events', [])).toBe('_Not yet measured at this commit: run `npx distrag bench events`._\n');
    expect(renderBenchmark('events', [])).toMatch(/^### `npx distrag bench events`\n\n_Not yet measured/);
    const legacy = { name: 'gateway', mode: 'SINGLE', commit: '46c86c5a19', at: '2026-12-01T19:18:35.953Z', machine: '2 × Xeon', table: { rows: [['direct', '5173', 5, 16, 0]] }, raw: {} };
    expect(asBenchResult(legacy)).toBeNull();
    const current = result('SINGLE', [1, 2, 3]);
    expect(asBenchResult(JSON.parse(JSON.stringify(current)))).toEqual(current);
  });
});

describe('bench results: README', () => {
  const readme = ['# Project', '', 'Prose before.', '', '<!-- bench:gateway:start -->', 'stale table', '<!-- bench:gateway:end -->', '', 'Prose after.', ''].join('\n');

  it('replaces only what lies between the benchmark\'s markers, and again the same way', () => {
    const once = replaceBenchBlock(readme, 'gateway', '| new | table |\n')!;
    expect(once).toBe(
      [
        '# Project', '', 'Prose before.', '',
        '<!-- bench:gateway:start -->',
        '<!-- Generated from bench/results/gateway.*.json by `npx distrag bench --readme`; edits here are overwritten. -->',
        '',
        '| new | table |',
        '<!-- bench:gateway:end -->', '', 'Prose after.', '',
      ].join('\n'),
    );
    expect(replaceBenchBlock(once, 'gateway', '| new | table |\n')).toBe(once);
  });

  it('refuses a README without both markers in order', () => {
    expect(replaceBenchBlock(readme, 'data', 'x')).toBeNull();
    expect(replaceBenchBlock('<!-- bench:gateway:end -->\n<!-- bench:gateway:start -->', 'gateway', 'x')).toBeNull();
  });
});

describe('bench results: where the time went', () => {
  const load = { requestsPerSecond: 1000, completed: 10_000, meanMs: 10, p50Ms: 9, p99Ms: 30, errors: 0 };
  const total = (sum: number, count: number) => ({ sum, count });

  it('splits the mean request through the gateway by each stage\'s histogram, less the next stage', () => {
    // 10 000 requests: 8 ms in the gateway's handler, 5 ms of it in the data subgraph's, 4 ms of that in SQL.
    const row = timeRow('gateway', { value: load, seconds: 10, cpu: null, metrics: { gatewayHttp: total(80, 10_000), dataHttp: total(50, 10_000), dataStatements: total(40, 10_000) } });
    expect(row.map((v) => (v === null ? null : Number(v.toFixed(6))))).toEqual([10, 2, 3, 1, 4]);
  });

  it('is not skewed by requests cut off when the load stops, and counts a stage called twice per request twice', () => {
    // Direct to the data subgraph: 32 requests were cut off, their statements recorded but not their HTTP answers.
    const direct = timeRow('data subgraph', { value: load, seconds: 10, cpu: null, metrics: { gatewayHttp: total(0, 0), dataHttp: total(50, 10_000), dataStatements: total(40 + 0.128, 10_032) } });
    expect(direct[2]).toBeNull();
    expect(direct[3]!).toBeGreaterThan(0.99);
    const twice = timeRow('gateway', { value: load, seconds: 10, cpu: null, metrics: { gatewayHttp: total(80, 10_000), dataHttp: total(50, 20_000), dataStatements: total(40, 20_000) } });
    expect(twice.map((v) => (v === null ? null : Number(v.toFixed(6))))).toEqual([10, 2, 3, 1, 4]);
  });
});
