import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClusterMode } from '../src/db/bootstrap/migrations.js';
import { benchResultsDir, projectRoot } from '../src/paths.js';
import { asBenchResult, type BenchMachine, type BenchResult } from './bench-result.js';
import { replaceBenchBlock } from './readme-bench-block.js';
import { renderBenchBody, renderBenchmark } from './render-results.js';

const MODES: ClusterMode[] = ['SINGLE', 'CITUS'];
export const resultsDir = benchResultsDir;
const readmeFile = path.join(projectRoot, 'README.md');

/** Read when the benchmark process starts: the code it measures (a commit made meanwhile is not it). */
export const MEASURED_CODE = measuredCode();

/**
 * Records one benchmark's result in one mode (bench/results/<name>.<mode>.json), then publishes
 * that benchmark again from its result files (see `publishResults`).
 */
export function saveResult(result: BenchResult): string[] {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${result.benchmark}.${result.mode.toLowerCase()}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return [file, ...publishResults([result.benchmark])];
}

/**
 * Renders each benchmark's result files — the latest of each mode — into bench/results/<name>.md
 * and <name>.json (both modes together) and into the README between the benchmark's markers.
 * Files of an older layout are not read: such a benchmark shows as not yet measured. Returns the
 * files written; throws when the README lacks a benchmark's markers.
 */
export function publishResults(benchmarks: string[]): string[] {
  const written: string[] = [];
  let readme = fs.readFileSync(readmeFile, 'utf8');
  for (const benchmark of benchmarks) {
    const results = MODES.map((mode) => readResult(benchmark, mode)).filter((r): r is BenchResult => r !== null);
    fs.mkdirSync(resultsDir, { recursive: true });
    const md = path.join(resultsDir, `${benchmark}.md`);
    const json = path.join(resultsDir, `${benchmark}.json`);
    fs.writeFileSync(md, renderBenchmark(benchmark, results));
    fs.writeFileSync(json, `${JSON.stringify({ benchmark, results }, null, 2)}\n`);
    const next = replaceBenchBlock(readme, benchmark, renderBenchBody(benchmark, results));
    if (next === null) throw new Error(`README.md has no <!-- bench:${benchmark}:start --> … <!-- bench:${benchmark}:end --> markers; add them where the ${benchmark} table belongs`);
    readme = next;
    written.push(md, json);
  }
  fs.writeFileSync(readmeFile, readme);
  return [...written, readmeFile];
}

function readResult(benchmark: string, mode: ClusterMode): BenchResult | null {
  try {
    const result = asBenchResult(JSON.parse(fs.readFileSync(path.join(resultsDir, `${benchmark}.${mode.toLowerCase()}.json`), 'utf8')));
    return result && result.benchmark === benchmark && result.mode === mode ? result : null;
  } catch {
    return null;
  }
}

/**
 * The commit the working tree is at, and whether the code being measured has uncommitted changes
 * (tests, docs and earlier results do not count; untracked files neither).
 */
function measuredCode(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: projectRoot, encoding: 'utf8' }).trim();
    const code = ['.', ':!test', ':!bench/results', ':!*.md'];
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', ...code], { cwd: projectRoot, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

export function benchMachine(): BenchMachine {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}
