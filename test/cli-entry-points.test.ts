import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCliInvocation } from '../src/cli/check-invocation.js';
import { freePort } from '../src/stack/port-check.js';
import { runCli } from './support/run-cli.js';

/** The commands containers run: what they accept, and one clear line for what they do not. */
describe('container entry points', () => {
  it('accepts the command lines compose, Kubernetes and `up` use', () => {
    for (const args of [['serve', 'gateway'], ['serve', 'feed'], ['migrate'], ['migrate', '--seed', '0.1', '--wait', '2m'], ['migrate', '--json'], ['backup', '--watch'], ['recover', '--watch']]) {
      expect(checkCliInvocation(args), args.join(' ')).toBeNull();
    }
  });

  it('refuses what would not run, saying why', () => {
    const cases: Array<[string[], RegExp]> = [
      [['serve'], /which service/],
      [['serve', 'gatway'], /no service "gatway"/],
      [['serve', 'data', 'rag'], /unexpected argument "rag"/],
      [['migrate', '--seed=-1'], /--seed must be a number from 0/],
      [['migrate', '--seed', 'lots'], /--seed must be a number from 0/],
      [['migrate', '--seed', ''], /--seed must be a number from 0/],
      [['migrate', '--wait', '2x'], /--wait takes a duration/],
      [['migrate', '--wait', '2h'], /--wait takes a duration up to 1h/],
      [['backup', '--watch', '--node', 'coordinator'], /--watch .* takes neither --node nor --json/],
      [['recover'], /only `recover --watch` exists/],
      [['up'], /not a command containers run/],
      [[], /not a command containers run/],
    ];
    for (const [args, why] of cases) expect(checkCliInvocation(args), args.join(' ')).toMatch(why);
  });

  it('`serve` with an unknown service and `migrate` with an unreachable database exit with one line', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-entry-'));
    try {
      const serve = runCli(['serve', 'nope'], { DISTRAG_HOME: home });
      expect(serve.code).toBe(2);
      expect(serve.stderr.trim()).toMatch(/^distrag serve <gateway\|data\|rag\|cache\|cluster\|feed>: no service "nope"$/);
      const port = await freePort();
      const migrate = runCli(['migrate'], { DISTRAG_HOME: home, DISTRAG_DATABASE_URL: `postgresql://distrag_admin:secret@127.0.0.1:${port}/distrag` });
      expect(migrate.code).toBe(1);
      expect(migrate.stderr.trim().split('\n')).toHaveLength(1);
      expect(migrate.stderr).toMatch(new RegExp(`cannot reach PostgreSQL node coordinator at 127\\.0\\.0\\.1:${port} .*--wait 60s retries`));
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
