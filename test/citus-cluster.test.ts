import { describe, expect, inject, it } from 'vitest';
import { findPostgresBinaries } from '../src/stack/postgres-binaries.js';
import { graphql, tokenFor } from './support/graphql-client.js';

const citus = findPostgresBinaries(process.env.DISTRAG_PG_BIN).citusAvailable;
if (!citus) console.log('skipped: citus not installed');

describe.skipIf(!citus)('Citus cluster (skipped: citus not installed)', () => {
  it('runs in CITUS mode with the coordinator and every worker up', async () => {
    const { body } = await graphql('{ cluster { mode nodes { name role status } } }', { token: await tokenFor('admin') });
    const cluster = body.data?.cluster as { mode: string; nodes: Array<{ role: string; status: string }> };
    expect(cluster.mode).toBe('CITUS');
    expect(cluster.nodes.filter((n) => n.role === 'WORKER').length).toBeGreaterThanOrEqual(1);
    expect(cluster.nodes.every((n) => n.status === 'UP')).toBe(true);
  });

  it('distributes the tenant tables by university_id, co-located, with universities as a reference table', async () => {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: inject('stack').info.urls.postgres });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; kind: string; colocationid: number }>(
        `SELECT logicalrelid::regclass::text AS name, partmethod AS kind, colocationid FROM pg_dist_partition ORDER BY 1`,
      );
      const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
      expect(byName.universities?.kind).toBe('n');
      const groups = new Set(['departments', 'students', 'courses', 'enrollments'].map((t) => byName[t]?.colocationid));
      expect(groups.size).toBe(1);
    } finally {
      await client.end();
    }
  });
});
