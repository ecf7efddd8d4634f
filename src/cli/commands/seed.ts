import pg from 'pg';
import type { Config } from '../../config/config.js';
import { loadDemoData } from '../../seed/load-demo-data.js';
import { stackLayout } from '../../stack/stack-layout.js';
import { readStackInfo } from '../../stack/stack-info.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';

/** `distrag seed [--scale S]`: replaces the demo data of the running stack, with progress. */
export async function seedCommand(args: string[], config: Config): Promise<number> {
  const { values } = parseFlags('seed', args, { scale: { type: 'string' } });
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1000) throw new CliError('distrag seed: --scale must be a number above 0 and at most 1000', 2);
  const info = readStackInfo(stackLayout(config.home).stackFile);
  const url = config.DISTRAG_DATABASE_URL ?? info?.urls.postgres;
  if (!url) throw new CliError('distrag seed: DistRAG is not running; start it with `npx distrag up --detach` first');
  const client = new pg.Client({ connectionString: url });
  await client.connect().catch((error: unknown) => {
    throw new CliError(`distrag seed: cannot reach PostgreSQL (${(error as Error).message}); check \`npx distrag status\``);
  });
  try {
    const tty = process.stderr.isTTY;
    const counts = await loadDemoData(client, scale, ({ table, rows, total }) => {
      const line = `distrag: seeding ${table}: ${rows}/${total} (${Math.round((rows / Math.max(total, 1)) * 100)}%)`;
      if (tty) process.stderr.write(`\r${line}\u001b[K`);
      else if (rows === total) console.error(line);
    });
    if (tty) process.stderr.write('\n');
    console.error(`distrag: demo data loaded at scale ${scale}: ${Object.entries(counts).map(([t, n]) => `${n} ${t}`).join(', ')}`);
  } finally {
    await client.end();
  }
  return 0;
}
