import { describe, expect, it } from 'vitest';
import { extractSql } from '../subgraphs/rag/generate/extract-sql.js';

// Replies written the way models answer text-to-SQL prompts (Gemini, Qwen-Coder, Llama, GPT),
// chatter included. extractSql finds the SQL; it does not judge it (the guard does).

const COUNT = 'SELECT count(*) FROM students';

describe('extractSql', () => {
  it.each<[string, string, string]>([
    ['bare, with a semicolon', 'SELECT count(*) FROM students;', COUNT],
    ['bare, without one', 'SELECT count(*) FROM students', COUNT],
    ['bare, with surrounding whitespace and several semicolons', '\n\n  SELECT count(*) FROM students;;  \n', COUNT],
    ['bare lower case', 'select s.name from students s where s.university_id = 3;', 'select s.name from students s where s.university_id = 3'],
    ['a capitalised Select opening the reply', 'Select name from students;', 'Select name from students'],
    ['multi-line bare', 'SELECT d.name, count(*)\nFROM departments d\nJOIN courses c ON c.department_id = d.department_id\nGROUP BY d.name;', 'SELECT d.name, count(*)\nFROM departments d\nJOIN courses c ON c.department_id = d.department_id\nGROUP BY d.name'],
    ['a sql fence', '```sql\nSELECT count(*) FROM students;\n```', COUNT],
    ['a SQL fence in upper case', '```SQL\nSELECT count(*) FROM students\n```', COUNT],
    ['a postgresql fence', '```postgresql\nSELECT count(*) FROM students;\n```', COUNT],
    ['a plain fence', '```\nSELECT count(*) FROM students;\n```', COUNT],
    ['a one-line fence', '```SELECT count(*) FROM students;```', COUNT],
    ['a fence with chatter around it', "Sure! Here's a query that counts the students:\n\n```sql\nSELECT count(*) FROM students;\n```\n\nThis query returns the total number of rows in the `students` table.", COUNT],
    ['a fence cut short by the token limit', 'Here is the query:\n```sql\nSELECT count(*) FROM students', COUNT],
    ['the sql fence after a fence in another language', '```text\nstudents(student_id, name)\n```\nThe query:\n```sql\nSELECT count(*) FROM students;\n```', COUNT],
    ['the first of two sql fences', '```sql\nSELECT count(*) FROM students;\n```\nOr, equivalently:\n```sql\nSELECT count(student_id) FROM students;\n```', COUNT],
    ['JSON', '{"sql": "SELECT count(*) FROM students;"}', COUNT],
    ['JSON with other fields', '{\n  "reasoning": "Count every row of students.",\n  "sql": "SELECT count(*) FROM students",\n  "tables": ["students"]\n}', COUNT],
    ['JSON in a json fence', '```json\n{\n  "sql": "SELECT count(*) FROM students;"\n}\n```', COUNT],
    ['JSON in a plain fence', '```\n{"sql": "SELECT count(*) FROM students"}\n```', COUNT],
    ['JSON with chatter', 'Here is the JSON you asked for: {"sql": "SELECT count(*) FROM students;", "explanation": "counts {all} students"} Let me know if you need more.', COUNT],
    ['JSON whose value is itself fenced', '{"sql": "```sql\\nSELECT count(*) FROM students;\\n```"}', COUNT],
    ['JSON with escaped newlines and quotes', '{"sql": "SELECT name\\nFROM students\\nWHERE name = \'O\'\'Brien\' AND note = \\"x\\";"}', "SELECT name\nFROM students\nWHERE name = 'O''Brien' AND note = \"x\""],
    ['JSON under "query"', '{"query": "SELECT count(*) FROM students"}', COUNT],
    ['JSON followed by text (no valid whole)', '{"sql": "SELECT count(*) FROM students"}\n\nI used count(*) because…', COUNT],
    ['between <sql> tags', 'Reasoning: we need the student count.\n<sql>\nSELECT count(*) FROM students;\n</sql>', COUNT],
    ['after a label on the same line', 'SQLQuery: SELECT count(*) FROM students;\nSQLResult:', COUNT],
    ['after a lead-in line', 'Here is the SQL query:\nSELECT count(*) FROM students;\nThis counts all students.', COUNT],
    ['with an explanation right below, no semicolon', 'SELECT count(*) FROM students\nThis query counts every student.', COUNT],
    ['with an explanation after a blank line, no semicolon', 'SELECT count(*) FROM students\n\nExplanation: count(*) counts the rows.', COUNT],
    ['with a markdown list after it', 'SELECT count(*) FROM students\n\n- `count(*)` counts rows\n- no filter is needed', COUNT],
    ['a CTE with a blank line inside', 'WITH per_uni AS (\n  SELECT university_id, count(*) AS n FROM students GROUP BY university_id\n)\n\nSELECT max(n) FROM per_uni;', 'WITH per_uni AS (\n  SELECT university_id, count(*) AS n FROM students GROUP BY university_id\n)\n\nSELECT max(n) FROM per_uni'],
    ['a semicolon inside a string', "SELECT name FROM courses WHERE title = 'Intro; part 1';", "SELECT name FROM courses WHERE title = 'Intro; part 1'"],
    ['a semicolon inside a dollar-quoted string', 'SELECT $$a;b$$ AS s;', 'SELECT $$a;b$$ AS s'],
    ['a trailing comment after the semicolon', 'SELECT count(*) FROM students; -- all universities', COUNT],
    ['a comment line before bare SQL (left out)', '-- count them\nSELECT count(*) FROM students;', COUNT],
    ['a comment inside bare SQL', 'SELECT count(*) -- every row\nFROM students;', 'SELECT count(*) -- every row\nFROM students'],
    ['a comment line inside a fence', '```sql\n-- Count students\nSELECT count(*)\nFROM students; -- done\n```', '-- Count students\nSELECT count(*)\nFROM students'],
    ['a JSON literal inside bare SQL', 'SELECT \'{"a": 1}\'::jsonb ->> \'a\';', 'SELECT \'{"a": 1}\'::jsonb ->> \'a\''],
    ['a heading before a fence', '### SQL\n```sql\nSELECT count(*) FROM students\n```', COUNT],
    ['after a reasoning model\'s thinking, drafts included', '<think>\nThe user wants a count. Maybe SELECT * FROM students; no, count is better.\nSELECT count(student_id) FROM students;\n</think>\n\n```sql\nSELECT count(*) FROM students;\n```', COUNT],
    ['Windows line endings', '```sql\r\nSELECT count(*) FROM students;\r\n```\r\n', COUNT],
  ])('%s', (_name, reply, expected) => {
    expect(extractSql(reply)).toBe(expected);
  });

  it('keeps a second statement for the guard to see, bare or fenced', () => {
    expect(extractSql('SELECT 1; DROP TABLE students;')).toBe('SELECT 1; DROP TABLE students');
    expect(extractSql('SELECT 1;\nDELETE FROM students;\nThat should do it.')).toBe('SELECT 1;\nDELETE FROM students');
    expect(extractSql('```sql\nSELECT 1;\nDROP TABLE students;\n```')).toBe('SELECT 1;\nDROP TABLE students');
    expect(extractSql('{"sql": "SELECT 1; DROP TABLE students"}')).toBe('SELECT 1; DROP TABLE students');
  });

  it('returns statements that are not SELECTs as they are (judging them is not its job)', () => {
    expect(extractSql('```sql\nDELETE FROM students WHERE university_id = 3;\n```')).toBe('DELETE FROM students WHERE university_id = 3');
    expect(extractSql('UPDATE courses SET credits = 0')).toBe('UPDATE courses SET credits = 0');
  });

  it.each<[string, string]>([
    ['an empty reply', ''],
    ['whitespace', '  \n\t '],
    ['a refusal', "I'm sorry, but I can't answer that question with the tables available."],
    ['prose that starts with a keyword-like word', 'Show me the schema first, please.'],
    ['prose that starts with "With"', 'With the given tables it is not possible to answer this question.'],
    ['JSON with a null sql', '{"sql": null, "reason": "The schema has no salary column."}'],
    ['JSON with an empty sql', '{"sql": ""}'],
    ['JSON without a sql field', '{"error": "cannot answer"}'],
    ['a fenced JSON without a sql field', '```json\n{"answer": "unknown"}\n```'],
    ['an empty sql fence', '```sql\n```'],
    ['a fence in another language only', '```python\nprint("hello")\n```'],
    ['lower-case prose', 'i do not know which table holds that.'],
    ['thinking that never ends (cut short)', '<think>\nSELECT count(*) FROM students might work, but'],
  ])('finds no SQL in %s', (_name, reply) => {
    expect(extractSql(reply)).toBeNull();
  });
});
