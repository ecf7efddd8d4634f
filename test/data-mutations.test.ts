import { afterAll, describe, expect, it } from 'vitest';
import { adminQuery, gql, gqlData, gqlErrorCode } from './support/database.js';

/** Rows this file writes live in tenant 2 with student ids from 2 900 000, removed afterwards. */
const BASE = 2_900_000;
afterAll(async () => {
  await adminQuery('DELETE FROM enrollments WHERE university_id = 2 AND student_id >= $1', [BASE]);
  await adminQuery('DELETE FROM students WHERE university_id = 2 AND student_id >= $1', [BASE]);
});

const student = (n: number, extra = '') =>
  `{ studentId: "${BASE + n}", departmentId: 1, firstName: "Test", lastName: "Student${n}", email: "t${n}@u2.example.edu", enrolledOn: "2025-01-15"${extra} }`;

async function exists(n: number): Promise<boolean> {
  return (await adminQuery('SELECT 1 FROM students WHERE university_id = 2 AND student_id = $1', [BASE + n])).length === 1;
}

describe('insert', () => {
  it('inserts rows, fills the tenant column from the token, and returns them with nested relations', async () => {
    const data = await gqlData<{ insertStudents: { affectedRows: number; returning: Array<{ universityId: number; studentId: string; gpa: string | null; department: { name: string } }> } }>(
      'writer',
      '2',
      `mutation { insertStudents(objects: [${student(1, ', gpa: "3.25"')}, ${student(2)}]) { affectedRows returning { universityId studentId gpa department { name } } } }`,
    );
    expect(data.insertStudents.affectedRows).toBe(2);
    expect(data.insertStudents.returning).toEqual([
      { universityId: 2, studentId: String(BASE + 1), gpa: '3.25', department: { name: 'Computer Science' } },
      { universityId: 2, studentId: String(BASE + 2), gpa: null, department: { name: 'Computer Science' } },
    ]);
    expect(await exists(1)).toBe(true);
  });

  it('is atomic: one failing row aborts every row of the mutation', async () => {
    const { code, message } = await gqlErrorCode('writer', '2', `mutation { insertStudents(objects: [${student(3)}, ${student(4, ', gpa: "7.5"')}]) { affectedRows } }`);
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toMatch(/check constraint students_gpa_check/);
    expect(await exists(3)).toBe(false);
  });

  it('maps a unique violation to BAD_USER_INPUT naming the constraint', async () => {
    const body = await gqlErrorCode('writer', '2', `mutation { insertStudents(objects: [${student(1)}]) { affectedRows } }`);
    expect(body.code).toBe('BAD_USER_INPUT');
    expect(body.message).toMatch(/unique constraint students_pkey/);
    expect(body.message).not.toMatch(/duplicate key value|DETAIL|INSERT/);
  });

  it('names the constraint and column in extensions as PostgreSQL does (the same under Citus, whose workers send shard names)', async () => {
    const unique = await gql('writer', '2', `mutation { insertStudents(objects: [${student(1)}]) { affectedRows } }`);
    expect(unique.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', constraint: 'students_pkey', sqlState: '23505' });
    const fk = await gql('writer', '2', `mutation { insertStudents(objects: [${student(5).replace('departmentId: 1', 'departmentId: 999')}]) { affectedRows } }`);
    expect(fk.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', constraint: 'students_department_fk', sqlState: '23503' });
    const check = await gql('writer', '2', `mutation { insertStudents(objects: [${student(4, ', gpa: "7.5"')}]) { affectedRows } }`);
    expect(check.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', constraint: 'students_gpa_check', sqlState: '23514' });
    const notNull = await gql('writer', '2', `mutation { insertStudents(objects: [{ studentId: "${BASE + 6}", firstName: "X", email: "x6@x", enrolledOn: "2025-01-01" }]) { affectedRows } }`);
    expect(notNull.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', column: 'last_name', sqlState: '23502' });
    const referred = await gql('admin', null, `mutation { deleteStudents(where: { universityId: { eq: 1 }, studentId: { eq: "100001" } }) { affectedRows } }`);
    expect(referred.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', constraint: 'enrollments_student_fk', sqlState: '23503' });
  });

  it('maps foreign-key and not-null violations to BAD_USER_INPUT', async () => {
    const fk = await gqlErrorCode('writer', '2', `mutation { insertStudents(objects: [${student(5).replace('departmentId: 1', 'departmentId: 999')}]) { affectedRows } }`);
    expect(fk.code).toBe('BAD_USER_INPUT');
    expect(fk.message).toMatch(/foreign key students_department_fk/);
    const notNull = await gqlErrorCode('writer', '2', `mutation { insertStudents(objects: [{ studentId: "${BASE + 6}", firstName: "X", email: "x6@x", enrolledOn: "2025-01-01" }]) { affectedRows } }`);
    expect(notNull.code).toBe('BAD_USER_INPUT');
    expect(notNull.message).toMatch(/last_name must not be null/);
  });

  it('upserts: DO NOTHING without updateColumns, DO UPDATE with them, honouring onConflict.where', async () => {
    const nothing = await gqlData<{ insertStudents: { affectedRows: number } }>(
      'writer', '2', `mutation { insertStudents(objects: [${student(1).replace('Test', 'Changed')}], onConflict: { constraint: students_pkey }) { affectedRows } }`,
    );
    expect(nothing.insertStudents.affectedRows).toBe(0);
    const update = await gqlData<{ insertStudents: { affectedRows: number; returning: Array<{ firstName: string }> } }>(
      'writer', '2', `mutation { insertStudents(objects: [${student(1).replace('Test', 'Changed')}], onConflict: { constraint: students_pkey, updateColumns: [firstName] }) { affectedRows returning { firstName } } }`,
    );
    expect(update.insertStudents).toEqual({ affectedRows: 1, returning: [{ firstName: 'Changed' }] });
    const guarded = await gqlData<{ insertStudents: { affectedRows: number } }>(
      'writer', '2', `mutation { insertStudents(objects: [${student(1).replace('Test', 'Again')}], onConflict: { constraint: students_pkey, updateColumns: [firstName], where: { firstName: { eq: "Test" } } }) { affectedRows } }`,
    );
    expect(guarded.insertStudents.affectedRows).toBe(0);
    expect((await adminQuery<{ first_name: string }>('SELECT first_name FROM students WHERE university_id = 2 AND student_id = $1', [BASE + 1]))[0]!.first_name).toBe('Changed');
  });

  it('upserts on a unique constraint other than the primary key', async () => {
    const data = await gqlData<{ insertStudents: { affectedRows: number; returning: Array<{ studentId: string; lastName: string }> } }>(
      'writer', '2', `mutation { insertStudents(objects: [${student(9).replace('t9@', 't1@')}], onConflict: { constraint: students_university_id_email_key, updateColumns: [lastName] }) { affectedRows returning { studentId lastName } } }`,
    );
    expect(data.insertStudents).toEqual({ affectedRows: 1, returning: [{ studentId: String(BASE + 1), lastName: 'Student9' }] });
  });
});

describe('update and delete', () => {
  it('updates the matching rows and returns them after the change', async () => {
    const data = await gqlData<{ updateStudents: { affectedRows: number; returning: Array<{ gpa: string }> } }>(
      'writer', '2', `mutation { updateStudents(where: { studentId: { in: ["${BASE + 1}", "${BASE + 2}"] } }, set: { gpa: "2.50" }) { affectedRows returning { gpa } } }`,
    );
    expect(data.updateStudents).toEqual({ affectedRows: 2, returning: [{ gpa: '2.50' }, { gpa: '2.50' }] });
  });

  it('refuses an update with an empty set', async () => {
    expect((await gqlErrorCode('writer', '2', `mutation { updateStudents(where: { studentId: { eq: "${BASE + 1}" } }, set: {}) { affectedRows } }`)).code).toBe('BAD_USER_INPUT');
  });

  it('deletes the matching rows and returns them as they were', async () => {
    const data = await gqlData<{ deleteStudents: { affectedRows: number; returning: Array<{ studentId: string }> } }>(
      'writer', '2', `mutation { deleteStudents(where: { studentId: { eq: "${BASE + 2}" } }) { affectedRows returning { studentId } } }`,
    );
    expect(data.deleteStudents).toEqual({ affectedRows: 1, returning: [{ studentId: String(BASE + 2) }] });
    expect(await exists(2)).toBe(false);
  });

  it('refuses to delete a row that is still referred to, changing nothing', async () => {
    await adminQuery(`INSERT INTO enrollments (university_id, student_id, course_id, term) VALUES (2, $1, 1, '2025-FA')`, [BASE + 1]);
    const { code, message } = await gqlErrorCode('writer', '2', `mutation { deleteStudents(where: { studentId: { eq: "${BASE + 1}" } }) { affectedRows } }`);
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toMatch(/foreign key enrollments_student_fk/);
    expect(await exists(1)).toBe(true);
  });

  it('runs the mutation fields of one operation in order', async () => {
    const data = await gqlData<{ a: { affectedRows: number }; b: { affectedRows: number; returning: Array<{ lastName: string }> } }>(
      'writer', '2',
      `mutation { a: insertStudents(objects: [${student(10)}]) { affectedRows } b: updateStudents(where: { studentId: { eq: "${BASE + 10}" } }, set: { lastName: "Renamed" }) { affectedRows returning { lastName } } }`,
    );
    expect(data.a.affectedRows).toBe(1);
    expect(data.b).toEqual({ affectedRows: 1, returning: [{ lastName: 'Renamed' }] });
  });
});

describe('roles', () => {
  it('refuses every mutation to a reader', async () => {
    for (const mutation of [
      `mutation { insertStudents(objects: [${student(20)}]) { affectedRows } }`,
      `mutation { updateStudents(where: {}, set: { gpa: "1.0" }) { affectedRows } }`,
      'mutation { deleteStudents(where: {}) { affectedRows } }',
    ]) {
      expect((await gqlErrorCode('reader', '2', mutation)).code).toBe('FORBIDDEN');
    }
    expect(await exists(20)).toBe(false);
  });

  it('never moves a row to another tenant by an update: BAD_USER_INPUT for an admin too, and nothing changes', async () => {
    const before = await adminQuery('SELECT university_id, last_name FROM students WHERE student_id = $1', [BASE + 1]);
    const moved = await gqlErrorCode('admin', null, `mutation { updateStudents(where: { universityId: { eq: 2 }, studentId: { eq: "${BASE + 1}" } }, set: { universityId: 3, lastName: "Moved" }) { affectedRows } }`);
    expect(moved.code).toBe('BAD_USER_INPUT');
    expect(moved.message).toMatch(/insert the row under the new tenant and delete the old one/);
    expect(before).toHaveLength(1);
    expect(await adminQuery('SELECT university_id, last_name FROM students WHERE student_id = $1', [BASE + 1])).toEqual(before);
    const upsert = await gqlErrorCode('admin', null, `mutation { insertStudents(objects: [{ universityId: 2, ${student(1).slice(2)}], onConflict: { constraint: students_pkey, updateColumns: [universityId] }) { affectedRows } }`);
    expect(upsert.code).toBe('BAD_USER_INPUT');
  });

  it("lets a writer name its own tenant in set (it changes nothing) beside real changes", async () => {
    const data = await gqlData<{ updateStudents: { affectedRows: number; returning: Array<{ universityId: number; lastName: string }> } }>(
      'writer', '2', `mutation { updateStudents(where: { studentId: { eq: "${BASE + 1}" } }, set: { universityId: 2, lastName: "Student1" }) { affectedRows returning { universityId lastName } } }`,
    );
    expect(data.updateStudents).toEqual({ affectedRows: 1, returning: [{ universityId: 2, lastName: 'Student1' }] });
    expect(await adminQuery('SELECT university_id, last_name FROM students WHERE student_id = $1', [BASE + 1])).toEqual([{ university_id: 2, last_name: 'Student1' }]);
    expect((await gqlErrorCode('writer', '2', `mutation { updateStudents(where: {}, set: { universityId: 2 }) { affectedRows } }`)).message).toMatch(/set names no column \(other than universityId/);
  });

  it('returns relations in both directions from an admin mutation (under Citus: joined, not correlated, below the changed rows)', async () => {
    const data = await gqlData<{ updateStudents: unknown; updateUniversities: unknown }>(
      'admin', null,
      `mutation {
        updateStudents(where: { universityId: { eq: 2 }, studentId: { eq: "${BASE + 1}" } }, set: { gpa: "3.30" }) { affectedRows returning { studentId gpa department { name university { name } } enrollmentsAggregate { count } } }
        updateUniversities(where: { universityId: { eq: 2 } }, set: { city: "Porto" }) { affectedRows returning { name departments(limit: 2, offset: 1) { departmentId } departmentsAggregate { count } } }
      }`,
    );
    const [{ n: enrollments }] = await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM enrollments WHERE university_id = 2 AND student_id = $1', [BASE + 1]) as [{ n: number }];
    expect(data.updateStudents).toEqual({ affectedRows: 1, returning: [{ studentId: String(BASE + 1), gpa: '3.30', department: { name: 'Computer Science', university: { name: 'University of Porto' } }, enrollmentsAggregate: { count: enrollments } }] });
    expect(data.updateUniversities).toEqual({ affectedRows: 1, returning: [{ name: 'University of Porto', departments: [{ departmentId: 2 }, { departmentId: 3 }], departmentsAggregate: { count: 10 } }] });
  });

  it('lets an admin write any tenant and reference tables', async () => {
    const data = await gqlData<{ insertUniversities: { affectedRows: number }; deleteUniversities: { affectedRows: number } }>(
      'admin', null,
      'mutation { insertUniversities(objects: [{ universityId: 99, name: "Test University", city: "Nowhere" }]) { affectedRows } deleteUniversities(where: { universityId: { eq: 99 } }) { affectedRows } }',
    );
    expect(data).toEqual({ insertUniversities: { affectedRows: 1 }, deleteUniversities: { affectedRows: 1 } });
  });
});
