import { describe, expect, it } from 'vitest';
import { adminQuery, gqlData } from './support/database.js';

describe('aggregates', () => {
  it('count, sum, avg, min and max match SQL, exactly, for the caller’s tenant', async () => {
    const data = await gqlData<{ studentsAggregate: unknown }>(
      'reader',
      '2',
      '{ studentsAggregate(where: { lastName: { neq: "Kim" } }) { count sum { gpa studentId } avg { gpa } min { gpa enrolledOn lastName } max { gpa enrolledOn lastName } } }',
    );
    const [row] = await adminQuery<Record<string, unknown>>(
      `SELECT count(*)::int AS count, sum(gpa)::text AS sum_gpa, sum(student_id)::text AS sum_id, avg(gpa)::text AS avg_gpa,
              min(gpa)::text AS min_gpa, min(enrolled_on)::text AS min_on, min(last_name) AS min_name,
              max(gpa)::text AS max_gpa, max(enrolled_on)::text AS max_on, max(last_name) AS max_name
       FROM students WHERE university_id = 2 AND last_name <> 'Kim'`,
    );
    expect(data.studentsAggregate).toEqual({
      count: row!.count,
      sum: { gpa: row!.sum_gpa, studentId: row!.sum_id },
      avg: { gpa: row!.avg_gpa },
      min: { gpa: row!.min_gpa, enrolledOn: row!.min_on, lastName: row!.min_name },
      max: { gpa: row!.max_gpa, enrolledOn: row!.max_on, lastName: row!.max_name },
    });
  });

  it('answers null sums over no rows and a zero count', async () => {
    expect(await gqlData('reader', '2', '{ studentsAggregate(where: { studentId: { eq: "1" } }) { count sum { gpa } max { enrolledOn } } }')).toEqual({
      studentsAggregate: { count: 0, sum: { gpa: null }, max: { enrolledOn: null } },
    });
  });

  it('aggregates per parent row through a relation, with its own filter', async () => {
    const data = await gqlData<{ coursesByPk: { enrollmentsAggregate: { count: number } } }>('reader', '2', '{ coursesByPk(universityId: 2, courseId: 7) { enrollmentsAggregate(where: { grade: { eq: "A" } }) { count } } }');
    const [row] = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM enrollments WHERE university_id = 2 AND course_id = 7 AND grade = 'A'`);
    expect(data.coursesByPk.enrollmentsAggregate.count).toBe(row!.n);
  });
});
