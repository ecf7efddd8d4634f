import { afterAll, describe, expect, it } from 'vitest';
import { adminQuery, gql, gqlData, gqlErrorCode, withAdmin } from './support/database.js';
import { graphql, tokenFor } from './support/graphql-client.js';

/** Hostile or oversized input gets a clear error (or is stored verbatim) and changes nothing else. */

const BASE = 3_700_000;
afterAll(async () => {
  await adminQuery('DELETE FROM students WHERE university_id = 1 AND student_id >= $1 AND student_id < $2', [BASE, BASE + 100]);
});

const HOSTILE = [`Robert'); DROP TABLE students; --`, `" OR 1=1 --`, `$1 $$ \\x00 \\' E'\\n'`, '😀 ünïcødé \u202e', `%_\\%`];

describe('hostile values', () => {
  it('stores SQL-looking strings verbatim and finds them again by equality', async () => {
    const count = async () => (await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM students'))[0]!.n;
    const before = await count();
    const objects = HOSTILE.map((text, i) => ({ studentId: String(BASE + i), firstName: text, lastName: text, email: `h${i}@x`, enrolledOn: '2025-01-01' }));
    await gqlData('writer', '1', 'mutation ($o: [StudentInsertInput!]!) { insertStudents(objects: $o) { affectedRows } }', { o: objects });
    for (const [i, text] of HOSTILE.entries()) {
      const data = await gqlData<{ students: Array<{ studentId: string; lastName: string }> }>('reader', '1', 'query ($t: String!) { students(where: { lastName: { eq: $t } }) { studentId lastName } }', { t: text });
      expect(data.students).toEqual([{ studentId: String(BASE + i), lastName: text }]);
    }
    // Nothing but the inserted rows changed: no injected statement deleted or added any.
    expect(await count()).toBe(before + HOSTILE.length);
  });

  it('refuses a NUL character with BAD_USER_INPUT, inserting nothing', async () => {
    const body = await gql('writer', '1', 'mutation ($o: [StudentInsertInput!]!) { insertStudents(objects: $o) { affectedRows } }', {
      o: [{ studentId: String(BASE + 50), firstName: 'a\u0000b', lastName: 'x', email: 'nul@x', enrolledOn: '2025-01-01' }],
    });
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(body)).not.toMatch(/0x00|invalid byte sequence|INSERT INTO/);
    expect(await adminQuery('SELECT 1 FROM students WHERE student_id = $1', [BASE + 50])).toEqual([]);
  });

  it('answers aliases such as __proto__ and constructor with the selected values', async () => {
    const data = await gqlData<{ studentsByPk: Record<string, unknown> }>('reader', '1', '{ studentsByPk(universityId: 1, studentId: "100001") { constructor: studentId toString: universityId hasOwnProperty: lastName } }');
    expect(Object.keys(data.studentsByPk)).toEqual(['constructor', 'toString', 'hasOwnProperty']);
    expect(data.studentsByPk.constructor).toBe('100001');
  });

  it('refuses an operationName the document does not define, or none among several, with BAD_USER_INPUT (not INTERNAL)', async () => {
    const token = await tokenFor('reader', '1');
    const unknown = await graphql('query Students { students(limit: 1) { studentId } }', { token, operationName: 'Universities' });
    expect([unknown.status, unknown.body.errors?.[0]?.extensions?.code, unknown.body.errors?.[0]?.message]).toEqual([400, 'BAD_USER_INPUT', 'Unknown operation named "Universities".']);
    const unnamed = await graphql('query A { universities { name } } query B { universities { city } }', { token });
    expect([unnamed.status, unnamed.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_USER_INPUT']);
  });

  it('refuses fields that do not exist, whatever they are called', async () => {
    for (const field of ['password', 'studentId_', '"; DROP TABLE students; --']) {
      expect((await gqlErrorCode('reader', '1', `{ students { ${field} } }`)).code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('oversized input', () => {
  it('refuses an in-list of more than 10 000 values', async () => {
    const values = Array.from({ length: 10_001 }, (_, i) => i);
    const { code, message } = await gqlErrorCode('reader', '1', 'query ($v: [Int!]) { departments(where: { departmentId: { in: $v } }) { name } }', { v: values });
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toMatch(/more than 10000 values/);
  });

  it('refuses an insert of more rows than one mutation takes', async () => {
    const objects = Array.from({ length: 1001 }, (_, i) => ({ studentId: String(BASE + i), firstName: 'a', lastName: 'b', email: `o${i}@x`, enrolledOn: '2025-01-01' }));
    const { code, message } = await gqlErrorCode('writer', '1', 'mutation ($o: [StudentInsertInput!]!) { insertStudents(objects: $o) { affectedRows } }', { o: objects });
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toMatch(/at most 1000 objects/);
  });

  it('refuses a token whose tenant is not a valid tenant-column value', async () => {
    expect((await gqlErrorCode('reader', 'not-a-number', '{ students { studentId } }')).code).toBe('FORBIDDEN');
  });
});

describe('statement timeout', () => {
  it('answers QUERY_TIMEOUT when a statement runs past the timeout, and the row is unchanged', async () => {
    await withAdmin(async (locker) => {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM students WHERE university_id = 1 AND student_id = 100002 FOR UPDATE');
      try {
        const { code, message } = await gqlErrorCode('writer', '1', 'mutation { updateStudents(where: { studentId: { eq: "100002" } }, set: { lastName: "Late" }) { affectedRows } }');
        expect(code).toBe('QUERY_TIMEOUT');
        expect(message).not.toMatch(/canceling statement/);
      } finally {
        await locker.query('ROLLBACK');
      }
    });
    expect(await adminQuery('SELECT last_name FROM students WHERE student_id = 100002')).not.toEqual([{ last_name: 'Late' }]);
  });
});
