/**
 * The README with the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` replaced by a
 * comment saying where it comes from (`source`) and `body` (markers kept), or null when the README
 * lacks either marker, or has them out of order.
 */
export function replaceReadmeBlock(readme: string, name: string, source: string, body: string): string | null {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from === -1 || to === -1 || to < from) return null;
  const generated = `${start}\n<!-- Generated ${source}; edits here are overwritten. -->\n\n${body.replace(/\n*$/, '\n')}`;
  return `${readme.slice(0, from)}${generated}${readme.slice(to)}`;
}
