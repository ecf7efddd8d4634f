import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeEntry, judge, judgeCandidate, parseAnalysis, schemaVocabulary, serializeAnalysis, type GuardDecision, type GuardPolicy } from '../src/cache/cache-guard.js';
import { analyzeQuestion, mentions } from '../src/cache/question-signature.js';
import { prepareSqlParser } from '../src/cache/sql-analysis.js';

/** The semantic cache's guard, pure: no stack, no embeddings — pairs already within the similarity threshold. */
const GUARDED: GuardPolicy = { literalGuard: true, rebind: true };

function judged(question: string, sql: string, incoming: string, policy: GuardPolicy = GUARDED): GuardDecision {
  return judgeCandidate({ question, sql }, incoming, policy);
}

beforeAll(async () => {
  await prepareSqlParser();
});

describe('cache guard: literals', () => {
  const kyle = { question: 'Show the ID of the high schooler named Kyle.', sql: `SELECT id FROM highschooler WHERE name = 'Kyle'` };

  it('re-binds a changed name as a parameter', () => {
    expect(judged(kyle.question, kyle.sql, 'Show the ID of the high schooler named Brittany.')).toEqual({
      kind: 'REBOUND',
      sql: 'SELECT id FROM highschooler WHERE name = $1',
      params: ['Brittany'],
    });
  });

  it('is a plain HIT for the same question reworded, never for a changed value', () => {
    expect(judged(kyle.question, kyle.sql, "What is Kyle's id?")).toEqual({ kind: 'HIT' });
    expect(judged(kyle.question, kyle.sql, 'Show the ID of the high schooler named Brittany.').kind).not.toBe('HIT');
  });

  it('re-binds a changed number, and rejects a changed comparison', () => {
    const older = { question: 'What are the names of singers older than 20?', sql: 'SELECT name FROM singer WHERE age > 20' };
    expect(judged(older.question, older.sql, 'What are the names of singers older than 35?')).toEqual({ kind: 'REBOUND', sql: 'SELECT name FROM singer WHERE age > $1', params: ['35'] });
    expect(judged(older.question, older.sql, 'What are the names of singers younger than 20?').kind).toBe('REJECT');
  });

  it('binds a hostile value as a LIKE parameter, never into the SQL text', () => {
    const hostile = `x'); DROP TABLE s; --`;
    const decision = judged('Which songs have a title that contains "ann"?', `SELECT title FROM song WHERE title LIKE '%ann%'`, `Which songs have a title that contains "${hostile}"?`);
    expect(decision).toEqual({ kind: 'REBOUND', sql: 'SELECT title FROM song WHERE title LIKE $1', params: [`%${hostile}%`] });
  });

  it('rejects a value the SQL implies rather than quotes ("French" for France)', () => {
    const decision = judged('How many French singers are there?', `SELECT count(*) FROM singer WHERE citizenship = 'France'`, 'How many German singers are there?');
    expect(decision.kind).toBe('REJECT');
  });

  it('rejects a changed lower-case value the literal patterns miss', () => {
    const decision = judged('How many students are in physics?', `SELECT count(*) FROM student WHERE major = 'physics'`, 'How many students are in chemistry?');
    expect(decision.kind).toBe('REJECT');
  });

  it('re-binds LIMIT; an integer constant never takes a fraction; a typed literal is not re-bound', () => {
    const top = { question: 'List the names of the top 3 singers by net worth.', sql: 'SELECT name FROM singer ORDER BY net_worth DESC LIMIT 3' };
    expect(judged(top.question, top.sql, 'List the names of the top 5 singers by net worth.')).toEqual({ kind: 'REBOUND', sql: 'SELECT name FROM singer ORDER BY net_worth DESC LIMIT $1', params: ['5'] });
    expect(judged(top.question, top.sql, 'List the names of the top 2.5 singers by net worth.').kind).toBe('REJECT');
    const dated = { question: 'Which concerts were held after "2014-01-01"?', incoming: 'Which concerts were held after "2015-06-30"?' };
    expect(judged(dated.question, `SELECT concert_name FROM concert WHERE held_on > DATE '2014-01-01'`, dated.incoming)).toEqual({ kind: 'REJECT', reason: expect.stringMatching(/typed literal/) });
    expect(judged(dated.question, `SELECT concert_name FROM concert WHERE held_on > '2014-01-01'::date`, dated.incoming)).toEqual({ kind: 'REBOUND', sql: 'SELECT concert_name FROM concert WHERE held_on > $1::date', params: ['2015-06-30'] });
  });

  it('follows the policy: no literal guard is a HIT, no re-binding is a REJECT', () => {
    expect(judged(kyle.question, kyle.sql, 'Show the ID of the high schooler named Brittany.', { literalGuard: false, rebind: true })).toEqual({ kind: 'HIT' });
    expect(judged(kyle.question, kyle.sql, 'Show the ID of the high schooler named Brittany.', { literalGuard: true, rebind: false }).kind).toBe('REJECT');
  });
});

