import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFromRepository, planFromSource, renderPlan, type SystemFacts } from '../src/citus-install/install-plan.js';
import { readCitusSource } from '../src/citus-install/system-facts.js';
import { projectRoot } from '../src/paths.js';
import { resolveServiceUser } from '../src/stack/service-user.js';
import { runCli } from './support/run-cli.js';

/**
 * `distrag install-citus`: Citus from its own package repository for the installed PostgreSQL
 * major, or built from a source tree against the installed server's exact headers. (The build
 * itself takes minutes; it is exercised by hand, see the README. These tests hold the plan.)
 */

const facts: SystemFacts = {
  os: { id: 'debian', codename: 'bookworm' },
  postgres: { major: 15, pgConfig: '/usr/lib/postgresql/15/bin/pg_config', sharedir: '/usr/share/postgresql/15', includedirServer: '/usr/include/postgresql/15/server', debianPackageVersion: '15.20-0+deb12u1' },
  cpus: 2,
};

/** A directory laid out like a Citus release tree (configure, the control file, the compat header). */
function fakeSourceTree(version: string, withCompat: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-citus-src-'));
  fs.mkdirSync(path.join(dir, 'src', 'backend', 'distributed'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'src', 'include'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'configure'), `#!/bin/sh\nPACKAGE_VERSION='${version}'\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'src', 'backend', 'distributed', 'citus.control'), "default_version = '13.2-1'\n");
  if (withCompat) fs.writeFileSync(path.join(dir, 'src', 'include', 'pg_version_compat.h'), 'static inline bool\nhave_createdb_privilege(void)\n{ return true; }\n');
  return dir;
}

describe('install-citus plans', () => {
  it("adds Citus's own repository for this OS release and installs the package for the PostgreSQL major", () => {
    const lines = renderPlan(planFromRepository(facts, '13.2'), false);
    expect(lines).toEqual([
      'sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates',
      'curl -fsSL https://repos.citusdata.com/community/gpgkey | sudo install -D -m 0644 /dev/stdin /etc/apt/keyrings/citusdata-community.asc',
      "echo 'deb [signed-by=/etc/apt/keyrings/citusdata-community.asc] https://repos.citusdata.com/community/debian/ bookworm main' | sudo tee /etc/apt/sources.list.d/citusdata-community.list",
      'sudo DEBIAN_FRONTEND=noninteractive apt-get update',
      'sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15-citus-13.2',
    ]);
    expect(() => planFromRepository({ ...facts, os: { id: 'fedora', codename: '' } }, '13.2')).toThrow(/serves Debian and Ubuntu; this is fedora: build from source/);
  });

  it('builds a source tree in a copy, with the server headers pinned to the exact installed version', () => {
    const dir = fakeSourceTree('13.2.2', true);
    try {
      const source = readCitusSource(dir);
      expect(source).toEqual({ dir, version: '13.2.2', definesCreatedbPrivilege: true });
      const plan = planFromSource(facts, source, '/tmp/build', true);
      const lines = renderPlan(plan, true);
      expect(lines[1]).toMatch(/^DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-server-dev-15=15\.20-0\+deb12u1 gcc make libkrb5-dev libcurl4-openssl-dev liblz4-dev libzstd-dev/);
      expect(lines.slice(2)).toEqual([
        `rm -rf /tmp/build && cp -a ${dir} /tmp/build`,
        "sed -i 's/\\bhave_createdb_privilege\\b/citus_have_createdb_privilege/g' /tmp/build/src/include/pg_version_compat.h /tmp/build/src/backend/distributed/commands/serialize_distributed_ddls.c",
        '(cd /tmp/build && ./configure PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config)',
        '(cd /tmp/build && make -j2)',
        '(cd /tmp/build && make install)',
      ]);
      // Headers without the declaration (15.18), or PostgreSQL 16 (Citus uses the server's): no rename.
      for (const other of [planFromSource(facts, source, '/tmp/build', false), planFromSource({ ...facts, postgres: { ...facts.postgres, major: 16 } }, source, '/tmp/build', true)]) {
        const kinds = other.steps.map((s) => s.kind);
        expect(kinds.length).toBe(plan.steps.length - 1);
        expect(kinds).not.toContain('rename-symbol');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('distrag install-citus', () => {
  it('prints the plan for this machine with --dry-run: the installed PostgreSQL major and its exact package version', () => {
    const result = runCli(['install-citus', '--dry-run'], {});
    expect(result.code, result.stderr).toBe(0);
    const major = /PostgreSQL (\d+)/.exec(result.stderr)?.[1];
    expect(result.stdout).toMatch(new RegExp(`apt-get install -y --no-install-recommends postgresql-${major}-citus-13\\.2\\n`));
    const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', `postgresql-${major}`], { encoding: 'utf8' });
    const fromSource = runCli(['install-citus', '--dry-run', '--from-source', fakeSourceTree('13.2.2', false)], {});
    expect(fromSource.code, fromSource.stderr).toBe(0);
    expect(fromSource.stdout).toContain(`postgresql-server-dev-${major}=${version}`);
  });

  it('without root, prints the commands to run (with sudo) and exits 1', () => {
    // As root, the test becomes the unprivileged service user for this one command.
    const runAs = resolveServiceUser('distrag');
    const result = spawnSync(process.execPath, [path.join(projectRoot, 'bin', 'distrag.js'), 'install-citus'], {
      env: { ...process.env, DISTRAG_HOME: os.tmpdir() },
      cwd: os.tmpdir(),
      encoding: 'utf8',
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/needs root; run these commands/);
    expect(result.stdout).toMatch(/^sudo DEBIAN_FRONTEND=noninteractive apt-get update$/m);
    expect(result.stdout).toMatch(/^sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-\d+-citus-13\.2$/m);
  });

  it('refuses a directory that is not a Citus source tree, and a malformed version, with one line', () => {
    const notSource = runCli(['install-citus', '--from-source', os.tmpdir()], {});
    expect(notSource.code).toBe(1);
    expect(notSource.stderr.trim().split('\n')).toHaveLength(1);
    expect(notSource.stderr).toMatch(/is not a Citus source tree .*unpack a Citus release there/);
    const badVersion = runCli(['install-citus', '--version', 'latest'], {});
    expect(badVersion.code).toBe(2);
    expect(badVersion.stderr).toMatch(/--version is a Citus release series such as 13\.2/);
  });
});
