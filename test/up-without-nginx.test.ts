import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable, findPostgres } from '../scripts/system-requirements.mjs';
import { privateStackEnv } from '../src/stack/private-stack.js';
import { runCli } from './support/run-cli.js';

// NGINX is optional: without it `up` starts everything else, and `status` says clients use the
// gateway URL. DISTRAG_SYSTEM_BIN_PATH hides the installed nginx: the stack searches only a
// directory holding a redis-server symlink.
describe('distrag up without NGINX', () => {
  let env: Record<string, string>;
  let bin: string;

  beforeAll(async () => {
    const pg = findPostgres(process.env);
    const redisServer = findExecutable('redis-server', process.env);
    if (!pg.ok || !redisServer) throw new Error('this test needs PostgreSQL and Redis installed');
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-no-nginx-bin-'));
    fs.chmodSync(bin, 0o755); // the servers run as the service user when the tests run as root
    fs.symlinkSync(redisServer, path.join(bin, 'redis-server'));
    env = await privateStackEnv('distrag-no-nginx', { DISTRAG_SEED_SCALE: '0', DISTRAG_CITUS: 'off', DISTRAG_PG_BIN: pg.binDir, DISTRAG_SYSTEM_BIN_PATH: bin });
  });

  afterAll(() => {
    runCli(['down'], env);
    fs.rmSync(env.DISTRAG_HOME!, { recursive: true, force: true });
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it('starts without it, and status says so', () => {
    const up = runCli(['up', '--detach'], env);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('warning: nginx is not installed: no load balancer; clients use the gateway URL');
    expect(up.stdout).not.toMatch(/via NGINX/);

    const status = runCli(['status'], env);
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout).toContain('nginx: not installed — no load balancer; clients use the gateway URL');

    const json = runCli(['status', '--json'], env);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { processes: Array<{ name: string; healthy: boolean }>; urls: Record<string, string | null> };
    expect(Object.keys(parsed.urls).sort()).toEqual(['chroma', 'console', 'graphql', 'nginx', 'postgres', 'redis']);
    // Without NGINX the console is the gateway's.
    expect(parsed.urls.console).toBe(new URL('/console/', parsed.urls.graphql as string).toString());
    expect(parsed.urls.nginx).toBeNull();
    expect(parsed.processes.map((p) => p.name)).not.toContain('nginx');
    expect(parsed.processes.every((p) => p.healthy)).toBe(true);

    expect(runCli(['down'], env).code).toBe(0);
  });
});
