import { describe, expect, it } from 'vitest';
import { demoTables } from '../src/seed/demo-data.js';
import { toCopyLine } from '../src/seed/load-demo-data.js';

const count = (scale: number) => Object.fromEntries(demoTables(scale).map((t) => [t.table, [...t.rows()].length]));

describe('demo data generator', () => {
  it('produces the scale-1 data set of the contract', () => {
    expect(count(1)).toEqual({ universities: 20, departments: 200, students: 10_000, courses: 1_000, enrollments: 50_000 });
  });

  it('grows linearly with the scale', () => {
    expect(count(2)).toEqual({ universities: 40, departments: 400, students: 20_000, courses: 2_000, enrollments: 100_000 });
  });

  it('is deterministic', () => {
    const a = demoTables(0.1).map((t) => [...t.rows()]);
    const b = demoTables(0.1).map((t) => [...t.rows()]);
    expect(a).toEqual(b);
  });

  it('keeps primary keys unique, including enrollments', () => {
    for (const table of demoTables(0.5)) {
      const keyWidth = { universities: 1, departments: 2, students: 2, courses: 2, enrollments: 4 }[table.table];
      const keys = new Set([...table.rows()].map((r) => r.slice(0, keyWidth).join('|')));
      expect(keys.size, table.table).toBe(table.count);
    }
  });

  it('escapes COPY text format', () => {
    expect(toCopyLine([1, 'a\tb', null, 'back\\slash\nnew'])).toBe('1\ta\\tb\t\\N\tback\\\\slash\\nnew\n');
  });
});
