import { describe, expect, it } from 'vitest';
import { DEMO_READABLE_TABLES, DEMO_SEARCH_PATH, HOSTILE_SQL, SAFE_SQL } from '../eval/guard/hostile-corpus.js';
import { guardSql, type GuardScope, type GuardVerdict } from '../subgraphs/rag/guard/guard-sql.js';
import { GUARD_RULES } from '../subgraphs/rag/guard/guard-rules.js';

/** The RAG SQL guard, pure: PostgreSQL's parser in WebAssembly, no database. */
const DEMO: GuardScope = { readableTables: new Set(DEMO_READABLE_TABLES), searchPath: DEMO_SEARCH_PATH };

function scope(readable: string[], searchPath: string[] = ['public']): GuardScope {
  return { readableTables: new Set(readable), searchPath };
}

async function ruleOf(sql: string, within: GuardScope = DEMO): Promise<string> {
  const verdict = await guardSql(sql, within);
  return verdict.safe ? 'safe' : verdict.rule;
}

/** The rule each hostile case must be refused by: a wrong rule (a parse error, say) fails the case. */
const EXPECTED_RULES: Record<string, readonly string[]> = {
  'multiple-statements': ['injection-comment-then-drop', 'stacked-after-dollar-quote', 'stacked-after-line-comment', 'stacked-after-nested-comment', 'stacked-drop', 'stacked-select-set-config', 'stacked-semicolon-in-block-comment', 'stacked-semicolon-in-string', 'stacked-set-role'],
  syntax: ['injection-after-select', 'injection-markdown-reply', 'stacked-nul-byte'],
  empty: ['empty', 'only-comment'],
  'too-long': ['too-long', 'too-long-whitespace'],
  'too-complex': ['too-deep'],
  'not-a-select': ['alter-table', 'analyze', 'begin', 'call', 'checkpoint', 'column-default-call', 'commit', 'copy-from-program', 'copy-to-file', 'copy-to-program', 'create-function', 'create-temp-table-as', 'delete', 'discard', 'do-block', 'drop-table', 'execute', 'explain-analyze-delete', 'explain-select', 'grant', 'insert', 'listen', 'load', 'lock-table', 'merge', 'notify', 'prepare', 'reset-all', 'rollback', 'savepoint', 'set-role', 'set-session-authorization', 'set-tenant', 'show-all', 'start-transaction-read-write', 'truncate', 'update', 'vacuum'],
  'data-modifying-cte': ['cte-delete', 'cte-insert-in-subquery', 'cte-merge', 'cte-update'],
  'select-into': ['select-into', 'select-into-union-branch'],
  'locking-clause': ['for-key-share-skip-locked', 'for-no-key-update-in-subquery', 'for-share-nowait', 'for-update'],
  'function-not-allowed': ['case-call', 'cast-argument-call', 'comment-glued-call', 'cte-body-call', 'current-setting-in-filter', 'current-setting-tenant', 'current-user', 'cyrillic-pg-sleep', 'cyrillic-set-config', 'dblink-exec', 'dollar-quote-then-call', 'except-read-file', 'filter-call', 'group-by-call', 'injection-tenant-switch', 'intersect-nested-sleep', 'join-on-call', 'lateral-call', 'lo-export', 'lo-import', 'named-window-call', 'nested-argument-call', 'order-by-call', 'pg-advisory-lock', 'pg-cancel-backend', 'pg-current-xact-id', 'pg-read-binary-file', 'pg-read-file', 'pg-reload-conf', 'pg-sleep', 'pg-sleep-for', 'pg-stat-file', 'pg-terminate-backend', 'public-schema-function', 'query-to-xml', 'quoted-upper-count', 'set-config', 'set-config-in-where', 'set-config-qualified', 'subscript-call', 'table-to-xml', 'tablesample-method', 'to-regclass', 'txid-current', 'typmod-call', 'values-call', 'version', 'window-partition-call'],
  'table-function-not-allowed': ['dblink-in-from', 'pg-ls-dir'],
  'operator-not-allowed': ['schema-operator'],
  'catalog-type-cast': ['regclass-cast', 'regclass-cast-qualified', 'regproc-literal', 'regrole-cast'],
  'type-not-allowed': ['xml-cast'],
  'system-catalog': ['information-schema-tables', 'pg-authid', 'pg-roles', 'pg-settings', 'pg-shadow-qualified', 'pg-stat-activity', 'recursive-cte-catalog', 'table-pg-authid', 'union-pg-user'],
  'unknown-table': ['cross-database', 'cyrillic-table', 'meta-schema', 'other-schema', 'quoted-other-case', 'table-meta', 'union-meta', 'unknown-unqualified'],
  parameter: ['parameter-in-limit', 'parameter-in-where'],
  'unsupported-syntax': ['values-default', 'xmlelement', 'xmltable'],
};
const expectedRule = new Map(Object.entries(EXPECTED_RULES).flatMap(([rule, ids]) => ids.map((id) => [id, rule] as const)));

