import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

/**
 * When started as root, servers run as an unprivileged system user (PostgreSQL refuses root);
 * the user is created on first use. Otherwise everything runs as the current user.
 */
export function resolveServiceUser(name: string): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  let entry = lookupUser(name);
  if (!entry) {
    try {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`cannot create the service user ${name} (useradd failed); create it yourself or set DISTRAG_SERVICE_USER`, { cause: error });
    }
    entry = lookupUser(name);
    if (!entry) throw new Error(`service user ${name} was created but cannot be found in /etc/passwd`);
  }
  return entry;
}

function lookupUser(name: string): RunAs | null {
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) return null;
  const [, , uid, gid] = line.split(':');
  return { user: name, uid: Number(uid), gid: Number(gid) };
}

/** Gives the service user a directory tree (recursively). */
export function chownTree(dir: string, runAs: RunAs | null): void {
  if (!runAs) return;
  fs.chownSync(dir, runAs.uid, runAs.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, runAs);
    else fs.lchownSync(full, runAs.uid, runAs.gid);
  }
}

/** True when every ancestor of `target` lets other users through (o+x), so the service user can reach it. */
export function reachableByOthers(target: string): boolean {
  let dir = path.resolve(target);
  for (;;) {
    const parent = path.dirname(dir);
    if (parent === dir) return true;
    dir = parent;
    if ((fs.statSync(dir).mode & 0o001) === 0) return false;
  }
}