describe('cache guard: meaning', () => {
  it('rejects negation, and a count the cached question does not ask for', () => {
    const treated = { question: 'Which professionals have treated dogs?', sql: 'SELECT DISTINCT p.first_name FROM professionals AS p JOIN treatments AS t ON p.professional_id = t.professional_id' };
    expect(judged(treated.question, treated.sql, 'Which professionals have not treated any dogs?').kind).toBe('REJECT');
    const codes = { question: 'What are the different template type codes?', sql: 'SELECT DISTINCT template_type_code FROM templates' };
    expect(judged(codes.question, codes.sql, 'What are the different template type codes, and how many templates correspond to each?').kind).toBe('REJECT');
  });

  it('takes "number of" and "count the number of" for "how many"; a superlative over "number of" orders by a count', () => {
    const count = { question: 'How many singers are there?', sql: 'SELECT count(*) FROM singer' };
    expect(judged(count.question, count.sql, 'What is the total number of singers?')).toEqual({ kind: 'HIT' });
    expect(judged(count.question, count.sql, 'Count the number of singers.')).toEqual({ kind: 'HIT' });
    const most = analyzeQuestion('Which country has the most number of singers?');
    expect(most.markers).toContain('sup:max');
    expect(most.markers).not.toContain('agg:count');
  });

  it('tells a count per group from a single count', () => {
    const perCountry = { question: 'How many singers are there in each country?', sql: 'SELECT country, count(*) FROM singer GROUP BY country' };
    expect(judged('How many singers are there?', 'SELECT count(*) FROM singer', perCountry.question).kind).toBe('REJECT');
    expect(judged(perCountry.question, perCountry.sql, 'How many singers are there?').kind).toBe('REJECT');
    expect(judged(perCountry.question, perCountry.sql, 'What is the number of singers for every country?')).toEqual({ kind: 'HIT' });
  });

  it('keeps "at most" and "less than" apart', () => {
    const decision = judged('Which courses have at most 2 sections?', 'SELECT course_name FROM courses WHERE sections <= 2', 'Which courses have less than 2 sections?');
    expect(decision.kind).toBe('REJECT');
  });

  it('rejects an incoming question asking for other result columns, or naming a schema word the entry does not use', () => {
    const grade = { question: 'Return the grade of the high schooler named Kyle.', sql: `SELECT grade FROM highschooler WHERE name = 'Kyle'` };
    expect(judged(grade.question, grade.sql, 'Show the ID of the high schooler named Kyle.').kind).toBe('REJECT');
    const ids = { question: 'Show the ids of all students who have no friends.', sql: 'SELECT id FROM highschooler EXCEPT SELECT student_id FROM friend' };
    expect(judged(ids.question, ids.sql, 'Show the names of all students who have no friends.').kind).toBe('REJECT');
    const entries = [
      analyzeEntry('How many templates are there for each type code?', 'SELECT template_type_code, count(*) FROM templates GROUP BY template_type_code'),
      analyzeEntry('How many documents are there?', 'SELECT count(*) FROM documents'),
    ];
    const vocabulary = schemaVocabulary(entries);
    expect(judgeCandidate({ question: 'How many templates are there for each type code?', sql: entries[0]!.sql.sql }, 'How many documents are there for each type code?', GUARDED, vocabulary).kind).toBe('REJECT');
  });

  it('accepts an answer column asked for by a question word ("Where …" for a hometown) or a word of the same root', () => {
    expect(judged('What is the hometown of the youngest teacher?', 'SELECT hometown FROM teacher ORDER BY age LIMIT 1', 'Where is the youngest teacher from?')).toEqual({ kind: 'HIT' });
    expect(judged('Find the weight of the youngest dog.', 'SELECT weight FROM dogs ORDER BY age LIMIT 1', 'How much does the youngest dog weigh?')).toEqual({ kind: 'HIT' });
  });

  it('takes a capitalised schema name in the incoming question for wording ("TV Channel")', () => {
    const vocabulary = schemaVocabulary([analyzeEntry('x', 'SELECT content FROM tv_channel WHERE series_name = $$Sky Radio$$')]);
    const decision = judgeCandidate(
      { question: 'What is the content of the series Sky Radio?', sql: `SELECT content FROM tv_channel WHERE series_name = 'Sky Radio'` },
      'What is the content of TV Channel with series name "Sky Radio"?',
      GUARDED,
      vocabulary,
    );
    expect(decision).toEqual({ kind: 'HIT' });
  });
});

describe('question signature', () => {
  it('reads ranges, pronoun "one", "a single" and yes/no values for what they are', () => {
    expect(analyzeQuestion('What is the document id with 1 to 2 paragraphs?').markers).toContain('cmp:between');
    expect(analyzeQuestion('What is the name of the one with the most students?').literals).toEqual([]);
    expect(analyzeQuestion('Which templates are used in more than a single document?').literals.map((l) => l.value)).toEqual(['1']);
    expect(analyzeQuestion('Which dogs were abandoned? 1 stands for yes, and 0 stands for no.').markers).not.toContain('neg');
  });

  it('matches plurals and possessives of short and -ies words', () => {
    const signature = analyzeQuestion("Which cities have the students' pets?");
    expect(mentions(signature, 'city')).toBe(true);
    expect(mentions(signature, 'pet')).toBe(true);
    expect(mentions(signature, 'student')).toBe(true);
    expect(mentions(analyzeQuestion('Which class has this status?'), 'statu')).toBe(false);
    expect(mentions(analyzeQuestion('Which class has this status?'), 'class')).toBe(true);
  });
});

describe('stored analyses', () => {
  it('judge the same from a stored analysis as from a fresh one; another version or garbage is not used', () => {
    const analysis = analyzeEntry('Show the ID of the high schooler named Kyle.', "SELECT id FROM highschooler WHERE name = 'Kyle'");
    const stored = parseAnalysis(serializeAnalysis(analysis));
    expect(stored).toEqual(analysis);
    const incoming = analyzeQuestion('Show the ID of the high schooler named Brittany.');
    expect(judge(stored!, incoming, GUARDED)).toEqual(judge(analysis, incoming, GUARDED));
    expect(parseAnalysis(JSON.stringify({ ...analysis, v: 0 }))).toBeNull();
    expect(parseAnalysis('{not json')).toBeNull();
    expect(parseAnalysis(null)).toBeNull();
  });
});
