import { parse } from 'libpg-query';
import { constantText } from './sql-shape.js';

/** A column as a query names it: `qualifier` is a table name or alias, lower case as PostgreSQL folds it. */
export interface ColumnName {
  qualifier: string | null;
  name: string;
}

/** One constant of a statement, where it is in the text, and what it is compared with. */
export interface SqlConstant {
  text: string;
  kind: 'number' | 'string';
  /** Byte offset of the constant's token in the statement's UTF-8 text. */
  location: number;
  /** Whether it is a LIMIT or OFFSET count. */
  limit: boolean;
  /** The column it is compared with by =, <>, <, <=, > or >= (either side), if it is. */
  column: ColumnName | null;
}

/** What a statement reads from: each table reference with its alias (both lower case). */
export interface TableReference {
  name: string;
  alias: string | null;
}

const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

/** The constants and table references of a statement, from PostgreSQL's parse tree; null when it does not parse. */
export async function sqlConstants(sql: string): Promise<{ constants: SqlConstant[]; tables: TableReference[] } | null> {
  let stmts: unknown;
  try {
    stmts = (await parse(sql)).stmts;
  } catch {
    return null;
  }
  const constants = new Map<number, SqlConstant>();
  const limits = new Set<number>();
  const columns = new Map<number, ColumnName>();
  const tables: TableReference[] = [];
  walk(stmts, (key, node) => {
    if (key === 'A_Const') {
      const text = constantText(node);
      const location = node.location;
      if (text !== null && typeof location === 'number' && ('ival' in node || 'fval' in node || 'sval' in node)) {
        constants.set(location, { text, kind: 'sval' in node ? 'string' : 'number', location, limit: false, column: null });
      }
    } else if (key === 'SelectStmt') {
      for (const clause of [node.limitCount, node.limitOffset]) {
        const location = locationOfConstant(clause);
        if (location !== null) limits.add(location);
      }
    } else if (key === 'A_Expr' && node.kind === 'AEXPR_OP' && COMPARISONS.has(operatorOf(node))) {
      for (const [a, b] of [[node.lexpr, node.rexpr], [node.rexpr, node.lexpr]]) {
        const location = locationOfConstant(a);
        const column = columnOf(b);
        if (location !== null && column !== null) columns.set(location, column);
      }
    } else if (key === 'RangeVar' && typeof node.relname === 'string') {
      const alias = (node.alias as { aliasname?: string } | undefined)?.aliasname ?? null;
      tables.push({ name: node.relname.toLowerCase(), alias: alias?.toLowerCase() ?? null });
    }
  });
  const list = [...constants.values()].sort((a, b) => a.location - b.location);
  return { constants: list.map((c) => ({ ...c, limit: limits.has(c.location), column: columns.get(c.location) ?? null })), tables };
}

type Visit = (key: string, node: Record<string, unknown>) => void;

function walk(node: unknown, visit: Visit): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, child] of Object.entries(node)) {
    if (child !== null && typeof child === 'object' && !Array.isArray(child)) visit(key, child as Record<string, unknown>);
    walk(child, visit);
  }
}

function locationOfConstant(node: unknown): number | null {
  const constant = (node as { A_Const?: { location?: number } } | undefined)?.A_Const;
  return typeof constant?.location === 'number' ? constant.location : null;
}

function operatorOf(expr: Record<string, unknown>): string {
  const name = expr.name as Array<{ String?: { sval?: string } }> | undefined;
  return name?.at(-1)?.String?.sval ?? '';
}

function columnOf(node: unknown): ColumnName | null {
  const fields = (node as { ColumnRef?: { fields?: Array<{ String?: { sval?: string } }> } } | undefined)?.ColumnRef?.fields;
  const names = fields?.map((f) => f.String?.sval);
  if (!names || names.some((n) => n === undefined)) return null;
  if (names.length === 1) return { qualifier: null, name: names[0]!.toLowerCase() };
  if (names.length === 2) return { qualifier: names[0]!.toLowerCase(), name: names[1]!.toLowerCase() };
  return null;
}
