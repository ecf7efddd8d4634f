import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenVerifier } from '../src/auth/token-verifier.js';
import { loadConfig } from '../src/config/config.js';
import { projectRoot } from '../src/paths.js';
import { privateStackEnv } from '../src/stack/private-stack.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { runCli } from './support/run-cli.js';

interface Status {
  mode: string;
  processes: Array<{ name: string; pid: number; port: number; healthy: boolean }>;
  urls: { graphql: string; nginx: string | null; console: string; postgres: string; redis: string; chroma: string };
  cache: { enabled: boolean; reason: string | null; embedder: string | null } | null;
  rag: { llm: { provider: string; model: string } | null; schemaIndex: { phase: string; tables: number } } | null;
}

const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
};

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('distrag up / status / down', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    env = await privateStackEnv('distrag-cli', { DISTRAG_SEED_SCALE: '0.05' });
  });

  afterAll(() => {
    runCli(['down'], env);
    fs.rmSync(env.DISTRAG_HOME!, { recursive: true, force: true });
  });

  it('keeps the data across up → down → up, and down leaves nothing running', async () => {
    const first = runCli(['up', '--detach'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Dev admin token \(valid 24h/);
    // The dev token obeys DISTRAG_MAX_TOKEN_TTL (24 h by default): it lives exactly that long.
    const devToken = /Dev admin token.*\n(\S+)/.exec(first.stdout)?.[1] ?? '';
    const { iat, exp } = JSON.parse(Buffer.from(devToken.split('.')[1] ?? '', 'base64url').toString() || '{}') as { iat?: number; exp?: number };
    expect(exp! - iat!).toBe(86_400);
    expect(first.stderr).toMatch(/demo data loaded: 1 universities/);

    const status = runCli(['status', '--json'], env);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as Status;
    expect(parsed.mode).toMatch(/^(SINGLE|CITUS)$/);
    expect(Object.keys(parsed.urls).sort()).toEqual(['chroma', 'console', 'graphql', 'nginx', 'postgres', 'redis']);
    // The console link: the console's page on the stack's entry point, signed in by a 1-hour admin token.
    const link = /^ {2}Console: {4}(\S+)#token=(\S+)$/m.exec(first.stdout);
    expect(link?.[1]).toBe(parsed.urls.console);
    expect(parsed.urls.console).toBe(new URL('/console/', parsed.urls.nginx ?? parsed.urls.graphql).toString());
    const linkClaims = JSON.parse(Buffer.from(link![2]!.split('.')[1] ?? '', 'base64url').toString()) as { iat: number; exp: number; role: string };
    expect({ role: linkClaims.role, ttl: linkClaims.exp - linkClaims.iat }).toEqual({ role: 'admin', ttl: 3600 });
    const page = await fetch(parsed.urls.console);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const session = await fetch(new URL('/console/api/session', parsed.urls.console), { headers: { authorization: `Bearer ${link![2]}` } });
    expect(await session.json()).toMatchObject({ sub: 'dev-admin', role: 'admin', tenant: null });
    expect(parsed.urls.postgres).toMatch(/^postgresql:\/\/distrag_admin:.+@127\.0\.0\.1:\d+\/distrag$/);
    const names = parsed.processes.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['postgres-coordinator', 'redis', 'chroma', 'subgraph-data', 'subgraph-rag', 'subgraph-cache', 'subgraph-cluster', 'gateway']));
    for (const p of parsed.processes) {
      expect(p).toEqual({ name: expect.any(String), pid: expect.any(Number), port: expect.any(Number), healthy: true });
    }
    // The model `npm test` installed reaches the cache process, whichever user it runs as.
    expect(parsed.cache).toEqual({ enabled: true, reason: null, embedder: 'local:all-MiniLM-L6-v2:int8' });
    const text = runCli(['status'], env).stdout;
    expect(text).toMatch(/cache: enabled \(embedder local:all-MiniLM-L6-v2:int8\)/);
    // No LLM configured here: the RAG process says so, and its schema index holds the demo tables.
    expect(parsed.rag).toEqual({ llm: null, schemaIndex: { phase: 'ready', tables: 5 } });
    expect(text).toMatch(/rag: LLM NOT CONFIGURED .*; schema index ready \(5 tables\)/);

    if (process.getuid?.() === 0) {
      // Started as root, the servers run as the unprivileged service user (PostgreSQL refuses root).
      for (const p of parsed.processes.filter((x) => ['postgres-coordinator', 'redis', 'chroma', 'nginx'].includes(x.name))) {
        const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1];
        expect(uid, `${p.name} runs as root`).not.toBe('0');
      }
    }

    await query(parsed.urls.postgres, `INSERT INTO universities (university_id, name) VALUES (999, 'Marker University')`);

    const down = runCli(['down'], env);
    expect(down.code).toBe(0);
    for (const p of parsed.processes) expect(alive(p.pid), `${p.name} (pid ${p.pid}) still runs`).toBe(false);
    const stopped = runCli(['status', '--json'], env);
    expect(stopped.code).toBe(1);
    expect(JSON.parse(stopped.stdout)).toEqual({ mode: null, processes: [], urls: null, cache: null, rag: null });

    const second = runCli(['up', '--detach'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/demo data loaded/);
    const rows = await query<{ name: string }>(parsed.urls.postgres, 'SELECT name FROM universities ORDER BY university_id');
    expect(rows.map((r) => r.name)).toEqual(['University of Lisbon', 'Marker University']);

    const again = runCli(['up', '--detach'], env);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toMatch(/already running.*distrag down/);
    expect(runCli(['down'], env).code).toBe(0);
  });

  /** `distrag up` in the foreground, once it says it is running. */
  async function foregroundUp() {
    const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'distrag.js'), 'up'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await expect.poll(() => stderr, { timeout: 120_000, interval: 200 }).toMatch(/press Ctrl-C/);
    return { child, stderr: () => stderr, exited };
  }

  it('runs in the foreground until Ctrl-C, which stops every process it started', async () => {
    const { child, exited } = await foregroundUp();
    const pids = (JSON.parse(runCli(['status', '--json'], env).stdout) as Status).processes.map((p) => p.pid);
    expect(pids.length).toBeGreaterThanOrEqual(8);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('a foreground up ends on its own when `distrag down` stops the stack from another terminal', async () => {
    const { stderr, exited } = await foregroundUp();
    expect(runCli(['down'], env).code).toBe(0);
    expect(await exited).toBe(0);
    expect(stderr()).toMatch(/stopped by `distrag down`/);
    expect(stderr()).not.toMatch(/exited unexpectedly/);
  });

  it('refuses a port already in use with one line, leaving nothing running', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.DISTRAG_REDIS_PORT), '127.0.0.1', resolve));
    try {
      const result = runCli(['up', '--detach'], env);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`port ${env.DISTRAG_REDIS_PORT} \\(Redis\\) is already in use.*DISTRAG_REDIS_PORT`));
      expect(JSON.parse(runCli(['status', '--json'], env).stdout).processes).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('clears a stale pid file and starts', () => {
    const layout = stackLayout(env.DISTRAG_HOME!);
    fs.mkdirSync(path.dirname(layout.processesFile), { recursive: true });
    const stale = { processes: [{ name: 'gateway', pid: 2 ** 22 - 3, port: 1, command: '/usr/bin/node', health: { kind: 'http', url: 'http://127.0.0.1:1/' }, logFile: '/dev/null', stopSignal: 'SIGTERM', stopTimeoutMs: 10 }] };
    fs.writeFileSync(layout.processesFile, JSON.stringify(stale));
    const result = runCli(['up', '--detach'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/stale pid file/);
    expect(runCli(['down'], env).code).toBe(0);
  });

  it('refuses a data directory written by another layout version', () => {
    const layout = stackLayout(env.DISTRAG_HOME!);
    const original = fs.readFileSync(layout.versionFile, 'utf8');
    fs.writeFileSync(layout.versionFile, JSON.stringify({ layout: 99, mode: 'SINGLE' }));
    try {
      const result = runCli(['up', '--detach'], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/another DistRAG version.*DISTRAG_HOME/);
      expect(JSON.parse(runCli(['status', '--json'], env).stdout).processes).toEqual([]);
    } finally {
      fs.writeFileSync(layout.versionFile, original);
    }
  });
});

describe('distrag CLI input', () => {
  it('rejects an unknown flag with a one-line usage error and exit 2', () => {
    const result = runCli(['up', '--bogus'], { DISTRAG_HOME: '/nonexistent-distrag' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--bogus/);
  });

  it('rejects an unknown command', () => {
    const result = runCli(['launch'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command "launch"/);
  });

  it('prints a bare token on stdout that verifies with the stack secret', async () => {
    const secret = 's'.repeat(40);
    const result = runCli(['token', '--role', 'writer', '--tenant', '3'], { DISTRAG_JWT_SECRET: secret });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { identity } = await new TokenVerifier({ ...loadConfig({}).tokens, secret }).verify(result.stdout.trim());
    expect(identity).toEqual({ sub: 'cli-writer', role: 'writer', tenant: '3' });
  });

  it('refuses a reader token without a tenant', () => {
    const result = runCli(['token', '--role', 'reader'], { DISTRAG_JWT_SECRET: 's'.repeat(40) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--tenant is required/);
  });

  it('refuses a bad environment variable with a clear line', () => {
    const result = runCli(['status'], { DISTRAG_PG_PORT: 'seventy' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DISTRAG_PG_PORT/);
  });
});
