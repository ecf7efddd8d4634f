import { describe, expect, it } from 'vitest';
import { adminQuery, countApiStatements, gqlData, gqlErrorCode } from './support/database.js';

describe('relations from foreign keys', () => {
  it('nests one-to-many three levels deep, each list ordered by primary key', async () => {
    const data = await gqlData<{ universitiesByPk: { departments: Array<{ departmentId: number; students: Array<{ studentId: string }> }> } }>(
      'reader',
      '1',
      '{ universitiesByPk(universityId: 1) { name departments(limit: 3) { departmentId students(limit: 2) { studentId } } } }',
    );
    const departments = data.universitiesByPk.departments;
    expect(departments.map((d) => d.departmentId)).toEqual([1, 2, 3]);
    for (const department of departments) {
      const rows = await adminQuery<{ id: string }>('SELECT student_id::text AS id FROM students WHERE university_id = 1 AND department_id = $1 ORDER BY student_id LIMIT 2', [department.departmentId]);
      expect(department.students.map((s) => s.studentId)).toEqual(rows.map((r) => r.id));
    }
  });

  it('follows many-to-one relations up (enrollment → student → department → university)', async () => {
    const data = await gqlData<{ enrollments: Array<{ studentId: string; student: { studentId: string; department: { departmentId: number; university: { universityId: number } } | null } }> }>(
      'reader',
      '1',
      '{ enrollments(limit: 5) { studentId student { studentId department { departmentId university { universityId } } } } }',
    );
    expect(data.enrollments).toHaveLength(5);
    for (const e of data.enrollments) {
      expect(e.student.studentId).toBe(e.studentId);
      expect(e.student.department?.university.universityId).toBe(1);
    }
  });

  it('aggregates a nested list (studentsAggregate on a department)', async () => {
    const data = await gqlData<{ departments: Array<{ departmentId: number; studentsAggregate: { count: number } }> }>('reader', '1', '{ departments { departmentId studentsAggregate { count } } }');
    const rows = await adminQuery<{ id: number; n: number }>('SELECT department_id AS id, count(*)::int AS n FROM students WHERE university_id = 1 GROUP BY department_id');
    const departments = await adminQuery<{ id: number }>('SELECT department_id AS id FROM departments WHERE university_id = 1 ORDER BY department_id');
    expect(departments.length, 'university 1 has departments').toBeGreaterThan(0);
    expect(rows.length, 'university 1 has students').toBeGreaterThan(0);
    const expected = new Map(rows.map((r) => [r.id, r.n]));
    // Every department of the tenant, with its count (0 for one without students).
    expect(new Map(data.departments.map((d) => [d.departmentId, d.studentsAggregate.count]))).toEqual(new Map(departments.map((d) => [d.id, expected.get(d.id) ?? 0])));
  });

  it('filters, orders and pages a nested list with its own arguments, under aliases', async () => {
    const data = await gqlData<{ departmentsByPk: { top: Array<{ gpa: string }>; silvas: Array<{ lastName: string }> } }>(
      'reader',
      '1',
      '{ departmentsByPk(universityId: 1, departmentId: 2) { top: students(orderBy: [{ gpa: DESC_NULLS_LAST }], limit: 3) { gpa } silvas: students(where: { lastName: { eq: "Silva" } }) { lastName } } }',
    );
    const top = await adminQuery<{ gpa: string }>('SELECT gpa::text AS gpa FROM students WHERE university_id = 1 AND department_id = 2 ORDER BY gpa DESC NULLS LAST, student_id LIMIT 3');
    expect(data.departmentsByPk.top).toEqual(top);
    const silvas = await adminQuery<{ lastName: string }>(`SELECT last_name AS "lastName" FROM students WHERE university_id = 1 AND department_id = 2 AND last_name = 'Silva'`);
    expect(silvas.length, 'department 2 has students called Silva').toBeGreaterThan(0);
    expect(data.departmentsByPk.silvas).toEqual(silvas);
  });

  it('returns null from byPk for a key that does not exist', async () => {
    expect(await gqlData('reader', '1', '{ studentsByPk(universityId: 1, studentId: "999999999") { studentId } }')).toEqual({ studentsByPk: null });
  });
});

describe('one SQL statement per operation (no N+1)', () => {
  it('sends one statement for a nested query over hundreds of rows', async () => {
    const { result, statements } = await countApiStatements(() =>
      gqlData<{ departments: Array<{ students: Array<{ enrollments: unknown[] }> }> }>(
        'reader',
        '1',
        '{ departments { name students(limit: 50) { studentId department { name } enrollments { courseId course { title } } } } }',
      ),
    );
    const enrollments = result.departments.flatMap((d) => d.students).flatMap((s) => s.enrollments);
    expect(enrollments.length).toBeGreaterThan(100);
    expect(statements).toBe(1);
  });

  it('sends one statement for several root fields, fragments and aggregates together', async () => {
    const { statements } = await countApiStatements(() =>
      gqlData('reader', '2', `
        fragment S on Student { studentId lastName }
        { a: students(limit: 3) { ...S } b: students(limit: 3, offset: 3) { ...S department { name } }
          studentsAggregate { count } universities { name } coursesByPk(universityId: 2, courseId: 1) { title } }`),
    );
    expect(statements).toBe(1);
  });

  it('sends one statement for a mutation with nested returning', async () => {
    const { result, statements } = await countApiStatements(() =>
      gqlData<{ updateDepartments: { affectedRows: number } }>('writer', '2', 'mutation { updateDepartments(where: { departmentId: { eq: 3 } }, set: { building: "Building C" }) { affectedRows returning { name students(limit: 5) { studentId } university { name } } } }'),
    );
    expect(result.updateDepartments.affectedRows).toBe(1);
    expect(statements).toBe(1);
  });
});

describe('cost limit', () => {
  it('refuses an operation whose nested lists could return too many rows, before running it', async () => {
    const { result, statements } = await countApiStatements(() =>
      // ≈ 1000 students × 5 enrollments × 50 enrollments of each course: a quarter million rows.
      gqlErrorCode('reader', '1', '{ students(limit: 1000) { enrollments(limit: 1000) { course { enrollments(limit: 1000) { grade } } } } }'),
    );
    expect(result.code).toBe('BAD_USER_INPUT');
    expect(result.message).toMatch(/over the limit of/);
    expect(statements).toBe(0);
  });
});
