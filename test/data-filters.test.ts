import { describe, expect, it } from 'vitest';
import { adminQuery, gqlData, gqlErrorCode } from './support/database.js';

/**
 * `where` through the gateway, checked against the same condition in SQL on the seeded data
 * (tenant 1; scale 0.1 seeds universities 1 and 2, students 100001–100500 and 200001–200500).
 */

async function ids(where: string, variables?: unknown): Promise<string[]> {
  const declaration = variables ? '($w: StudentBoolExp)' : '';
  const data = await gqlData<{ students: Array<{ studentId: string }> }>('reader', '1', `query ${declaration} { students(where: ${where}, limit: 1000) { studentId } }`, variables);
  return data.students.map((s) => s.studentId);
}

async function sqlIds(condition: string, values: unknown[] = []): Promise<string[]> {
  const rows = await adminQuery<{ id: string }>(`SELECT student_id::text AS id FROM students WHERE university_id = 1 AND (${condition}) ORDER BY university_id, student_id`, values);
  return rows.map((r) => r.id);
}

describe('where: comparison operators', () => {
  it.each([
    ['eq', '{ lastName: { eq: "Silva" } }', `last_name = 'Silva'`],
    ['neq', '{ lastName: { neq: "Silva" } }', `last_name <> 'Silva'`],
    ['gt', '{ gpa: { gt: "3.5" } }', 'gpa > 3.5'],
    ['gte', '{ gpa: { gte: "3.5" } }', 'gpa >= 3.5'],
    ['lt', '{ enrolledOn: { lt: "2020-01-01" } }', `enrolled_on < '2020-01-01'`],
    ['lte', '{ studentId: { lte: "100010" } }', 'student_id <= 100010'],
    ['in', '{ firstName: { in: ["Ana", "Zoe"] } }', `first_name IN ('Ana', 'Zoe')`],
    ['nin', '{ firstName: { nin: ["Ana", "Zoe"] } }', `first_name NOT IN ('Ana', 'Zoe')`],
    ['like', '{ email: { like: "ana.%" } }', `email LIKE 'ana.%'`],
    ['ilike', '{ lastName: { ilike: "%SIL%" } }', `last_name ILIKE '%SIL%'`],
    ['isNull true', '{ gpa: { isNull: true } }', 'gpa IS NULL'],
    ['isNull false', '{ gpa: { isNull: false } }', 'gpa IS NOT NULL'],
    ['several operators on one column (all hold)', '{ gpa: { gt: "2", lt: "2.5" } }', 'gpa > 2 AND gpa < 2.5'],
  ])('%s', async (_name, where, condition) => {
    const expected = await sqlIds(condition);
    expect(expected.length, 'the seed data exercises this operator').toBeGreaterThan(0);
    expect(await ids(where)).toEqual(expected);
  });

  it('takes the filter from a variable as well as inline', async () => {
    expect(await ids('$w', { w: { lastName: { eq: 'Silva' } } })).toEqual(await sqlIds(`last_name = 'Silva'`));
  });

  it('in with an empty list matches nothing; nin with an empty list matches everything', async () => {
    expect(await ids('{ firstName: { in: [] } }')).toEqual([]);
    expect(await ids('{ firstName: { nin: [] } }')).toEqual(await sqlIds('true'));
  });
});

describe('where: and / or / not', () => {
  it('and: every item holds', async () => {
    expect(await ids('{ and: [{ lastName: { eq: "Silva" } }, { gpa: { gt: "2" } }] }')).toEqual(await sqlIds(`last_name = 'Silva' AND gpa > 2`));
  });

  it('or: some item holds', async () => {
    expect(await ids('{ or: [{ lastName: { eq: "Silva" } }, { firstName: { eq: "Zoe" } }] }')).toEqual(await sqlIds(`last_name = 'Silva' OR first_name = 'Zoe'`));
  });

  it('not negates, nested inside and / or', async () => {
    const where = '{ or: [{ not: { gpa: { gte: "1.5" } } }, { and: [{ lastName: { eq: "Kim" } }, { not: { firstName: { in: ["Ana"] } } }] }] }';
    expect(await ids(where)).toEqual(await sqlIds(`NOT (gpa >= 1.5) OR (last_name = 'Kim' AND NOT first_name IN ('Ana'))`));
  });

  it('several columns in one object must all hold', async () => {
    expect(await ids('{ lastName: { eq: "Silva" }, firstName: { eq: "Ana" } }')).toEqual(await sqlIds(`last_name = 'Silva' AND first_name = 'Ana'`));
  });

  it('an empty and matches everything, an empty or nothing', async () => {
    expect(await ids('{ and: [] }')).toEqual(await sqlIds('true'));
    expect(await ids('{ or: [] }')).toEqual([]);
  });
});

describe('where: through relations', () => {
  it('filters rows by their related row (many-to-one)', async () => {
    expect(await ids('{ department: { name: { eq: "Physics" } } }')).toEqual(
      await sqlIds(`EXISTS (SELECT 1 FROM departments d WHERE d.university_id = students.university_id AND d.department_id = students.department_id AND d.name = 'Physics')`),
    );
  });

  it('filters rows by some related row (one-to-many)', async () => {
    expect(await ids('{ enrollments: { grade: { eq: "F" }, term: { eq: "2024-FA" } } }')).toEqual(
      await sqlIds(`EXISTS (SELECT 1 FROM enrollments e WHERE e.university_id = students.university_id AND e.student_id = students.student_id AND e.grade = 'F' AND e.term = '2024-FA')`),
    );
  });
});

describe('where: refused input', () => {
  it('refuses an explicit null operand instead of matching everything', async () => {
    const { code, message } = await gqlErrorCode('reader', '1', '{ students(where: { studentId: { eq: null } }) { studentId } }');
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toMatch(/isNull/);
  });

  it('refuses an operator the column type does not have', async () => {
    const { code } = await gqlErrorCode('reader', '1', '{ students(where: { gpa: { like: "3%" } }) { studentId } }');
    expect(code).toBe('BAD_USER_INPUT');
  });

  it('refuses a malformed scalar before any SQL runs', async () => {
    expect((await gqlErrorCode('reader', '1', '{ students(where: { gpa: { gt: "3.5; DROP TABLE students" } }) { studentId } }')).code).toBe('BAD_USER_INPUT');
    expect((await gqlErrorCode('reader', '1', '{ students(where: { enrolledOn: { gt: "yesterday" } }) { studentId } }')).code).toBe('BAD_USER_INPUT');
  });

  it('refuses a where nested deeper than the limit', async () => {
    let where = '{ lastName: { eq: "Silva" } }';
    for (let i = 0; i < 20; i++) where = `{ not: ${where} }`;
    const { code, message } = await gqlErrorCode('reader', '1', `{ students(where: ${where}) { studentId } }`);
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toMatch(/nested more than/);
  });
});
