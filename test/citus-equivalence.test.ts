import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from '../src/auth/user-token.js';
import type { Role } from '../src/auth/identity.js';
import { startPrivateStack, type PrivateStack } from '../src/stack/private-stack.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { citusSkipReason, onCitus } from './support/citus.js';

/**
 * The same API on a single node and on Citus: every query and mutation shape runs against a fresh
 * SINGLE stack and a fresh CITUS stack (coordinator + 2 workers), both with the same deterministic
 * demo data, as an admin (all tenants) and as tenant tokens, and the JSON answers — data and
 * errors — must be identical. After the mutations, every table must hold the same rows.
 */

interface Shape {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** The error code both must answer with; absent: both must answer data without errors. */
  error?: string;
}

interface Answer {
  data?: unknown;
  errors?: Array<{ extensions?: { code?: string } }>;
}

/** An answer is what the shape expects: data without errors, or the error expected. */
function expectOutcome(answer: Answer, error: string | undefined, label: string): void {
  if (error) expect(answer.errors?.map((e) => e.extensions?.code), label).toEqual([error]);
  else {
    expect(answer.errors, label).toBeUndefined();
    expect(answer.data, label).toBeTruthy();
  }
}

const QUERIES: Shape[] = [
  { name: 'a reference table', query: '{ universities(orderBy: [{ name: ASC }]) { universityId name city country foundedYear } universitiesAggregate { count min { foundedYear } } }' },
  { name: 'reference → distributed, paged and ordered', query: '{ universities { name departments(limit: 3, offset: 1, orderBy: [{ name: DESC }]) { departmentId name } } }' },
  { name: 'reference byPk → distributed → distributed', query: '{ universitiesByPk(universityId: 2) { name departments(limit: 2) { name students(limit: 2, orderBy: [{ lastName: ASC }]) { firstName lastName } } } }' },
  { name: 'aggregates under a relation from the reference table', query: '{ universities { name departmentsAggregate { count sum { budget } avg { budget } min { name } max { budget } } big: departmentsAggregate(where: { budget: { gt: "2500000" } }) { count } } }' },
  { name: 'where through a relation from the reference table, with not and or', query: '{ a: universities(where: { departments: { name: { eq: "Physics" }, budget: { gt: "2000000" } } }) { name } b: universities(where: { not: { departments: { budget: { gt: "4000000" } } } }) { name } c: universities(where: { or: [{ departments: { name: { eq: "Nothing" } } }, { universityId: { eq: 1 } }] }) { name } }' },
  { name: 'a relation filtered by its own relation', query: '{ universities { departments(where: { students: { gpa: { gte: "3.9" } } }, limit: 4) { name } } }' },
  { name: 'distributed → reference', query: '{ departments(limit: 5, orderBy: [{ budget: DESC }]) { name budget university { name country } } }' },
  { name: 'distributed both ways, nested three deep', query: '{ students(where: { gpa: { gte: "3.8" } }, limit: 10, orderBy: [{ gpa: DESC }, { studentId: ASC }]) { firstName department { name university { name } } enrollments(limit: 2) { term grade course { code title } } enrollmentsAggregate { count } } }' },
  { name: 'order through a relation', query: '{ students(orderBy: [{ department: { name: ASC } }, { studentId: DESC }], limit: 10) { studentId department { name } } }' },
  { name: 'root aggregates', query: '{ studentsAggregate { count avg { gpa } min { enrolledOn } max { gpa } sum { gpa } } enrollmentsAggregate(where: { grade: { in: ["A", "B"] } }) { count } }' },
  { name: 'byPk hits and misses', query: '{ hit: studentsByPk(universityId: 2, studentId: "200001") { firstName enrollments { term course { code } } } miss: studentsByPk(universityId: 3, studentId: "1") { firstName } }' },
  { name: 'operators', query: '{ students(where: { and: [{ lastName: { ilike: "s%" } }, { or: [{ gpa: { isNull: true } }, { gpa: { lt: "2.5" } }] }, { departmentId: { nin: [3, 4] } }] }, limit: 20) { studentId lastName gpa } courses(where: { code: { like: "%1%" }, credits: { in: [3, 4] } }, limit: 5) { code credits } }' },
  { name: 'paging', query: '{ students(limit: 5, offset: 10) { studentId } enrollments(limit: 3, offset: 7, orderBy: [{ enrolledAt: DESC }, { studentId: ASC }, { courseId: ASC }, { term: ASC }]) { studentId courseId term } }' },
  { name: 'a cycle back to the reference table', query: '{ universities(limit: 2) { name departments(limit: 1) { courses(limit: 1) { code enrollments(limit: 1) { student { department { university { name } } } } } } } }' },
  { name: 'a variable-driven where', query: 'query ($w: DepartmentBoolExp) { departments(where: $w) { universityId departmentId } }', variables: { w: { universityId: { in: [2, 3] }, name: { in: ['Physics', 'History'] } } } },
  { name: 'an error: a value the column type refuses', query: '{ students(where: { enrolledOn: { gt: "not a date" } }) { studentId } }', error: 'BAD_USER_INPUT' },
];

