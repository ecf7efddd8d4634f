import { describe, expect, it } from 'vitest';
import { adminQuery, gqlData, gqlErrorCode } from './support/database.js';

interface Row {
  studentId: string;
  gpa: string | null;
}

async function students(args: string): Promise<Row[]> {
  return (await gqlData<{ students: Row[] }>('reader', '1', `{ students${args ? `(${args})` : ''} { studentId gpa } }`)).students;
}

async function sqlStudents(orderAndPage: string): Promise<Row[]> {
  const rows = await adminQuery<{ id: string; gpa: string | null }>(`SELECT student_id::text AS id, gpa::text AS gpa FROM students WHERE university_id = 1 ${orderAndPage}`);
  return rows.map((r) => ({ studentId: r.id, gpa: r.gpa }));
}

describe('orderBy', () => {
  it.each([
    ['ASC (nulls last)', 'gpa: ASC', 'gpa ASC'],
    ['DESC (nulls first)', 'gpa: DESC', 'gpa DESC'],
    ['ASC_NULLS_FIRST', 'gpa: ASC_NULLS_FIRST', 'gpa ASC NULLS FIRST'],
    ['DESC_NULLS_LAST', 'gpa: DESC_NULLS_LAST', 'gpa DESC NULLS LAST'],
  ])('%s, with the primary key as tie-breaker', async (_name, order, sqlOrder) => {
    const expected = await sqlStudents(`ORDER BY ${sqlOrder}, university_id, student_id LIMIT 1000`);
    expect(expected.some((r) => r.gpa === null), 'the seed data has null gpa values').toBe(true);
    expect(await students(`orderBy: [{ ${order} }], limit: 1000`)).toEqual(expected);
  });

  it('applies list entries in order', async () => {
    const data = await gqlData<{ students: Array<{ studentId: string }> }>('reader', '1', '{ students(orderBy: [{ lastName: DESC }, { firstName: ASC }], limit: 50) { studentId } }');
    const rows = await adminQuery<{ id: string }>('SELECT student_id::text AS id FROM students WHERE university_id = 1 ORDER BY last_name DESC, first_name ASC, university_id, student_id LIMIT 50');
    expect(data.students.map((s) => s.studentId)).toEqual(rows.map((r) => r.id));
  });

  it('orders by a column of a related row', async () => {
    const data = await gqlData<{ students: Array<{ studentId: string }> }>('reader', '1', '{ students(orderBy: [{ department: { name: DESC } }], limit: 100) { studentId } }');
    const rows = await adminQuery<{ id: string }>(
      `SELECT s.student_id::text AS id FROM students s LEFT JOIN departments d ON d.university_id = s.university_id AND d.department_id = s.department_id
       WHERE s.university_id = 1 ORDER BY d.name DESC, s.university_id, s.student_id LIMIT 100`,
    );
    expect(data.students.map((s) => s.studentId)).toEqual(rows.map((r) => r.id));
  });

  it('refuses a sort direction that is not one of OrderDirection', async () => {
    expect((await gqlErrorCode('reader', '1', '{ students(orderBy: [{ gpa: "ASC; DROP TABLE students" }]) { studentId } }')).code).toBe('BAD_USER_INPUT');
    expect((await gqlErrorCode('reader', '1', '{ students(orderBy: [{ nosuchcolumn: ASC }]) { studentId } }')).code).toBe('BAD_USER_INPUT');
  });
});

describe('limit and offset', () => {
  it('pages through every row exactly once', async () => {
    const seen: string[] = [];
    for (let offset = 0; ; offset += 70) {
      const page = await students(`orderBy: [{ gpa: DESC }], limit: 70, offset: ${offset}`);
      seen.push(...page.map((r) => r.studentId));
      if (page.length < 70) break;
    }
    const all = await adminQuery<{ id: string }>('SELECT student_id::text AS id FROM students WHERE university_id = 1');
    expect(seen.length).toBe(all.length);
    expect(new Set(seen).size).toBe(all.length);
  });

  it('defaults to 100 rows', async () => {
    expect(await students('')).toHaveLength(100);
  });

  it('refuses a limit above the cap and a negative offset', async () => {
    const over = await gqlErrorCode('reader', '1', '{ students(limit: 1001) { studentId } }');
    expect(over.code).toBe('BAD_USER_INPUT');
    expect(over.message).toMatch(/limit must be between 0 and 1000/);
    expect((await gqlErrorCode('reader', '1', '{ students(offset: -1) { studentId } }')).code).toBe('BAD_USER_INPUT');
  });

  it('limit 0 returns no rows', async () => {
    expect(await students('limit: 0')).toEqual([]);
  });
});