describe('rag guard: the hostile corpus', () => {
  it('is large, varied, and every case has its expected rule', () => {
    expect(HOSTILE_SQL.length).toBeGreaterThanOrEqual(60);
    expect(new Set(HOSTILE_SQL.map((c) => c.category)).size).toBeGreaterThanOrEqual(15);
    expect(new Set(HOSTILE_SQL.map((c) => c.id)).size).toBe(HOSTILE_SQL.length);
    expect(HOSTILE_SQL.map((c) => c.id).filter((id) => !expectedRule.has(id))).toEqual([]);
    expect([...expectedRule.keys()].filter((id) => !HOSTILE_SQL.some((c) => c.id === id))).toEqual([]);
  });

  it.each(HOSTILE_SQL.map((c) => [c.id, c] as const))('refuses %s by its rule', async (_id, hostile) => {
    const verdict = await guardSql(hostile.sql, DEMO);
    expect(verdict).toMatchObject({ safe: false, rule: expectedRule.get(hostile.id) });
  });

  it('exercises every rule, and each refusal is one sentence without a stack', async () => {
    const seen = new Set<string>();
    for (const hostile of HOSTILE_SQL) {
      const verdict = await guardSql(hostile.sql, DEMO);
      if (verdict.safe) continue;
      seen.add(verdict.rule);
      expect(verdict.reason).toMatch(/^[^\n]+\.$/);
      expect(verdict.reason).not.toMatch(/\bat .*:\d+:\d+/);
    }
    expect([...seen].sort()).toEqual(Object.keys(GUARD_RULES).sort());
  });
});

describe('rag guard: safe SELECTs', () => {
  it.each(SAFE_SQL.map((c) => [c.id, c] as const))('passes %s with exactly the tables it reads', async (_id, safe) => {
    expect(await guardSql(safe.sql, DEMO)).toEqual({ safe: true, tables: safe.tables });
  });

  it('lists each table once, sorted, however often and however qualified it is read', async () => {
    const sql = 'SELECT * FROM students a JOIN public.students b USING (student_id) JOIN "courses" c ON true WHERE EXISTS (SELECT 1 FROM STUDENTS)';
    expect(await guardSql(sql, DEMO)).toEqual({ safe: true, tables: ['public.courses', 'public.students'] });
  });

  it('accepts a trailing semicolon and comments as one statement', async () => {
    expect(await guardSql('-- how many?\nSELECT count(*) FROM students /* all */;', DEMO)).toEqual({ safe: true, tables: ['public.students'] });
  });

  it('keeps a hostile-looking string a string', async () => {
    expect(await guardSql("SELECT 'x''; DROP TABLE students; --' AS s, $$pg_sleep(9)$$ AS t FROM universities", DEMO)).toEqual({ safe: true, tables: ['public.universities'] });
  });
});

describe('rag guard: CTE scoping', () => {
  it('a CTE shadows a table of its name, and reads nothing itself', async () => {
    expect(await guardSql('WITH secrets AS (SELECT 1 AS x) SELECT * FROM secrets', DEMO)).toEqual({ safe: true, tables: [] });
    expect(await guardSql('WITH students AS (SELECT 1 AS x) SELECT * FROM students', DEMO)).toEqual({ safe: true, tables: [] });
  });

  it('a qualified name is never a CTE', async () => {
    expect(await guardSql('WITH students AS (SELECT 1 AS x) SELECT * FROM students, public.students', DEMO)).toEqual({ safe: true, tables: ['public.students'] });
    expect(await ruleOf('WITH tenants AS (SELECT 1 AS x) SELECT * FROM distrag_meta.tenants')).toBe('unknown-table');
  });

  it('a non-recursive CTE does not see itself nor the CTEs after it; a recursive one sees all', async () => {
    expect(await guardSql('WITH students AS (SELECT * FROM students WHERE gpa > 3) SELECT count(*) FROM students', DEMO)).toEqual({ safe: true, tables: ['public.students'] });
    expect(await ruleOf('WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets')).toBe('unknown-table');
    expect(await ruleOf('WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a')).toBe('unknown-table');
    expect(await guardSql('WITH a AS (SELECT 1 AS x), b AS (SELECT * FROM a) SELECT * FROM b', DEMO)).toEqual({ safe: true, tables: [] });
    expect(await guardSql('WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a', DEMO)).toEqual({ safe: true, tables: [] });
  });

  it('a CTE is visible in subqueries and set-operation branches of its SELECT, and not outside it', async () => {
    expect(await guardSql('WITH t AS (SELECT 1 AS x) SELECT x FROM t UNION SELECT x FROM (SELECT * FROM t) s WHERE x IN (SELECT x FROM t)', DEMO)).toEqual({ safe: true, tables: [] });
    expect(await ruleOf('SELECT * FROM (WITH secrets AS (SELECT 1 AS x) SELECT * FROM secrets) a, secrets')).toBe('unknown-table');
    expect(await ruleOf('(WITH secrets AS (SELECT 1 AS x) SELECT x FROM secrets) UNION SELECT x FROM secrets')).toBe('unknown-table');
  });

  it('checks what a CTE reads even when nothing reads the CTE', async () => {
    expect(await ruleOf('WITH unused AS (SELECT * FROM distrag_meta.tenants) SELECT 1')).toBe('unknown-table');
    expect(await guardSql('WITH unused AS (SELECT * FROM courses) SELECT 1', DEMO)).toEqual({ safe: true, tables: ['public.courses'] });
  });
});

