#!/usr/bin/env node
// Runs before `npm start` and `npm test` on a fresh machine, with nothing but Node: checks the system
// packages DistRAG runs — the list and the lookups in ./system-requirements.mjs, which the stack uses
// too — and installs the missing ones with apt-get when root on Debian/Ubuntu. A missing required one
// (PostgreSQL, Redis) that cannot be installed prints the exact command and exits 1; a missing
// optional one (NGINX, the citus extension, pip) is a warning: the stack starts without it. Then it
// installs npm dependencies when node_modules is missing, builds, and installs the local embedding
// model (`distrag models install`; a failure is a warning: the semantic cache then reports itself
// disabled and why).
//
// Flags: --check-only   check (and install) the system packages only: no `npm ci`, no build
//        --for-tests    passed by `npm test`; the same checks as `npm start`
// Environment: DISTRAG_PRESTART_INSTALL=0  never run apt-get (print the command instead)
//              DISTRAG_SYSTEM_BIN_PATH, DISTRAG_PG_BIN, DISTRAG_CITUS  as for `distrag up`
//              DISTRAG_EMBEDDER  other than `local`: no pip check and no model install
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { aptInstallCommand, findExecutable, SYSTEM_REQUIREMENTS } from './system-requirements.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => console.error(`distrag prestart: ${line}`);

const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 20) {
  say(`Node ${process.versions.node} is too old; install Node 20 or newer`);
  process.exit(1);
}

let flags;
try {
  flags = parseArgs({ options: { 'check-only': { type: 'boolean' }, 'for-tests': { type: 'boolean' } } }).values;
} catch (error) {
  say(`${error.message}; the flags are --check-only and --for-tests`);
  process.exit(2);
}

const env = process.env;
const isRoot = process.getuid?.() === 0;
const sudo = isRoot ? '' : 'sudo ';
// Without DISTRAG_CITUS=off, the citus extension decides the mode: say when it is missing.
// pip only fetches the local embedding model: a remote embedder (or none) does not need it.
const localEmbedder = (env.DISTRAG_EMBEDDER || 'local') === 'local';
// Chromium drives the console's browser tests: `npm test` installs it, `npm start` has no use for it.
const checked = SYSTEM_REQUIREMENTS.filter((r) => (r.id !== 'citus' || env.DISTRAG_CITUS !== 'off') && (r.id !== 'pip' || localEmbedder) && (!r.testsOnly || flags['for-tests']));

let detections = detectAll();
const installable = missingOf(detections).filter((r) => r.debianPackages.length > 0);
if (installable.length > 0) {
  const apt = aptGet();
  if (typeof apt === 'object') {
    if (apt.blocker !== 'not root') say(`not running apt-get: ${apt.blocker}`);
  } else {
    const packages = installable.flatMap((r) => r.debianPackages);
    say(`installing ${packages.join(', ')} with apt-get`);
    if (!installWithApt(apt, packages)) say(`apt-get failed for ${packages.join(' ')} (see above)`);
    detections = detectAll();
  }
}

const missing = missingOf(detections);
const fatal = missing.filter((r) => r.required);
for (const r of missing.filter((x) => !x.required)) {
  // The citus lookup needs PostgreSQL; when PostgreSQL is missing, that is the line to read.
  if (r.id === 'citus' && fatal.some((x) => x.id === 'postgresql')) continue;
  const how = r.debianPackages.length > 0 ? `install it with: ${sudo}apt-get update && ${sudo}${aptInstallCommand([r])}` : `install it with: ${r.installHint}`;
  say(`warning: ${r.name} is not installed — ${r.without}${r.id === 'citus' && env.DISTRAG_CITUS === 'on' ? ', and DISTRAG_CITUS=on will refuse to start' : ''}; ${how}`);
}
if (flags['check-only']) {
  for (const r of checked) {
    const d = detections.get(r);
    say(d?.ok ? `ok ${r.name}: ${d.found}` : `missing ${r.name}: ${d?.problem}`);
  }
}
if (fatal.length > 0) {
  for (const r of fatal) say(`missing: ${r.name} — ${detections.get(r)?.problem}`);
  const toInstall = missing.filter((r) => r.debianPackages.length > 0);
  say(`install ${fatal.length > 1 ? 'them' : 'it'} with: ${sudo}apt-get update && ${sudo}${aptInstallCommand(toInstall)}`);
  process.exit(1);
}
if (flags['check-only']) process.exit(0);

if (!fs.existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
  say('installing npm dependencies (npm ci)');
  run('npm', ['ci']); // `prepare` builds the project
} else {
  run('npm', ['run', '--silent', 'build']);
}

if (localEmbedder) {
  const install = spawnSync(process.execPath, [path.join(root, 'bin', 'distrag.js'), 'models', 'install'], { cwd: root, stdio: 'inherit' });
  if (install.status !== 0) say('warning: the local embedding model is not installed (see the line above) — the stack starts, and the semantic cache reports itself disabled until `npx distrag models install` succeeds');
}

/** Each checked requirement with what its lookup found. */
function detectAll() {
  return new Map(checked.map((r) => [r, r.detect(env)]));
}

/** The requirements whose lookup found nothing usable. */
function missingOf(found) {
  return checked.filter((r) => !found.get(r)?.ok);
}

/** The apt-get to install with, or why it will not run. */
function aptGet() {
  if (['0', 'false', 'no', 'off'].includes(env.DISTRAG_PRESTART_INSTALL ?? '')) return { blocker: `DISTRAG_PRESTART_INSTALL=${env.DISTRAG_PRESTART_INSTALL}` };
  if (!isRoot) return { blocker: 'not root' };
  return findExecutable('apt-get', env) ?? { blocker: 'apt-get was not found' };
}

/** apt-get update + install; false when either fails. */
function installWithApt(aptGet, packages) {
  // Keep Debian's maintainer scripts from starting system-wide postgres/redis/nginx services:
  // DistRAG runs its own processes on its own ports.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync(aptGet, ['update'], { stdio: 'inherit', env: aptEnv });
    execFileSync(aptGet, ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env: aptEnv });
    return true;
  } catch {
    return false;
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
