import { afterAll, describe, expect, inject, it } from 'vitest';
import { IDENTITY_HEADER, signForwardedIdentity } from '../src/auth/forwarded-identity.js';
import { adminQuery, gqlData, gqlErrorCode, withApiRole } from './support/database.js';
import { graphql } from './support/graphql-client.js';

/**
 * CONTRACT §4: a tenant token never reads, writes or aggregates another tenant's rows, through any
 * entry point — and the database enforces it, not only the resolvers. Tenant 1 attacks tenant 2.
 */

const VICTIM_STUDENT = '200001';
const citus = () => inject('stack').info.mode === 'CITUS';

/**
 * What a client's own SQL does to act for a tenant: a transaction with the literal SET LOCAL. Two
 * queries, not one string: a Citus coordinator forwards a SET's whole query string to the workers.
 */
async function beginAsTenant(client: { query: (text: string) => Promise<unknown> }, tenant: string): Promise<void> {
  await client.query('BEGIN');
  await client.query(`SET LOCAL distrag.tenant = '${tenant}'`);
}
afterAll(async () => {
  await adminQuery('DELETE FROM students WHERE student_id BETWEEN 3800000 AND 3800099');
});

describe('cross-tenant reads through the API return nothing', () => {
  it("another tenant's primary key", async () => {
    expect(await gqlData('reader', '1', `{ studentsByPk(universityId: 2, studentId: "${VICTIM_STUDENT}") { studentId } }`)).toEqual({ studentsByPk: null });
  });

  it('a where on the tenant column', async () => {
    expect(await gqlData('reader', '1', '{ students(where: { universityId: { eq: 2 } }) { studentId } }')).toEqual({ students: [] });
    const either = await gqlData<{ students: Array<{ universityId: number }> }>('reader', '1', '{ students(where: { universityId: { in: [1, 2] } }, limit: 1000) { universityId } }');
    expect(new Set(either.students.map((s) => s.universityId))).toEqual(new Set([1]));
  });

  it('a nested relation from a shared reference row into tenant rows', async () => {
    const data = await gqlData<{ universities: Array<{ universityId: number; departments: unknown[]; studentsAggregate?: unknown }> }>(
      'reader',
      '1',
      '{ universities { universityId departments { name students(limit: 1) { studentId } } } }',
    );
    // universities is a reference table: both rows are visible, but only tenant 1 has departments.
    expect(data.universities.map((u) => u.universityId)).toEqual([1, 2]);
    expect(data.universities.find((u) => u.universityId === 2)!.departments).toEqual([]);
    expect(data.universities.find((u) => u.universityId === 1)!.departments.length).toBe(10);
  });

  it('a relation filter that looks into another tenant', async () => {
    expect(await gqlData('reader', '1', '{ universities(where: { departments: { universityId: { eq: 2 } } }) { universityId } }')).toEqual({ universities: [] });
  });

  it('an aggregate over all rows counts only the caller’s tenant', async () => {
    const data = await gqlData<{ studentsAggregate: { count: number } }>('reader', '1', '{ studentsAggregate { count } }');
    const [own] = await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM students WHERE university_id = 1');
    const [all] = await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM students');
    expect(data.studentsAggregate.count).toBe(own!.n);
    expect(all!.n).toBeGreaterThan(own!.n);
  });

  it("a federation entity lookup (_entities) by another tenant's key", async () => {
    // What the gateway sends the data subgraph when another subgraph refers to Student rows.
    const identity = signForwardedIdentity(inject('stack').internalSecret, { sub: 't', role: 'reader', tenant: '1' }).value;
    const { body } = await graphql(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Student { studentId } } }',
      {
        url: `http://127.0.0.1:${inject('stack').ports.data}/graphql`,
        headers: { [IDENTITY_HEADER]: identity },
        variables: { r: [{ __typename: 'Student', universityId: 2, studentId: VICTIM_STUDENT }, { __typename: 'Student', universityId: 1, studentId: '100001' }] },
      },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ _entities: [null, { studentId: '100001' }] });
  });
});

