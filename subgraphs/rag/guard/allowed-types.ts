/**
 * Types a cast (`::t`, `CAST(… AS t)`, `t 'literal'`) may name, unqualified or
 * `pg_catalog.`-qualified, as the parser gives them (`int` → int4, `boolean` → bool,
 * `double precision` → float8, `char(n)` → bpchar, `timestamp with time zone` → timestamptz).
 * Arrays of these are allowed too.
 */
export const ALLOWED_TYPES: ReadonlySet<string> = new Set([
  'int2', 'int4', 'int8', 'smallint', 'integer', 'int', 'bigint', 'numeric', 'decimal', 'float4',
  'float8', 'real', 'text', 'varchar', 'bpchar', 'char', 'bool', 'boolean', 'date', 'time',
  'timetz', 'timestamp', 'timestamptz', 'interval', 'json', 'jsonb', 'uuid',
]);

/**
 * Object-identifier alias types: a cast to one of them looks a name up in the system catalogs
 * (`'pg_authid'::regclass`), so they get a rule of their own.
 */
export const CATALOG_TYPES: ReadonlySet<string> = new Set([
  'regclass', 'regcollation', 'regconfig', 'regdictionary', 'regnamespace', 'regoper',
  'regoperator', 'regproc', 'regprocedure', 'regrole', 'regtype',
]);