describe('rag guard: table resolution', () => {
  it('resolves an unqualified name to the first search-path schema where it is readable', async () => {
    const tenant = scope(['app.students', 'public.students', 'public.universities'], ['app', 'public']);
    expect(await guardSql('SELECT * FROM students JOIN universities USING (university_id)', tenant)).toEqual({ safe: true, tables: ['app.students', 'public.universities'] });
    expect(await guardSql('SELECT * FROM students', scope(['app.students', 'public.students'], ['public', 'app']))).toEqual({ safe: true, tables: ['public.students'] });
  });

  it('refuses an unqualified name readable only outside the search path, naming it', async () => {
    const verdict = await guardSql('SELECT * FROM students', scope(['app.students'], ['public']));
    expect(verdict).toMatchObject({ safe: false, rule: 'unknown-table' });
    expect((verdict as Extract<GuardVerdict, { safe: false }>).reason).toContain('students');
    expect(await guardSql('SELECT * FROM app.students', scope(['app.students'], ['public']))).toEqual({ safe: true, tables: ['app.students'] });
  });

  it('refuses an unqualified pg_* name even when a table of that name is readable (pg_catalog is searched first)', async () => {
    expect(await ruleOf('SELECT * FROM pg_class', scope(['public.pg_class']))).toBe('system-catalog');
    expect(await guardSql('SELECT * FROM public.pg_class', scope(['public.pg_class']))).toEqual({ safe: true, tables: ['public.pg_class'] });
  });

  it('matches quoted identifiers verbatim and folds unquoted ones to lower case', async () => {
    expect(await guardSql('SELECT * FROM "public"."students", PUBLIC.Universities', DEMO)).toEqual({ safe: true, tables: ['public.students', 'public.universities'] });
    expect(await ruleOf('SELECT * FROM public."Students"')).toBe('unknown-table');
    const mixed = scope(['public.Grade Book']);
    expect(await guardSql('SELECT * FROM "Grade Book"', mixed)).toEqual({ safe: true, tables: ['public.Grade Book'] });
    expect(await ruleOf('SELECT * FROM "grade book"', mixed)).toBe('unknown-table');
  });

  it('refuses system catalogs by schema and leaves an empty scope nothing to read', async () => {
    expect(await ruleOf('SELECT * FROM pg_toast.pg_toast_2619')).toBe('system-catalog');
    expect(await ruleOf('SELECT * FROM pg_temp.leak')).toBe('system-catalog');
    expect(await ruleOf('SELECT * FROM students', scope([]))).toBe('unknown-table');
  });
});

