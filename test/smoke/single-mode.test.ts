import fs from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { signUserToken } from '../../src/auth/user-token.js';
import { loadConfig } from '../../src/config/config.js';
import { privateStackEnv } from '../../src/stack/private-stack.js';
import { readSecrets } from '../../src/stack/secrets.js';
import { stackLayout } from '../../src/stack/stack-layout.js';
import { runCli } from '../support/run-cli.js';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * SINGLE mode end to end, as a user gets it with DISTRAG_CITUS=off (or without Citus): `up`, a
 * tenant's query, a subscription event from a plain SQL write, `down` leaving nothing running.
 */
describe('SINGLE mode smoke', () => {
  let env: Record<string, string> | undefined;
  afterAll(() => {
    if (!env) return;
    runCli(['down'], env);
    fs.rmSync(env.DISTRAG_HOME!, { recursive: true, force: true });
  });

  it('comes up, answers a tenant, delivers a data event, and goes down', async () => {
    env = await privateStackEnv('distrag-smoke', { DISTRAG_CITUS: 'off', DISTRAG_SEED_SCALE: '0.1' });
    const up = runCli(['up', '--detach'], env);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/DistRAG is up \(mode SINGLE\)/);
    const status = JSON.parse(runCli(['status', '--json'], env).stdout) as { mode: string; urls: { graphql: string; postgres: string } };
    expect(status.mode).toBe('SINGLE');

    const config = loadConfig({ ...process.env, ...env });
    const { jwtSecret } = readSecrets(stackLayout(config.home).secretsFile, config);
    const token = await signUserToken(jwtSecret, { sub: 'smoke', role: 'reader', tenant: '2' });
    const response = await fetch(status.urls.graphql, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ students(limit: 1000) { universityId } universities { name } }' }),
    });
    const body = (await response.json()) as { data: { students: Array<{ universityId: number }>; universities: unknown[] } };
    expect(body.data.students.length).toBeGreaterThan(0);
    expect(new Set(body.data.students.map((s) => s.universityId))).toEqual(new Set([2]));
    expect(body.data.universities).toHaveLength(2);

    const events: Array<{ table: string; tenant: string | null }> = [];
    const client = createClient({ url: status.urls.graphql.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    client.subscribe<{ dataChanged: { table: string; tenant: string | null } }>(
      { query: 'subscription { dataChanged(tables: ["students"]) { table tenant } }' },
      { next: (value) => value.data && events.push(value.data.dataChanged), error: () => undefined, complete: () => undefined },
    );
    try {
      // Subscribed once the socket acknowledged: writes until the event arrives.
      const db = new pg.Client({ connectionString: status.urls.postgres });
      await db.connect();
      try {
        await expect
          .poll(async () => {
            await db.query(`UPDATE students SET gpa = gpa WHERE university_id = 2 AND student_id = 200001`);
            return events.some((e) => e.table === 'public.students' && e.tenant === '2');
          }, { timeout: 20_000, interval: 500 })
          .toBe(true);
      } finally {
        await db.end();
      }
    } finally {
      await client.dispose();
    }

    expect(runCli(['down'], env).code).toBe(0);
    expect(JSON.parse(runCli(['status', '--json'], env).stdout).processes).toEqual([]);
  });
});
