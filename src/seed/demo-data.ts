/**
 * The deterministic demo data set: the same scale always yields the same rows.
 * Scale 1: 20 universities, 200 departments, 10,000 students, 1,000 courses, 50,000 enrollments.
 */
export const PER_UNIVERSITY = { departments: 10, students: 500, courses: 50, enrollmentsPerStudent: 5 } as const;

const CITIES: ReadonlyArray<[string, string]> = [
  ['Lisbon', 'Portugal'], ['Porto', 'Portugal'], ['Madrid', 'Spain'], ['Barcelona', 'Spain'], ['Lyon', 'France'],
  ['Toulouse', 'France'], ['Bologna', 'Italy'], ['Milan', 'Italy'], ['Leiden', 'Netherlands'], ['Utrecht', 'Netherlands'],
  ['Heidelberg', 'Germany'], ['Munich', 'Germany'], ['Uppsala', 'Sweden'], ['Lund', 'Sweden'], ['Krakow', 'Poland'],
  ['Prague', 'Czechia'], ['Vienna', 'Austria'], ['Zurich', 'Switzerland'], ['Dublin', 'Ireland'], ['Edinburgh', 'United Kingdom'],
  ['Toronto', 'Canada'], ['Boston', 'United States'], ['Austin', 'United States'], ['Kyoto', 'Japan'], ['Seoul', 'South Korea'],
];
const DEPARTMENTS = ['Computer Science', 'Mathematics', 'Physics', 'Chemistry', 'Biology', 'History', 'Economics', 'Philosophy', 'Linguistics', 'Engineering'];
const FIRST = ['Ana', 'Ben', 'Chloe', 'David', 'Elena', 'Farid', 'Greta', 'Hugo', 'Ines', 'Jonas', 'Kira', 'Luca', 'Maya', 'Nils', 'Olga', 'Pedro', 'Quinn', 'Rosa', 'Sami', 'Tara', 'Uma', 'Viktor', 'Wen', 'Yara', 'Zoe'];
const LAST = ['Almeida', 'Brown', 'Costa', 'Dubois', 'Eriksson', 'Fischer', 'Garcia', 'Horvat', 'Ito', 'Jensen', 'Kim', 'Lopez', 'Moreau', 'Novak', 'Olsen', 'Petrov', 'Rossi', 'Silva', 'Tanaka', 'Varga', 'Weber', 'Young', 'Zhang'];
const TOPICS = ['Introduction to', 'Advanced', 'Topics in', 'Foundations of', 'Seminar on'];
const TERMS = ['2024-FA', '2025-SP', '2025-FA'];
const GRADES = ['A', 'B', 'C', 'D', 'F', 'P', 'W'];

export type Row = Array<string | number | null>;

export interface DemoTable {
  table: 'universities' | 'departments' | 'students' | 'courses' | 'enrollments';
  columns: string[];
  rows: () => Iterable<Row>;
  count: number;
}

export function universityCount(scale: number): number {
  return Math.max(1, Math.round(20 * scale));
}

/** Tables in load order (parents first), each with a lazy row generator. */
export function demoTables(scale: number): DemoTable[] {
  const universities = universityCount(scale);
  const ids = Array.from({ length: universities }, (_, i) => i + 1);
  const p = PER_UNIVERSITY;
  return [
    {
      table: 'universities',
      columns: ['university_id', 'name', 'city', 'country', 'founded_year'],
      count: universities,
      rows: function* () {
        const rand = prng(1);
        for (const u of ids) {
          const [city, country] = CITIES[(u - 1) % CITIES.length]!;
          const round = Math.floor((u - 1) / CITIES.length);
          yield [u, `University of ${city}${round === 0 ? '' : ` ${round + 1}`}`, city, country, 1088 + Math.floor(rand() * 930)];
        }
      },
    },
    {
      table: 'departments',
      columns: ['university_id', 'department_id', 'name', 'building', 'budget'],
      count: universities * p.departments,
      rows: function* () {
        const rand = prng(2);
        for (const u of ids)
          for (let d = 1; d <= p.departments; d++)
            yield [u, d, DEPARTMENTS[(d - 1) % DEPARTMENTS.length]!, `Building ${String.fromCharCode(64 + d)}`, (100_000 + Math.floor(rand() * 4_900_000)).toFixed(2)];
      },
    },
    {
      table: 'students',
      columns: ['university_id', 'student_id', 'department_id', 'first_name', 'last_name', 'email', 'enrolled_on', 'gpa'],
      count: universities * p.students,
      rows: function* () {
        const rand = prng(3);
        for (const u of ids)
          for (let s = 1; s <= p.students; s++) {
            const id = studentId(u, s);
            const first = pick(FIRST, rand);
            const last = pick(LAST, rand);
            const day = new Date(Date.UTC(2019, 8, 1) + Math.floor(rand() * 6 * 365) * 86_400_000).toISOString().slice(0, 10);
            const gpa = rand() < 0.05 ? null : (1 + rand() * 3).toFixed(2);
            yield [u, id, 1 + Math.floor(rand() * p.departments), first, last, `${first}.${last}.${id}@u${u}.example.edu`.toLowerCase(), day, gpa];
          }
      },
    },
    {
      table: 'courses',
      columns: ['university_id', 'course_id', 'department_id', 'code', 'title', 'credits'],
      count: universities * p.courses,
      rows: function* () {
        const rand = prng(4);
        for (const u of ids)
          for (let c = 1; c <= p.courses; c++) {
            const department = 1 + ((c - 1) % p.departments);
            const subject = DEPARTMENTS[department - 1]!;
            yield [u, c, department, `${subject.slice(0, 4).toUpperCase()}${100 + c}`, `${pick(TOPICS, rand)} ${subject}`, 1 + Math.floor(rand() * 8)];
          }
      },
    },
    {
      table: 'enrollments',
      columns: ['university_id', 'student_id', 'course_id', 'term', 'grade'],
      count: universities * p.students * p.enrollmentsPerStudent,
      rows: function* () {
        const rand = prng(5);
        for (const u of ids)
          for (let s = 1; s <= p.students; s++) {
            // Distinct courses per student: a random start and a stride coprime to the course count.
            const start = Math.floor(rand() * p.courses);
            for (let k = 0; k < p.enrollmentsPerStudent; k++) {
              const course = 1 + ((start + k * 7) % p.courses);
              yield [u, studentId(u, s), course, TERMS[k % TERMS.length]!, rand() < 0.2 ? null : pick(GRADES, rand)];
            }
          }
      },
    },
  ];
}

function studentId(university: number, n: number): number {
  return university * 100_000 + n;
}

function pick<T>(list: readonly T[], rand: () => number): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** mulberry32: tiny, fast, and deterministic for a given seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
