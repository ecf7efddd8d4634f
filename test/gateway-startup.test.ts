import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { distDir } from '../src/paths.js';
import { freePorts } from '../src/stack/port-check.js';

describe('gateway start-up', () => {
  it('exits non-zero naming the subgraph it cannot reach', async () => {
    const [port, dead] = await freePorts(2);
    const result = spawnSync(process.execPath, [path.join(distDir, 'gateway', 'main.js')], {
      env: {
        ...process.env,
        DISTRAG_SERVICE_PORT: String(port),
        DISTRAG_SUBGRAPHS: `data=http://127.0.0.1:${dead}/graphql`,
        DISTRAG_REDIS_URL: `redis://127.0.0.1:${dead}`,
        DISTRAG_JWT_SECRET: 'j'.repeat(40),
        DISTRAG_INTERNAL_SECRET: 'i'.repeat(40),
        DISTRAG_GATEWAY_STARTUP_TIMEOUT_MS: '300',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    const fatal = result.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(new RegExp(`subgraph data is unreachable at http://127.0.0.1:${dead}/graphql`));
  });

  it('refuses a malformed subgraph list before starting', () => {
    const result = spawnSync(process.execPath, [path.join(distDir, 'gateway', 'main.js')], {
      env: { ...process.env, DISTRAG_SERVICE_PORT: '1', DISTRAG_REDIS_URL: 'redis://127.0.0.1:1', DISTRAG_SUBGRAPHS: 'data', DISTRAG_JWT_SECRET: 'j'.repeat(40), DISTRAG_INTERNAL_SECRET: 'i'.repeat(40) },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/DISTRAG_SUBGRAPHS entry \\"data\\" must look like name=http/);
  });
});
