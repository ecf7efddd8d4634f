import { describe, expect, it } from 'vitest';
import { diffCitusTables, type CitusTableState } from '../src/feed/citus-table-watcher.js';
import { logicalConstraintName, restoreCitusErrorFields } from '../subgraphs/data/execution/citus-error-fields.js';

const distributed = (name: string, colocation = 1): CitusTableState => ({ name, kind: 'distributed', column: 'university_id', colocation });

describe("Citus's table functions as schema changes", () => {
  it('names what changed between two readings of the metadata, and nothing else', () => {
    const known = { '1': distributed('public.a'), '2': { name: 'public.r', kind: 'reference', column: null, colocation: 2 } as CitusTableState, '3': distributed('public.gone'), '4': distributed('public.undone') };
    const current = { '1': distributed('public.a'), '2': { name: 'public.r', kind: 'reference', column: null, colocation: 2 } as CitusTableState, '5': distributed('public.new'), '6': { name: 'public.ref', kind: 'reference', column: null, colocation: 3 } as CitusTableState, '7': { name: 'public.local', kind: 'local', column: null, colocation: 0 } as CitusTableState };
    expect(diffCitusTables(known, current, new Set(['4']))).toEqual([
      { tag: 'SELECT create_distributed_table', name: 'public.new' },
      { tag: 'SELECT create_reference_table', name: 'public.ref' },
      { tag: 'SELECT citus_add_local_table_to_metadata', name: 'public.local' },
      { tag: 'SELECT undistribute_table', name: 'public.undone' },
    ]);
  });

  it('calls a new colocation or distribution column an alteration', () => {
    expect(diffCitusTables({ '1': distributed('public.a', 1) }, { '1': distributed('public.a', 9) }, new Set(['1']))).toEqual([{ tag: 'SELECT alter_distributed_table', name: 'public.a' }]);
    expect(diffCitusTables({ '1': distributed('public.a') }, { '1': distributed('public.a') }, new Set(['1']))).toEqual([]);
  });
});

describe("a Citus worker's errors, given back their fields", () => {
  const known = new Set(['students_pkey', 'students_department_fk', 'students_gpa_check', 'events_2024', 'events_2024_pkey']);

  it('reads the constraint or column from the message a worker sent, without the shard suffix', () => {
    const cases: Array<[string, string, Record<string, string>]> = [
      ['23505', 'duplicate key value violates unique constraint "students_pkey_102042"', { constraint: 'students_pkey' }],
      ['23503', 'insert or update on table "students_102042" violates foreign key constraint "students_department_fk_102042"', { constraint: 'students_department_fk' }],
      ['23514', 'new row for relation "students_102042" violates check constraint "students_gpa_check"', { constraint: 'students_gpa_check' }],
      ['23502', 'null value in column "first_name" of relation "students_102042" violates not-null constraint', { column: 'first_name' }],
    ];
    for (const [code, message, fields] of cases) expect(restoreCitusErrorFields({ code, message }, known)).toEqual({ code, message, ...fields });
  });

  it('leaves errors that carry their fields, other codes and unknown names alone', () => {
    expect(restoreCitusErrorFields({ code: '23505', message: 'unique constraint "x_1"', constraint: 'students_pkey' }, known).constraint).toBe('students_pkey');
    expect(restoreCitusErrorFields({ code: '42501', message: 'permission denied' }, known)).toEqual({ code: '42501', message: 'permission denied' });
    expect(logicalConstraintName('events_2024', known)).toBe('events_2024');
    expect(logicalConstraintName('events_2024_pkey_102077', known)).toBe('events_2024_pkey');
    expect(logicalConstraintName('unknown_102077', known)).toBe('unknown_102077');
  });
});