describe('rag guard: functions and types', () => {
  it('allows listed functions unqualified or in pg_catalog, and nothing else by that name', async () => {
    expect(await ruleOf('SELECT "count"(*), pg_catalog.upper(name) FROM universities')).toBe('safe');
    expect(await ruleOf('SELECT pg_catalog.pg_catalog.count(*) FROM universities')).toBe('function-not-allowed');
    expect(await ruleOf('SELECT distrag.count(*) FROM universities')).toBe('function-not-allowed');
  });

  it('allows the SQL keywords that parse to calls, and the date/time niladic functions only', async () => {
    const sql = "SELECT EXTRACT(YEAR FROM enrolled_on), SUBSTRING(email FROM 1 FOR 3), POSITION('@' IN email), OVERLAY(email PLACING 'x' FROM 1), enrolled_on::timestamptz AT TIME ZONE 'UTC', email SIMILAR TO '%edu', email LIKE 'a!%' ESCAPE '!', current_date, current_timestamp(0), localtime FROM students";
    expect(await guardSql(sql, DEMO)).toEqual({ safe: true, tables: ['public.students'] });
    for (const niladic of ['session_user', 'current_role', 'current_schema', 'current_catalog', 'user', 'system_user']) {
      expect(await ruleOf(`SELECT ${niladic}`)).toBe('function-not-allowed');
    }
    expect(await ruleOf("SELECT COLLATION FOR ('x')")).toBe('function-not-allowed');
  });

  it('allows generate_series and unnest in FROM, but not a scalar function there', async () => {
    expect(await guardSql('SELECT * FROM ROWS FROM (unnest(ARRAY[1, 2]), generate_series(1, 1000000000)) WITH ORDINALITY', DEMO)).toEqual({ safe: true, tables: [] });
    expect(await ruleOf("SELECT * FROM lower('X')")).toBe('table-function-not-allowed');
  });

  it('allows casts to ordinary types and arrays of them, refuses reg* and others, wherever the type is written', async () => {
    expect(await ruleOf("SELECT 1::int2, 2::bigint, 3::real, 4::double precision, 'a'::varchar(3), 'b'::char(2), true::boolean, now()::time, '{}'::jsonb, '[]'::json, ARRAY['1']::int[], 'x'::text[], gen_uuid::uuid FROM (SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS gen_uuid) g")).toBe('safe');
    expect(await ruleOf("SELECT ARRAY['pg_authid']::regclass[]")).toBe('catalog-type-cast');
    expect(await ruleOf("SELECT 'x'::regnamespace")).toBe('catalog-type-cast');
    expect(await ruleOf('SELECT 1::oid')).toBe('type-not-allowed');
    expect(await ruleOf("SELECT 'x'::public.mood")).toBe('type-not-allowed');
    expect(await ruleOf('SELECT CAST(1 AS "INT4")')).toBe('type-not-allowed');
    expect(await ruleOf('SELECT xmlserialize(content name AS text) FROM universities')).toBe('unsupported-syntax');
  });

  it('reports the first hostile node in a safe-looking statement, however deep', async () => {
    const deep = `SELECT name FROM universities WHERE university_id IN (SELECT university_id FROM students WHERE gpa > (SELECT avg(gpa) FROM students WHERE EXISTS (SELECT 1 FROM enrollments WHERE grade = (SELECT CASE WHEN true THEN current_setting('distrag.tenant') END))))`;
    const verdict = await guardSql(deep, DEMO);
    expect(verdict).toMatchObject({ safe: false, rule: 'function-not-allowed' });
    expect((verdict as Extract<GuardVerdict, { safe: false }>).reason).toContain('current_setting');
  });

  it('allows the rarer read-only SELECT syntax', async () => {
    const sqls = [
      'SELECT country, city, count(*), GROUPING(country, city) FROM universities GROUP BY ROLLUP (country, city)',
      'SELECT country, count(*) FROM universities GROUP BY CUBE (country), GROUPING SETS ((city), ())',
      'SELECT DISTINCT ON (department_id) department_id, first_name FROM students ORDER BY department_id, gpa DESC FETCH FIRST 5 ROWS WITH TIES',
      'SELECT avg(gpa) OVER (ORDER BY enrolled_on ROWS BETWEEN 3 PRECEDING AND CURRENT ROW EXCLUDE TIES) FROM students',
      'SELECT * FROM students WHERE gpa BETWEEN SYMMETRIC 3 AND 2 AND department_id IS DISTINCT FROM NULL AND (university_id, student_id) > (1, 2)',
      `SELECT (ARRAY[1, 2, 3])[1:2], '{"a": 1}'::jsonb -> 'a', '{"a": 1}'::jsonb ->> 'a', '{}' IS JSON OBJECT, ROW(1, 'a')`,
      "SELECT first_name FROM students WHERE last_name = ANY (ARRAY['Ng', 'Li']) AND email !~* 'test' AND first_name COLLATE \"C\" < 'M'",
      'WITH RECURSIVE t(n) AS MATERIALIZED (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SEARCH DEPTH FIRST BY n SET ord CYCLE n SET looped USING path SELECT * FROM t',
      'SELECT count(*) FROM students s LEFT JOIN LATERAL unnest(ARRAY[s.gpa]) AS g(v) ON true NATURAL FULL JOIN courses',
    ];
    for (const sql of sqls) expect([sql, await ruleOf(sql)]).toEqual([sql, 'safe']);
  });

  it('refuses repeat: one call can ask for a gigabyte of memory', async () => {
    expect(await ruleOf("SELECT repeat('x', 1000000000)")).toBe('function-not-allowed');
  });

  it("passes the parser's message on a syntax error", async () => {
    expect(await guardSql('SELECT FROM WHERE', DEMO)).toEqual({ safe: false, rule: 'syntax', reason: expect.stringContaining('syntax error at or near "WHERE"') });
  });
});
