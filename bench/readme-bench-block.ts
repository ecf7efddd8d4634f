/** The comments around a benchmark's generated part of the README. */
export function benchMarkers(benchmark: string): { start: string; end: string } {
  return { start: `<!-- bench:${benchmark}:start -->`, end: `<!-- bench:${benchmark}:end -->` };
}

/**
 * The README with the text between a benchmark's markers replaced by `body` (markers kept), or
 * null when the README lacks either marker, or has them out of order.
 */
export function replaceBenchBlock(readme: string, benchmark: string, body: string): string | null {
  const { start, end } = benchMarkers(benchmark);
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from === -1 || to === -1 || to < from) return null;
  const generated = `${start}\n<!-- Generated from bench/results/${benchmark}.*.json by \`npx distrag bench --readme\`; edits here are overwritten. -->\n\n${body.replace(/\n*$/, '\n')}`;
  return `${readme.slice(0, from)}${generated}${readme.slice(to)}`;
}
