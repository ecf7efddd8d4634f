import { describe, expect, it } from 'vitest';
import { readSqlFile, MIGRATIONS } from '../src/db/bootstrap/migrations.js';
import { splitStatements } from '../src/db/split-statements.js';

/** Migration files reach a Citus coordinator one statement per query (Citus forwards whole query strings). */
describe('splitStatements', () => {
  it('splits on the statements PostgreSQL sees, keeping dollar-quoted bodies and strings whole (comments between statements dropped)', async () => {
    const text = `-- a comment; with a semicolon
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$;
SELECT 'a;b' AS "x;y"; /* c; d */ SELECT 2;
INSERT INTO t VALUES ('é — ü');`;
    expect(await splitStatements(text)).toEqual([
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$',
      `SELECT 'a;b' AS "x;y"`,
      'SELECT 2',
      `INSERT INTO t VALUES ('é — ü')`,
    ]);
  });

  it('refuses text that is not SQL, with the parser\'s message', async () => {
    await expect(splitStatements('SELEC 1')).rejects.toThrow(/syntax error at or near "SELEC"/);
  });

  it('reads every migration file as statements', async () => {
    const files = MIGRATIONS.flatMap((m) => ('sqlFile' in m.apply ? [m.apply.sqlFile] : []));
    expect(files.length, 'migrations that are SQL files').toBeGreaterThan(0);
    for (const file of files) {
      const statements = await readSqlFile(file);
      expect(statements.length, file).toBeGreaterThan(0);
      expect(statements.filter((s) => /;\s*$/.test(s)), file).toEqual([]);
    }
  });
});
