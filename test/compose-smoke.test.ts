import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { signUserToken } from '../src/auth/user-token.js';
import { passwordVariable } from '../src/cli/commands/db-credentials.js';
import { ALL_SERVICE_DB_ROLES, rolePassword } from '../src/db/api-roles.js';

/**
 * compose.yaml for real, where a Docker engine runs and the images it pulls are already there (no
 * registry is reachable from the test machines): build, `up --wait`, one query through NGINX,
 * `down -v`. Elsewhere the test is skipped and its title says why.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compose = parseDocument(fs.readFileSync(path.join(root, 'compose.yaml'), 'utf8'), { merge: true }).toJS({ maxAliasCount: -1 }) as { services: Record<string, { image?: string; build?: unknown }> };
const pulledImages = [...new Set(Object.values(compose.services).filter((s) => s.build === undefined && s.image).map((s) => s.image!))];

function whyNot(): string | null {
  const engine = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' });
  if (engine.error) return 'no docker CLI';
  if (engine.status !== 0) return `no Docker engine (${engine.stderr.trim().split('\n')[0]})`;
  if (spawnSync('docker', ['compose', 'version']).status !== 0) return 'no docker compose plugin';
  const missing = pulledImages.filter((image) => spawnSync('docker', ['image', 'inspect', image]).status !== 0);
  return missing.length > 0 ? `images not available locally: ${missing.join(', ')}` : null;
}
const reason = whyNot();

describe('compose.yaml on a Docker engine', () => {
  it.skipIf(reason !== null)(`comes up, answers a query through NGINX, and goes down${reason ? ` (skipped: ${reason})` : ''}`, async () => {
    const secrets: Record<string, string> = {
      DISTRAG_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
      DISTRAG_INTERNAL_SECRET: crypto.randomBytes(32).toString('hex'),
      DISTRAG_PG_PASSWORD: crypto.randomBytes(24).toString('hex'),
      DISTRAG_PGADMIN_PASSWORD: crypto.randomBytes(12).toString('hex'),
    };
    for (const role of ALL_SERVICE_DB_ROLES) secrets[passwordVariable(role)] = rolePassword(secrets.DISTRAG_PG_PASSWORD!, role);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-compose-'));
    const envFile = path.join(dir, '.env');
    const nginxPort = 20_000 + Math.floor(Math.random() * 10_000);
    fs.writeFileSync(envFile, Object.entries({ ...secrets, DISTRAG_NGINX_PORT: String(nginxPort), DISTRAG_PG_PORT: String(nginxPort + 1), DISTRAG_PGADMIN_PORT: String(nginxPort + 2) }).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
    const project = `distrag-smoke-${process.pid}`;
    const dockerCompose = (...args: string[]) => spawnSync('docker', ['compose', '-p', project, '-f', path.join(root, 'compose.yaml'), '--env-file', envFile, ...args], { cwd: root, encoding: 'utf8', timeout: 20 * 60_000 });
    try {
      const up = dockerCompose('up', '-d', '--build', '--wait', '--wait-timeout', '900');
      expect(up.status, up.stderr.slice(-2000)).toBe(0);
      const token = await signUserToken(secrets.DISTRAG_JWT_SECRET!, { sub: 'smoke', role: 'admin' });
      const response = await fetch(`http://127.0.0.1:${nginxPort}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ universities { universityId name } }' }),
      });
      const body = (await response.json()) as { data?: { universities: unknown[] }; errors?: unknown[] };
      expect(body.errors).toBeUndefined();
      expect(body.data!.universities.length).toBeGreaterThan(0);
    } finally {
      dockerCompose('down', '-v', '--remove-orphans');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 25 * 60_000);
});
