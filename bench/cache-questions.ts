import { prng } from '../src/seed/demo-data.js';

/** A question a tenant might ask about the demo schema, with the SQL that answers it. */
export interface BenchQuestion {
  question: string;
  sql: string;
}

export const DEPARTMENTS = ['Computer Science', 'Mathematics', 'Physics', 'Chemistry', 'Biology', 'History', 'Economics', 'Philosophy', 'Linguistics', 'Engineering'];
const CITIES = ['Lisbon', 'Porto', 'Madrid', 'Barcelona', 'Lyon', 'Toulouse', 'Bologna', 'Milan', 'Leiden', 'Utrecht', 'Heidelberg', 'Munich', 'Uppsala', 'Lund', 'Krakow', 'Prague', 'Vienna', 'Zurich', 'Dublin', 'Edinburgh', 'Toronto', 'Boston', 'Austin', 'Kyoto', 'Seoul'];
const COUNTRIES = ['Portugal', 'Spain', 'France', 'Italy', 'Netherlands', 'Germany', 'Sweden', 'Poland', 'Czechia', 'Austria', 'Switzerland', 'Ireland', 'Canada', 'Japan'];
const FIRST = ['Ana', 'Ben', 'Chloe', 'David', 'Elena', 'Farid', 'Greta', 'Hugo', 'Ines', 'Jonas', 'Kira', 'Luca', 'Maya', 'Nils', 'Olga', 'Pedro', 'Quinn', 'Rosa', 'Sami', 'Tara'];
const LAST = ['Almeida', 'Brown', 'Costa', 'Dubois', 'Eriksson', 'Fischer', 'Garcia', 'Horvat', 'Ito', 'Jensen', 'Kim', 'Lopez', 'Moreau', 'Novak', 'Olsen', 'Petrov', 'Rossi', 'Silva'];
const TOPICS = ['Introduction to', 'Advanced', 'Topics in', 'Foundations of', 'Seminar on'];
const TERMS = ['2024-FA', '2025-SP', '2025-FA'];
const GRADES = ['A', 'B', 'C', 'D', 'F'];

type Rand = () => number;
const pick = <T>(list: readonly T[], rand: Rand): T => list[Math.floor(rand() * list.length)]!;
const int = (from: number, to: number, rand: Rand) => from + Math.floor(rand() * (to - from + 1));
const gpa = (rand: Rand) => (1 + int(0, 300, rand) / 100).toFixed(2);
const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
const STUDENTS_OF = 'FROM students s JOIN departments d ON d.department_id = s.department_id';

/** Optionally one university of the tenant, named by its city: ` at the University of Lisbon`. */
function campus(r: Rand, alias: string): { text: string; join: string; where: string } {
  if (r() < 1 / (CITIES.length + 1)) return { text: '', join: '', where: '' };
  const city = pick(CITIES, r);
  return { text: ` at the University of ${city}`, join: ` JOIN universities u ON u.university_id = ${alias}.university_id`, where: ` AND u.city = ${quote(city)}` };
}

