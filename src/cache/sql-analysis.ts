import { loadModule, parseSync, scanSync } from 'libpg-query';

/** A constant written in a cached SQL statement: where it is, and what it holds. */
export interface SqlConstant {
  kind: 'string' | 'integer' | 'float';
  /** The value (strings unescaped; numbers as written, sign included). */
  value: string;
  /** Byte offsets of the constant's text in the statement (UTF-8). */
  start: number;
  end: number;
  /** Inside LIMIT or OFFSET. */
  inLimit: boolean;
  /** The string of a typed literal (`DATE '2014-01-01'`, `INTERVAL '1 day'`): PostgreSQL takes no parameter there. */
  typed: boolean;
}

export interface SqlAnalysis {
  sql: string;
  constants: SqlConstant[];
  /** Tables (and views) the statement reads, `schema.table`, unqualified names taken as `public`. */
  tables: string[];
  /** Words of the table and column names it uses (`number_products` → number, products), lower-case. */
  schemaWords: string[];
  /** Column names it uses (the last part of each reference), lower-case, sorted. */
  columns: string[];
  /** Column names in its result (the select list; of the first branch of a UNION/INTERSECT/EXCEPT). */
  outputColumns: string[];
  /** Whether it has a GROUP BY (at any level). */
  grouped: boolean;
  /** Functions it calls (`count`, `avg`, `max`, …), lower-case, sorted. */
  functions: string[];
}

export class SqlAnalysisError extends Error {
  override name = 'SqlAnalysisError';
}

let parserReady: Promise<void> | null = null;

/** Loads PostgreSQL's parser (WebAssembly) once; the analysis below is synchronous after it. */
export function prepareSqlParser(): Promise<void> {
  parserReady ??= loadModule();
  return parserReady;
}

type Node = Record<string, unknown>;

/**
 * Parses one read-only SELECT with PostgreSQL's parser and lists its constants and the tables it
 * reads. Anything else (several statements, writes, SELECT … INTO, FOR UPDATE, parameters) is
 * refused: the cache stores only what can be replayed as a read.
 */
export function analyzeSql(sql: string): SqlAnalysis {
  let tree: { stmts?: Array<{ stmt?: Node }> };
  try {
    tree = parseSync(sql) as typeof tree;
  } catch (error) {
    throw new SqlAnalysisError(`the SQL does not parse: ${error instanceof Error ? error.message : String(error)}`);
  }
  const statements = tree.stmts ?? [];
  if (statements.length !== 1) throw new SqlAnalysisError(`expected one SQL statement, found ${statements.length}`);
  const select = statements[0]!.stmt?.SelectStmt as Node | undefined;
  if (!select) throw new SqlAnalysisError(`expected a SELECT statement, found ${Object.keys(statements[0]!.stmt ?? {})[0] ?? 'nothing'}`);
  if (containsKey(select, 'intoClause') || containsKey(select, 'lockingClause')) throw new SqlAnalysisError('SELECT … INTO and SELECT … FOR UPDATE/SHARE are not read-only');
  if (containsKey(select, 'ParamRef')) throw new SqlAnalysisError('the SQL has parameters ($1 …); a cached statement must be complete');

  const bytes = Buffer.from(sql, 'utf8');
  const tokenEnds = new Map(scanSync(sql).tokens.map((t) => [t.start, t.end]));
  const constants: SqlConstant[] = [];
  const limitRanges = collectLimitNodes(select);
  const typedConstants = collectTypedLiterals(select);
  walk(select, (node) => {
    const constant = node.A_Const as Node | undefined;
    if (!constant || typeof constant.location !== 'number') return;
    const read = readConstant(constant);
    if (!read) return;
    const start = constant.location;
    let end = tokenEnds.get(start);
    // A negative number is folded into one constant located at its minus sign.
    if (bytes[start] === 0x2d /* - */) end = tokenEnds.get(nextTokenStart(tokenEnds, start + 1)) ?? end;
    if (end === undefined) return;
    constants.push({ ...read, start, end, inLimit: limitRanges.has(constant), typed: typedConstants.has(constant) });
  });
  constants.sort((a, b) => a.start - b.start);
  return { sql, constants, tables: tablesRead(select), schemaWords: schemaWordsOf(select), columns: columnsUsed(select), outputColumns: outputColumns(select), grouped: containsKey(select, 'groupClause'), functions: functionsCalled(select) };
}

function readConstant(constant: Node): Pick<SqlConstant, 'kind' | 'value'> | null {
  if (constant.isnull) return null;
  const sval = constant.sval as { sval?: string } | undefined;
  if (sval) return { kind: 'string', value: sval.sval ?? '' };
  const ival = constant.ival as { ival?: number } | undefined;
  if (ival) return { kind: 'integer', value: String(ival.ival ?? 0) };
  const fval = constant.fval as { fval?: string } | undefined;
  if (fval) return { kind: 'float', value: fval.fval ?? '0' };
  return null; // booleans and bit strings: never a question's literal
}