const TENANT_CALLERS: Array<[Role, string | null]> = [['admin', null], ['reader', '2'], ['reader', '3'], ['writer', '1']];

/** Mutations, in order, each run by the caller named; their answers are compared, then the tables. */
const MUTATIONS: Array<{ name: string; role: Role; tenant: string | null; query: string; error?: string }> = [
  {
    name: 'admin insert in two tenants, relations in returning',
    role: 'admin', tenant: null,
    query: `mutation { insertStudents(objects: [
      { universityId: 1, studentId: "1900001", departmentId: 1, firstName: "Ada", lastName: "Eq", email: "ada@eq", enrolledOn: "2025-01-01", gpa: "3.10" },
      { universityId: 3, studentId: "1900002", departmentId: 2, firstName: "Bo", lastName: "Eq", email: "bo@eq", enrolledOn: "2025-01-02" }
    ]) { affectedRows returning { universityId studentId department { name university { name } } enrollmentsAggregate { count } } } }`,
  },
  { name: 'admin update across tenants, relations in returning', role: 'admin', tenant: null, query: 'mutation { updateStudents(where: { lastName: { eq: "Eq" } }, set: { gpa: "2.00" }) { affectedRows returning { studentId gpa department { name } enrollments { term } } } }' },
  { name: 'admin update of the reference table, distributed relations in returning', role: 'admin', tenant: null, query: 'mutation { updateUniversities(where: { universityId: { in: [1, 2] } }, set: { country: "Portugal (eq)" }) { affectedRows returning { name departments(limit: 2, orderBy: [{ name: ASC }]) { name students(limit: 1) { studentId } } departmentsAggregate { count } } } }' },
  { name: 'admin insert into the reference table, empty relations in returning', role: 'admin', tenant: null, query: 'mutation { insertUniversities(objects: [{ universityId: 90, name: "University of Equivalence", city: "Nowhere" }]) { affectedRows returning { name departments { name } departmentsAggregate { count max { budget } } } } }' },
  { name: 'admin delete across tenants, relations in returning', role: 'admin', tenant: null, query: 'mutation { deleteEnrollments(where: { studentId: { in: ["100001", "300002"] }, term: { eq: "2025-SP" } }) { affectedRows returning { studentId student { firstName } course { code } } } }' },
  { name: 'admin update of the reference table, filtered through a distributed relation', role: 'admin', tenant: null, query: 'mutation { updateUniversities(where: { departments: { name: { eq: "Physics" }, budget: { gt: "1500000" } } }, set: { city: "Filtered" }) { affectedRows returning { universityId city } } }' },
  { name: 'admin delete filtered through relations up to the reference table', role: 'admin', tenant: null, query: 'mutation { deleteEnrollments(where: { course: { department: { university: { country: { eq: "Spain" } } } }, grade: { eq: "F" } }) { affectedRows returning { universityId studentId courseId term } } }' },
  { name: 'writer update filtered through a relation', role: 'writer', tenant: '3', query: 'mutation { updateStudents(where: { department: { name: { eq: "History" } } }, set: { gpa: "3.33" }) { affectedRows returning { studentId department { name } } } }' },
  { name: 'admin moving a row to another tenant', role: 'admin', tenant: null, query: 'mutation { updateStudents(where: { studentId: { eq: "1900001" } }, set: { universityId: 2 }) { affectedRows } }', error: 'BAD_USER_INPUT' },
  { name: 'admin upsert', role: 'admin', tenant: null, query: 'mutation { insertStudents(objects: [{ universityId: 3, studentId: "1900002", departmentId: 2, firstName: "Bob", lastName: "Eq", email: "bo@eq", enrolledOn: "2025-01-02" }], onConflict: { constraint: students_pkey, updateColumns: [firstName] }) { affectedRows returning { firstName department { name } } } }' },
  { name: 'writer insert, tenant filled in', role: 'writer', tenant: '2', query: 'mutation { insertStudents(objects: [{ studentId: "1900003", departmentId: 3, firstName: "Cy", lastName: "Eq", email: "cy@eq", enrolledOn: "2025-02-01" }]) { affectedRows returning { universityId department { name university { name } } } } }' },
  { name: 'writer update naming its own tenant', role: 'writer', tenant: '2', query: 'mutation { updateStudents(where: { studentId: { eq: "1900003" } }, set: { universityId: 2, gpa: "3.50" }) { affectedRows returning { gpa department { name } } } }' },
  { name: 'writer update aimed at another tenant (citusdata/citus#8693)', role: 'writer', tenant: '2', query: 'mutation { updateStudents(where: { universityId: { eq: 1 } }, set: { gpa: "0.00" }) { affectedRows returning { studentId } } }' },
  { name: 'writer delete aimed at another tenant', role: 'writer', tenant: '2', query: 'mutation { deleteStudents(where: { universityId: { eq: 1 }, studentId: { eq: "1900001" } }) { affectedRows } }' },
  { name: 'writer delete with relations in returning', role: 'writer', tenant: '2', query: 'mutation { deleteStudents(where: { studentId: { eq: "1900003" } }) { affectedRows returning { studentId department { name } } } }' },
  { name: 'a failing row aborts the mutation, with the same error', role: 'admin', tenant: null, query: 'mutation { insertStudents(objects: [{ universityId: 1, studentId: "1900010", departmentId: 1, firstName: "D", lastName: "Eq", email: "d@eq", enrolledOn: "2025-01-01" }, { universityId: 3, studentId: "1900011", departmentId: 1, firstName: "E", lastName: "Eq", email: "e@eq", enrolledOn: "2025-01-01", gpa: "9.00" }]) { affectedRows } }', error: 'BAD_USER_INPUT' },
  { name: 'a unique violation, with the same error', role: 'writer', tenant: '3', query: 'mutation { insertStudents(objects: [{ studentId: "1900002", departmentId: 1, firstName: "F", lastName: "Eq", email: "f@eq", enrolledOn: "2025-01-01" }]) { affectedRows } }', error: 'BAD_USER_INPUT' },
  { name: 'a foreign-key violation, with the same error', role: 'admin', tenant: null, query: 'mutation { deleteDepartments(where: { universityId: { eq: 1 }, departmentId: { eq: 1 } }) { affectedRows } }', error: 'BAD_USER_INPUT' },
];