/** Ways of asking about the demo schema: each draws its values and writes the question and its SQL. */
const TEMPLATES: Array<(rand: Rand) => BenchQuestion> = [
  (r) => {
    const [dept, year, at] = [pick(DEPARTMENTS, r), int(1950, 2025, r), campus(r, 's')];
    return enrolledInYear(dept, year, at, pick(['How many students', 'What number of students', 'Count the students who'], r));
  },
  (r) => {
    const [dept, year, at] = [pick(DEPARTMENTS, r), int(1950, 2025, r), campus(r, 's')];
    return { question: `What is the average GPA of ${dept} students${at.text} who enrolled after ${year}?`, sql: `SELECT avg(s.gpa) ${STUDENTS_OF}${at.join} WHERE d.name = ${quote(dept)} AND extract(year FROM s.enrolled_on) > ${year}${at.where}` };
  },
  (r) => {
    const [n, dept, at] = [int(3, 100, r), pick(DEPARTMENTS, r), campus(r, 's')];
    return { question: `${pick(['List the top', 'Show the best', 'Who are the top'], r)} ${n} students by GPA in ${dept}${at.text}?`, sql: `SELECT s.first_name, s.last_name, s.gpa ${STUDENTS_OF}${at.join} WHERE d.name = ${quote(dept)}${at.where} ORDER BY s.gpa DESC NULLS LAST LIMIT ${n}` };
  },
  (r) => {
    const [first, last, dept, at] = [pick(FIRST, r), pick(LAST, r), pick(DEPARTMENTS, r), campus(r, 's')];
    return { question: `Is there a student called ${first} ${last} in the ${dept} department${at.text}?`, sql: `SELECT s.student_id, s.email ${STUDENTS_OF}${at.join} WHERE s.first_name = ${quote(first)} AND s.last_name = ${quote(last)} AND d.name = ${quote(dept)}${at.where}` };
  },
  (r) => {
    const [dept, credits, at] = [pick(DEPARTMENTS, r), int(1, 12, r), campus(r, 'c')];
    return { question: `How many courses of the ${dept} department${at.text} carry more than ${credits} credits?`, sql: `SELECT count(*) FROM courses c JOIN departments d ON d.department_id = c.department_id${at.join} WHERE d.name = ${quote(dept)} AND c.credits > ${credits}${at.where}` };
  },
  (r) => {
    const [title, term, at] = [`${pick(TOPICS, r)} ${pick(DEPARTMENTS, r)}`, pick(TERMS, r), campus(r, 'e')];
    return { question: `Show the grade distribution of "${title}"${at.text} in term ${term}.`, sql: `SELECT e.grade, count(*) FROM enrollments e JOIN courses c ON c.course_id = e.course_id${at.join} WHERE c.title = ${quote(title)} AND e.term = ${quote(term)}${at.where} GROUP BY e.grade ORDER BY e.grade` };
  },
  (r) => {
    const [budget, at] = [int(10, 5000, r) * 1000, campus(r, 'd')];
    return { question: `${pick(['Which departments', 'List the departments'], r)}${at.text} have a budget above ${budget} euros?`, sql: `SELECT d.name, d.budget FROM departments d${at.join} WHERE d.budget > ${budget}${at.where} ORDER BY d.budget DESC` };
  },
  (r) => {
    const [grade, title, term, at] = [pick(GRADES, r), `${pick(TOPICS, r)} ${pick(DEPARTMENTS, r)}`, pick(TERMS, r), campus(r, 'e')];
    return { question: `How many students${at.text} got grade ${grade} in "${title}" in ${term}?`, sql: `SELECT count(*) FROM enrollments e JOIN courses c ON c.course_id = e.course_id${at.join} WHERE e.grade = ${quote(grade)} AND c.title = ${quote(title)} AND e.term = ${quote(term)}${at.where}` };
  },
  (r) => {
    const [country, year] = [pick(COUNTRIES, r), int(1088, 2020, r)];
    return { question: `Which universities in ${country} were founded before ${year}?`, sql: `SELECT name, city FROM universities WHERE country = ${quote(country)} AND founded_year < ${year} ORDER BY founded_year` };
  },
  (r) => {
    const [from, dept, at] = [int(1950, 2020, r), pick(DEPARTMENTS, r), campus(r, 's')];
    const to = from + int(1, 5, r);
    return { question: `How many ${dept} students${at.text} enrolled between ${from} and ${to}?`, sql: `SELECT count(*) ${STUDENTS_OF}${at.join} WHERE d.name = ${quote(dept)} AND extract(year FROM s.enrolled_on) BETWEEN ${from} AND ${to}${at.where}` };
  },
  (r) => {
    const [city, building] = [pick(CITIES, r), String.fromCharCode(65 + int(0, 9, r))];
    return { question: `What is the total budget of the departments in building ${building} at the University of ${city}?`, sql: `SELECT sum(d.budget) FROM departments d JOIN universities u ON u.university_id = d.university_id WHERE u.city = ${quote(city)} AND d.building = ${quote(`Building ${building}`)}` };
  },
  (r) => {
    const [dept, value, at] = [pick(DEPARTMENTS, r), gpa(r), campus(r, 's')];
    return { question: `${pick(['Which', 'How many'], r)} ${dept} students${at.text} have a GPA below ${value}?`, sql: `SELECT s.first_name, s.last_name, s.gpa ${STUDENTS_OF}${at.join} WHERE d.name = ${quote(dept)} AND s.gpa < ${value}${at.where}` };
  },
  (r) => {
    const [value, year, month, at] = [gpa(r), int(2000, 2025, r), int(1, 12, r), campus(r, 's')];
    return { question: `List the students${at.text} with a GPA above ${value} who enrolled in month ${month} of ${year}.`, sql: `SELECT s.first_name, s.last_name FROM students s${at.join} WHERE s.gpa > ${value} AND extract(year FROM s.enrolled_on) = ${year} AND extract(month FROM s.enrolled_on) = ${month}${at.where}` };
  },
  (r) => {
    const [term, dept, n, at] = [pick(TERMS, r), pick(DEPARTMENTS, r), int(2, 9, r), campus(r, 'e')];
    return { question: `Which ${dept} students${at.text} took at least ${n} courses in ${term}?`, sql: `SELECT e.student_id, count(*) FROM enrollments e JOIN courses c ON c.course_id = e.course_id JOIN departments d ON d.department_id = c.department_id${at.join} WHERE d.name = ${quote(dept)} AND e.term = ${quote(term)}${at.where} GROUP BY e.student_id HAVING count(*) >= ${n}` };
  },
  (r) => {
    const [first, year, at] = [pick(FIRST, r), int(1950, 2025, r), campus(r, 's')];
    return { question: `How many students${at.text} named ${first} enrolled in ${year}, per department?`, sql: `SELECT d.name, count(*) ${STUDENTS_OF}${at.join} WHERE s.first_name = ${quote(first)} AND extract(year FROM s.enrolled_on) = ${year}${at.where} GROUP BY d.name ORDER BY d.name` };
  },
];

/** How many ways of asking `benchQuestions` draws from. */
export const TEMPLATE_COUNT = TEMPLATES.length;

/**
 * Distinct questions about the demo schema, without end and the same for the same seed: drawn
 * from templates and value lists (years, names, GPAs, budgets…), each once, none of `reserved`.
 */
export function* benchQuestions(seed: number, reserved: ReadonlySet<string> = new Set()): Generator<BenchQuestion, never> {
  const rand = prng(seed);
  const seen = new Set<string>();
  for (;;) {
    const q = pick(TEMPLATES, rand)(rand);
    if (seen.has(q.question) || reserved.has(q.question)) continue;
    seen.add(q.question);
    yield q;
  }
}

/** "How many students enrolled in the Physics department in 2019?": a year in the question and the SQL alike. */
export function enrolledInYear(dept: string, year: number, at = { text: '', join: '', where: '' }, opening = 'How many students'): BenchQuestion {
  return { question: `${opening} enrolled in the ${dept} department${at.text} in ${year}?`, sql: `SELECT count(*) ${STUDENTS_OF}${at.join} WHERE d.name = ${quote(dept)} AND extract(year FROM s.enrolled_on) = ${year}${at.where}` };
}
