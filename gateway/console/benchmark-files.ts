import fs from 'node:fs';
import path from 'node:path';
import { asBenchResult, type BenchResult } from '../../bench/bench-result.js';

/** A plot an evaluation drew (bench/results/<name>.svg). */
export interface BenchmarkPlot {
  name: string;
  /** The plot's own title (its first <text>), or its name. */
  title: string;
}

export interface BenchmarkListing {
  /** One per benchmark and mode measured (bench/results/<benchmark>.<mode>.json). */
  results: BenchResult[];
  plots: BenchmarkPlot[];
}

const PLOT_NAME = /^[a-z0-9-]+\.svg$/;
const RESULT_NAME = /^[a-z0-9-]+\.(single|citus)\.json$/;

/** What `npx distrag bench` and `npx distrag eval` left in the results directory (empty when there is none). */
export function listBenchmarks(dir: string): BenchmarkListing {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return { results: [], plots: [] };
  }
  const results: BenchResult[] = [];
  for (const name of names.filter((n) => RESULT_NAME.test(n))) {
    try {
      const result = asBenchResult(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
      if (result) results.push(result);
    } catch {
      // A damaged or half-written file is left out, as `bench` itself does.
    }
  }
  const plots = names.filter((n) => PLOT_NAME.test(n)).map((name) => ({ name, title: plotTitle(path.join(dir, name)) ?? name }));
  return { results, plots };
}

/** The SVG of one plot, or null when `name` is not a plot of the directory. */
export function readPlot(dir: string, name: string): Buffer | null {
  if (!PLOT_NAME.test(name)) return null;
  try {
    return fs.readFileSync(path.join(dir, name));
  } catch {
    return null;
  }
}

function plotTitle(file: string): string | null {
  try {
    const svg = fs.readFileSync(file, 'utf8');
    const text = /<text[^>]*>([^<]+)<\/text>/.exec(svg)?.[1];
    return text ? decodeEntities(text.trim()) : null;
  } catch {
    return null;
  }
}

function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}
