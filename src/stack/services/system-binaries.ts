import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Absolute path of an executable on PATH (or the usual sbin dirs), or null. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

/** redis-server ≥ 7, or a one-line explanation of how to install it. */
export function findRedisServer(): string {
  const binary = findExecutable('redis-server');
  if (!binary) throw new Error('redis-server was not found; run `npm start` as root to install it, or `sudo apt-get install redis-server`');
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' });
  const major = Number(/v=(\d+)/.exec(version)?.[1] ?? 0);
  if (major < 7) throw new Error(`redis-server ${major} is too old (7 or newer is needed); install a newer redis-server`);
  return binary;
}