const TABLES: Array<[string, string]> = [
  ['universities', 'university_id'],
  ['departments', 'university_id, department_id'],
  ['students', 'university_id, student_id'],
  ['courses', 'university_id, course_id'],
  ['enrollments', 'university_id, student_id, course_id, term'],
];

interface Side {
  stack: PrivateStack;
  jwtSecret: string;
}

async function ask(side: Side, role: Role, tenant: string | null, shape: { query: string; variables?: Record<string, unknown> }): Promise<Answer> {
  const token = await signUserToken(side.jwtSecret, { sub: `eq-${role}`, role, tenant });
  const response = await fetch(side.stack.info.urls.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: shape.query, variables: shape.variables }),
  });
  return (await response.json()) as Answer;
}

async function tableRows(side: Side): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: side.stack.info.urls.postgres });
  await client.connect();
  try {
    const rows: Record<string, unknown> = {};
    for (const [table, key] of TABLES) {
      // created_at and enrolled_at default to now(): when a row was written differs between the stacks.
      const columns = table === 'enrollments' ? 'university_id, student_id, course_id, term, grade' : table === 'universities' ? 'university_id, name, city, country, founded_year' : '*';
      rows[table] = (await client.query(`SELECT ${columns} FROM ${table} ORDER BY ${key}`)).rows;
    }
    return rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(!onCitus())(`the same answers on a single node and on Citus${citusSkipReason()}`, () => {
  let single: Side;
  let citus: Side;

  beforeAll(async () => {
    const start = async (mode: 'on' | 'off'): Promise<Side> => {
      const stack = await startPrivateStack({ prefix: `distrag-eq-${mode}`, workers: 2, env: { DISTRAG_CITUS: mode, DISTRAG_SEED_SCALE: '0.2' } });
      return { stack, jwtSecret: readSecrets(stackLayout(stack.config.home).secretsFile, stack.config).jwtSecret };
    };
    [single, citus] = await Promise.all([start('off'), start('on')]);
    expect([single.stack.info.mode, citus.stack.info.mode]).toEqual(['SINGLE', 'CITUS']);
  }, 400_000);

  afterAll(async () => {
    await Promise.all([single?.stack.stop(), citus?.stack.stop()]);
  }, 200_000);

  it('starts both from the same rows', async () => {
    expect(await tableRows(citus)).toEqual(await tableRows(single));
  });

  for (const shape of QUERIES) {
    it(`answers alike: ${shape.name}`, async () => {
      for (const [role, tenant] of TENANT_CALLERS) {
        const label = `${role}${tenant ? ` of tenant ${tenant}` : ''}`;
        const [onSingle, onCitusStack] = await Promise.all([ask(single, role, tenant, shape), ask(citus, role, tenant, shape)]);
        expectOutcome(onSingle, shape.error, `SINGLE, ${label}`);
        expect(onCitusStack, label).toEqual(onSingle);
      }
    });
  }

  it('answers every mutation alike and leaves the same rows behind', async () => {
    for (const mutation of MUTATIONS) {
      const onSingle = await ask(single, mutation.role, mutation.tenant, mutation);
      const onCitusStack = await ask(citus, mutation.role, mutation.tenant, mutation);
      expectOutcome(onSingle, mutation.error, mutation.name);
      expect(onCitusStack, mutation.name).toEqual(onSingle);
    }
    expect(await tableRows(citus)).toEqual(await tableRows(single));
  });
});