describe('cross-tenant writes through the API are refused with FORBIDDEN or change nothing', () => {
  it('an insert with another tenant id', async () => {
    const { code } = await gqlErrorCode('writer', '1', 'mutation { insertStudents(objects: [{ universityId: 2, studentId: "3800001", firstName: "M", lastName: "X", email: "m@x", enrolledOn: "2025-01-01" }]) { affectedRows } }');
    expect(code).toBe('FORBIDDEN');
    expect(await adminQuery('SELECT 1 FROM students WHERE student_id = 3800001')).toEqual([]);
  });

  it('an update that moves a row to another tenant', async () => {
    const { code } = await gqlErrorCode('writer', '1', 'mutation { updateStudents(where: { studentId: { eq: "100001" } }, set: { universityId: 2 }) { affectedRows } }');
    expect(code).toBe('FORBIDDEN');
    expect(await adminQuery('SELECT university_id FROM students WHERE student_id = 100001')).toEqual([{ university_id: 1 }]);
  });

  it("an update or delete aimed at another tenant's rows affects none", async () => {
    const update = await gqlData<{ updateStudents: { affectedRows: number } }>('writer', '1', `mutation { updateStudents(where: { studentId: { eq: "${VICTIM_STUDENT}" } }, set: { lastName: "Hacked" }) { affectedRows } }`);
    expect(update.updateStudents.affectedRows).toBe(0);
    const remove = await gqlData<{ deleteEnrollments: { affectedRows: number } }>('writer', '1', 'mutation { deleteEnrollments(where: { universityId: { eq: 2 } }) { affectedRows } }');
    expect(remove.deleteEnrollments.affectedRows).toBe(0);
    expect(await adminQuery<{ last_name: string }>('SELECT last_name FROM students WHERE student_id = $1', [VICTIM_STUDENT])).not.toEqual([{ last_name: 'Hacked' }]);
    expect((await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM enrollments WHERE university_id = 2'))[0]!.n).toBeGreaterThan(0);
  });

  it("citusdata/citus#8693: an update aimed at another tenant by the tenant column answers affectedRows 0 (Citus 13.2.2 fails it while planning)", async () => {
    const update = await gqlData<{ updateStudents: { affectedRows: number; returning: unknown[] } }>(
      'writer',
      '1',
      `mutation { updateStudents(where: { universityId: { eq: 2 }, studentId: { eq: "${VICTIM_STUDENT}" } }, set: { lastName: "Hacked" }) { affectedRows returning { studentId } } }`,
    );
    expect(update).toEqual({ updateStudents: { affectedRows: 0, returning: [] } });
    expect(await adminQuery<{ last_name: string }>('SELECT last_name FROM students WHERE student_id = $1', [VICTIM_STUDENT])).not.toEqual([{ last_name: 'Hacked' }]);
  });

  it('an upsert that would take over another tenant’s row', async () => {
    const { code } = await gqlErrorCode('writer', '1', `mutation { insertStudents(objects: [{ studentId: "100001", firstName: "M", lastName: "X", email: "m2@x", enrolledOn: "2025-01-01" }], onConflict: { constraint: students_pkey, updateColumns: [universityId] }) { affectedRows } }`);
    expect(code).toBe('FORBIDDEN');
  });
});

describe('reference tables', () => {
  it('are readable by every role', async () => {
    for (const [role, tenant] of [['reader', '1'], ['writer', '2'], ['admin', null]] as const) {
      const data = await gqlData<{ universities: unknown[] }>(role, tenant, '{ universities { name } }');
      expect(data.universities).toHaveLength(2);
    }
  });

  it('are writable by admins only', async () => {
    const { code } = await gqlErrorCode('writer', '1', 'mutation { updateUniversities(where: { universityId: { eq: 1 } }, set: { city: "Elsewhere" }) { affectedRows } }');
    expect(code).toBe('FORBIDDEN');
    expect(await adminQuery('SELECT city FROM universities WHERE university_id = 1')).toEqual([{ city: 'Lisbon' }]);
  });
});

describe('the database enforces isolation itself (what LLM-written SQL would meet)', () => {
  it('without the tenant setting a reader sees no tenant rows at all', async () => {
    const rows = await withApiRole('reader', (c) => c.query('SELECT count(*)::int AS n FROM students'));
    expect(rows.rows).toEqual([{ n: 0 }]);
  });

  it('with the setting reused as empty on a pooled connection it still sees none', async () => {
    const n = await withApiRole('reader', async (c) => {
      await beginAsTenant(c, '1');
      await c.query('COMMIT');
      // The session now reads '' for distrag.tenant, not NULL.
      return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM students')).rows[0]!.n;
    });
    expect(n).toBe(0);
  });

  it("a reader's plain SQL sees only the tenant set, whatever its WHERE says", async () => {
    const rows = await withApiRole('reader', async (c) => {
      await beginAsTenant(c, '1');
      const result = await c.query<{ university_id: number }>('SELECT DISTINCT university_id FROM students WHERE university_id IN (1, 2)');
      await c.query('COMMIT');
      return result.rows;
    });
    expect(rows).toEqual([{ university_id: 1 }]);
  });

  it("a writer's plain SQL cannot insert into or move rows to another tenant (WITH CHECK)", async () => {
    await withApiRole('writer', async (c) => {
      await beginAsTenant(c, '1');
      await expect(c.query(`INSERT INTO students (university_id, student_id, first_name, last_name, email, enrolled_on) VALUES (2, 3800002, 'a', 'b', 'c@d', '2025-01-01')`)).rejects.toThrow(/row-level security/);
      await c.query('ROLLBACK');
      await beginAsTenant(c, '1');
      // Under Citus the tenant column is the distribution column, which Citus itself refuses to change.
      await expect(c.query(`UPDATE students SET university_id = 2 WHERE student_id = 100001`)).rejects.toThrow(citus() ? /modifying the partition value/ : /row-level security/);
      await c.query('ROLLBACK');
    });
  });

  it('a reader cannot write, and neither API role can write a reference table or read DistRAG metadata', async () => {
    await withApiRole('reader', async (c) => {
      await beginAsTenant(c, '1');
      await expect(c.query(`DELETE FROM students WHERE student_id = 100001`)).rejects.toThrow(/permission denied/);
      await c.query('ROLLBACK');
    });
    await withApiRole('writer', async (c) => {
      await expect(c.query(`UPDATE universities SET city = 'x'`)).rejects.toThrow(/permission denied/);
      await expect(c.query('SELECT * FROM distrag_meta.schema_migrations')).rejects.toThrow(/permission denied/);
    });
  });

  it('the API roles are neither superusers nor able to bypass row-level security, except the admin role', async () => {
    const rows = await adminQuery<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
      `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname IN ('distrag_reader', 'distrag_writer', 'distrag_operator') ORDER BY rolname`,
    );
    expect(rows).toEqual([
      { rolname: 'distrag_operator', rolsuper: false, rolbypassrls: true },
      { rolname: 'distrag_reader', rolsuper: false, rolbypassrls: false },
      { rolname: 'distrag_writer', rolsuper: false, rolbypassrls: false },
    ]);
  });

  it('every tenant table has row-level security enabled and forced, with the tenant policy', async () => {
    const rows = await adminQuery<{ relname: string; ok: boolean }>(
      `SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'distrag_tenant_isolation') AS ok
       FROM pg_class c WHERE c.relname IN ('departments', 'students', 'courses', 'enrollments') ORDER BY c.relname`,
    );
    expect(rows).toEqual(['courses', 'departments', 'enrollments', 'students'].map((relname) => ({ relname, ok: true })));
  });
});