function collectLimitNodes(select: Node): Set<unknown> {
  const found = new Set<unknown>();
  walk(select, (node) => {
    for (const key of ['limitCount', 'limitOffset']) {
      const sub = node[key];
      if (sub && typeof sub === 'object') walk(sub as Node, (n) => void (n.A_Const && found.add(n.A_Const)));
    }
  });
  return found;
}

/**
 * Constants of the `type 'string'` form, told from `'string'::type` and CAST by the type name
 * coming first. (libpg_query itself parses `DATE $1`, which a server refuses.)
 */
function collectTypedLiterals(select: Node): Set<unknown> {
  const found = new Set<unknown>();
  walk(select, (node) => {
    const cast = node.TypeCast as { arg?: Node; typeName?: { location?: number } } | undefined;
    const constant = cast?.arg?.A_Const as Node | undefined;
    if (constant && typeof constant.location === 'number' && (cast?.typeName?.location ?? Infinity) < constant.location) found.add(constant);
  });
  return found;
}

function tablesRead(select: Node): string[] {
  const cteNames = new Set<string>();
  walk(select, (node) => {
    const cte = node.CommonTableExpr as Node | undefined;
    if (cte && typeof cte.ctename === 'string') cteNames.add(cte.ctename);
  });
  const tables = new Set<string>();
  walk(select, (node) => {
    const range = node.RangeVar as Node | undefined;
    if (!range || typeof range.relname !== 'string') return;
    if (!range.schemaname && cteNames.has(range.relname)) return;
    tables.add(`${typeof range.schemaname === 'string' ? range.schemaname : 'public'}.${range.relname}`);
  });
  return [...tables].sort();
}

function schemaWordsOf(select: Node): string[] {
  const names: string[] = [];
  walk(select, (node) => {
    const range = node.RangeVar as Node | undefined;
    if (range && typeof range.relname === 'string') names.push(range.relname);
    const last = lastColumnField(node);
    if (last) names.push(last);
  });
  return [...new Set(names.flatMap((n) => identifierWords(n)))].sort();
}

function columnsUsed(select: Node): string[] {
  const names = new Set<string>();
  walk(select, (node) => {
    const name = lastColumnField(node);
    if (name) names.add(name.toLowerCase());
  });
  return [...names].sort();
}

function lastColumnField(node: Node): string | undefined {
  const column = node.ColumnRef as { fields?: Array<{ String?: { sval?: string } }> } | undefined;
  return column?.fields?.at(-1)?.String?.sval;
}

function outputColumns(select: Node): string[] {
  let branch = select;
  while (branch.larg && typeof branch.larg === 'object') branch = branch.larg as Node;
  const names = new Set<string>();
  walk(branch.targetList ?? [], (node) => {
    const name = lastColumnField(node);
    if (name) names.add(name);
  });
  return [...names].sort();
}

function functionsCalled(select: Node): string[] {
  const names = new Set<string>();
  walk(select, (node) => {
    const call = node.FuncCall as { funcname?: Array<{ String?: { sval?: string } }> } | undefined;
    const name = call?.funcname?.at(-1)?.String?.sval;
    if (name) names.add(name.toLowerCase());
  });
  return [...names].sort();
}

/** `number_products`, `NumberProducts`, `numberProducts` → number, products (generic words dropped unless in `keep`). */
export function identifierWords(name: string, keep: ReadonlySet<string> = new Set()): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1 && !/^\d+$/.test(w) && (keep.has(w) || !GENERIC_IDENTIFIER_WORDS.has(w)));
}

/** Words in column names that say nothing about which data a question is about. */
const GENERIC_IDENTIFIER_WORDS = new Set(['of', 'in', 'the', 'a', 'an', 'by', 'to', 'at', 'on', 'for', 'and', 'or', 'is', 'has', 'id', 'ids', 'name', 'names', 'number', 'code', 'count', 'total', 'value', 'date', 'details', 'detail', 'info', 'description', 'first', 'last', 'other']);

function nextTokenStart(tokenEnds: Map<number, number>, from: number): number {
  const starts = [...tokenEnds.keys()].filter((s) => s >= from).sort((a, b) => a - b);
  return starts[0] ?? -1;
}

function walk(node: unknown, visit: (node: Node) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  visit(node as Node);
  for (const value of Object.values(node)) if (value && typeof value === 'object') walk(value, visit);
}

function containsKey(node: unknown, key: string): boolean {
  let found = false;
  walk(node, (n) => {
    if (key in n) found = true;
  });
  return found;
}
