import { replaceReadmeBlock } from './readme-block.js';

/** The comments around a benchmark's generated part of the README. */
export function benchMarkers(benchmark: string): { start: string; end: string } {
  return { start: `<!-- bench:${benchmark}:start -->`, end: `<!-- bench:${benchmark}:end -->` };
}

/**
 * The README with the text between a benchmark's markers replaced by `body` (markers kept), or
 * null when the README lacks either marker, or has them out of order.
 */
export function replaceBenchBlock(readme: string, benchmark: string, body: string): string | null {
  return replaceReadmeBlock(readme, `bench:${benchmark}`, `from bench/results/${benchmark}.*.json by \`npx distrag bench --readme\``, body);
}
