#!/usr/bin/env node
// Runs before `npm start` and `npm test` on a fresh machine, with nothing but Node:
// checks the system packages DistRAG runs (PostgreSQL >= 15 with pg_basebackup, Redis >= 7, NGINX),
// installs missing ones with apt-get when root on Debian/Ubuntu (otherwise prints the exact command
// and exits 1), installs npm dependencies when node_modules is missing, and builds.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => console.error(`distrag prestart: ${line}`);

const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 20) {
  say(`Node ${process.versions.node} is too old; install Node 20 or newer`);
  process.exit(1);
}

/** Each system requirement: how to detect it and which Debian packages provide it. */
const requirements = [
  { name: 'PostgreSQL >= 15 server (postgres, initdb, pg_basebackup)', ok: hasPostgres, packages: ['postgresql', 'postgresql-contrib'] },
  { name: 'Redis >= 7 (redis-server)', ok: hasRedis, packages: ['redis-server'] },
  { name: 'NGINX', ok: () => which('nginx') !== null, packages: ['nginx'] },
];

const missing = requirements.filter((r) => !r.ok());
if (missing.length > 0) {
  const packages = missing.flatMap((r) => r.packages);
  const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (process.getuid?.() !== 0 || which('apt-get') === null) {
    say(`missing: ${missing.map((r) => r.name).join('; ')}`);
    say(`install them with: sudo apt-get update && sudo ${command}`);
    process.exit(1);
  }
  say(`installing ${packages.join(', ')} with apt-get`);
  installWithApt(packages);
  const still = requirements.filter((r) => !r.ok());
  if (still.length > 0) {
    say(`still missing after apt-get: ${still.map((r) => r.name).join('; ')}; install them by hand`);
    process.exit(1);
  }
}

// CITUS mode needs the citus extension, which no distribution packages: offer the command that
// installs it (from Citus's own package repository, or by building a source tree).
if (process.env.DISTRAG_CITUS !== 'off' && !hasCitus()) {
  say(`the citus extension is not installed: DistRAG runs single-node (mode SINGLE)${process.env.DISTRAG_CITUS === 'on' ? ', and DISTRAG_CITUS=on will refuse to start' : ''}`);
  say('for CITUS mode: `npx distrag install-citus` (Citus\'s package repository) or `npx distrag install-citus --from-source DIR` (a Citus source tree)');
}

if (!fs.existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
  say('installing npm dependencies (npm ci)');
  run('npm', ['ci']); // `prepare` builds the project
} else {
  run('npm', ['run', '--silent', 'build']);
}

function hasPostgres() {
  const base = '/usr/lib/postgresql';
  const dirs = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => Number(v) >= 15).map((v) => path.join(base, v, 'bin')) : [];
  if (process.env.DISTRAG_PG_BIN) dirs.unshift(process.env.DISTRAG_PG_BIN);
  return dirs.some((dir) => ['postgres', 'initdb', 'pg_basebackup', 'pg_config'].every((t) => fs.existsSync(path.join(dir, t))));
}

function hasCitus() {
  const base = '/usr/lib/postgresql';
  const dirs = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => Number(v) >= 15).sort((a, b) => Number(b) - Number(a)).map((v) => path.join(base, v, 'bin')) : [];
  const binDir = process.env.DISTRAG_PG_BIN ?? dirs[0];
  if (!binDir || !fs.existsSync(path.join(binDir, 'pg_config'))) return false;
  const sharedir = spawnSync(path.join(binDir, 'pg_config'), ['--sharedir'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  return fs.existsSync(path.join(sharedir, 'extension', 'citus.control'));
}

function hasRedis() {
  const bin = which('redis-server');
  if (!bin) return false;
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return Number(/v=(\d+)/.exec(out)?.[1] ?? 0) >= 7;
}

function which(name) {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin']) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

function installWithApt(packages) {
  // Keep Debian's maintainer scripts from starting system-wide postgres/redis/nginx services:
  // DistRAG runs its own processes on its own ports.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  } catch {
    say(`apt-get failed; run it by hand: apt-get update && apt-get install -y ${packages.join(' ')}`);
    process.exit(1);
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    say(`\`${command} ${args.join(' ')}\` failed (exit ${result.status}); fix the error above and retry`);
    process.exit(1);
  }
}
