import { ALLOWED_FUNCTIONS, ALLOWED_TABLE_FUNCTIONS, ALLOWED_TABLESAMPLE_METHODS, ALLOWED_VALUE_FUNCTIONS } from './allowed-functions.js';
import { ALLOWED_NODES, DATA_MODIFYING_STATEMENTS } from './allowed-nodes.js';
import { ALLOWED_TYPES, CATALOG_TYPES } from './allowed-types.js';
import { GuardRefusal } from './guard-refusal.js';
import type { GuardScope } from './guard-sql.js';
import { nodeName } from './node-name.js';
import { resolveTable, type TableReference } from './resolve-table.js';

type Node = Record<string, unknown>;

/** Names of the CTEs visible at a point of the statement. */
type CteScope = ReadonlySet<string>;

const LOCKING_STRENGTHS: Readonly<Record<string, string>> = {
  LCS_FORKEYSHARE: 'FOR KEY SHARE',
  LCS_FORSHARE: 'FOR SHARE',
  LCS_FORNOKEYUPDATE: 'FOR NO KEY UPDATE',
  LCS_FORUPDATE: 'FOR UPDATE',
};

/**
 * Checks one parsed statement (`{ SelectStmt: … }`, as libpg_query gives it) against the guard's
 * rules and returns the qualified tables it reads, sorted; throws a GuardRefusal otherwise.
 *
 * The walk visits every object and array of the tree, whatever field holds it, so a call or a
 * table in an unusual place (ORDER BY, FILTER, a window, VALUES, LATERAL, a typmod) is seen like
 * any other. Node tags are checked against an allow-list; the few sub-structures the parser
 * leaves untagged are recognised by shape (`relname`: a table) or by field (`typeName`: a type,
 * `larg`/`rarg`: a set operation's branches).
 */
export function inspectStatement(statement: Node, scope: GuardScope): string[] {
  const tag = Object.keys(statement)[0] ?? '';
  if (tag !== 'SelectStmt') throw new GuardRefusal('not-a-select', nodeName(tag));
  const tables = new Set<string>();
  visit(statement, new Set(), { scope, tables });
  return [...tables].sort();
}

interface Walk {
  scope: GuardScope;
  tables: Set<string>;
}

function visit(value: unknown, ctes: CteScope, walk: Walk): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, ctes, walk);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const node = value as Node;
  if (typeof node.relname === 'string') readTable(node as unknown as TableReference, ctes, walk);
  for (const [key, child] of Object.entries(node)) {
    if (/^[A-Z]/.test(key)) {
      visitTagged(key, child as Node, ctes, walk);
      continue;
    }
    if (key === 'typeName') checkType(child as Node);
    visit(child, ctes, walk);
  }
}

function visitTagged(tag: string, body: Node, ctes: CteScope, walk: Walk): void {
  if (!ALLOWED_NODES.has(tag)) throw refusalFor(tag, body);
  switch (tag) {
    case 'SelectStmt':
      return visitSelect(body, ctes, walk);
    case 'FuncCall':
      checkFunction(body.funcname, ALLOWED_FUNCTIONS, 'function-not-allowed');
      break;
    case 'RangeFunction':
      for (const item of (body.functions as Node[] | undefined) ?? []) {
        const call = ((item.List as Node | undefined)?.items as Node[] | undefined)?.[0]?.FuncCall as Node | undefined;
        if (!call) throw new GuardRefusal('table-function-not-allowed', 'this expression');
        checkFunction(call.funcname, ALLOWED_TABLE_FUNCTIONS, 'table-function-not-allowed');
      }
      break;
    case 'SQLValueFunction':
      if (!ALLOWED_VALUE_FUNCTIONS.has(String(body.op))) throw new GuardRefusal('function-not-allowed', String(body.op).replace(/^SVFOP_/, '').replace(/_N$/, '').toLowerCase());
      break;
    case 'RangeTableSample': {
      const method = names(body.method).join('.');
      if (!ALLOWED_TABLESAMPLE_METHODS.has(method)) throw new GuardRefusal('function-not-allowed', `${method} (a TABLESAMPLE method)`);
      break;
    }
    case 'A_Expr':
      checkOperator(body.name);
      break;
    case 'SortBy':
      checkOperator(body.useOp);
      break;
    case 'SubLink':
      checkOperator(body.operName);
      break;
    case 'TypeName':
      checkType(body);
      break;
  }
  visit(body, ctes, walk);
}

/** A tag off the allow-list: the most specific rule that names it. */
function refusalFor(tag: string, body: Node): GuardRefusal {
  if (tag === 'ParamRef') return new GuardRefusal('parameter', `$${String(body.number ?? '')}`);
  if (tag === 'IntoClause') return new GuardRefusal('select-into');
  if (tag === 'LockingClause') return new GuardRefusal('locking-clause', LOCKING_STRENGTHS[String(body.strength)] ?? 'FOR …');
  if (DATA_MODIFYING_STATEMENTS.has(tag)) return new GuardRefusal('data-modifying-cte', nodeName(tag));
  if (tag.endsWith('Stmt')) return new GuardRefusal('not-a-select', nodeName(tag));
  return new GuardRefusal('unsupported-syntax', nodeName(tag));
}

/**
 * A SELECT (or a set operation's branch, which the parser leaves untagged), with CTE scoping: a
 * CTE is visible to the body and, under WITH RECURSIVE, to every CTE of its clause; without
 * RECURSIVE only to the CTEs after it. Names never leak out of the SELECT that declares them.
 */
function visitSelect(select: Node, ctes: CteScope, walk: Walk): void {
  if (select.intoClause) throw new GuardRefusal('select-into');
  const locking = (select.lockingClause as Node[] | undefined)?.[0]?.LockingClause as Node | undefined;
  if (select.lockingClause) throw new GuardRefusal('locking-clause', LOCKING_STRENGTHS[String(locking?.strength)] ?? 'FOR …');

  let visible = ctes;
  const withClause = select.withClause as Node | undefined;
  if (withClause) {
    const declared = ((withClause.ctes as Node[] | undefined) ?? []).map((item) => item.CommonTableExpr as Node | undefined);
    for (const cte of declared) {
      const queryTag = Object.keys((cte?.ctequery as Node | undefined) ?? {})[0] ?? '';
      if (DATA_MODIFYING_STATEMENTS.has(queryTag)) throw new GuardRefusal('data-modifying-cte', nodeName(queryTag));
    }
    const names = declared.map((cte) => String(cte?.ctename));
    if (withClause.recursive) visible = new Set([...visible, ...names]);
    for (const [i, cte] of declared.entries()) {
      visitTagged('CommonTableExpr', cte ?? {}, visible, walk);
      if (!withClause.recursive) visible = new Set([...visible, names[i]!]);
    }
  }
  for (const [key, child] of Object.entries(select)) {
    if (key === 'withClause') continue;
    if (key === 'larg' || key === 'rarg') visitSelect(child as Node, visible, walk);
    else visit(child, visible, walk);
  }
}

function readTable(ref: TableReference, ctes: CteScope, walk: Walk): void {
  if (ref.schemaname === undefined && ref.catalogname === undefined && ctes.has(ref.relname)) return;
  walk.tables.add(resolveTable(ref, walk.scope));
}

/** The names of a list of String nodes (a qualified function, type or operator name). */
function names(list: unknown): string[] {
  return ((list as Node[] | undefined) ?? []).map((item) => {
    const name = (item.String as { sval?: unknown } | undefined)?.sval;
    if (typeof name !== 'string') throw new GuardRefusal('unsupported-syntax', 'A computed name');
    return name;
  });
}

/** The name of a routine or type PostgreSQL would look up in pg_catalog, or null when qualified otherwise. */
function catalogName(parts: string[]): string | null {
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 2 && parts[0] === 'pg_catalog') return parts[1]!;
  return null;
}

function checkFunction(funcname: unknown, allowed: ReadonlySet<string>, rule: 'function-not-allowed' | 'table-function-not-allowed'): void {
  const parts = names(funcname);
  const name = catalogName(parts);
  if (name === null || !allowed.has(name)) throw new GuardRefusal(rule, parts.join('.'));
}

/** Built-in operators only: unqualified or OPERATOR(pg_catalog.…). */
function checkOperator(operator: unknown): void {
  if (operator === undefined) return;
  const parts = names(operator);
  if (catalogName(parts) === null) throw new GuardRefusal('operator-not-allowed', `OPERATOR(${parts.join('.')})`);
}

function checkType(typeName: Node): void {
  const parts = names(typeName.names);
  const written = parts.join('.');
  if (typeName.pct_type) throw new GuardRefusal('unsupported-syntax', '%TYPE');
  if (typeName.setof) throw new GuardRefusal('unsupported-syntax', 'SETOF');
  const name = catalogName(parts);
  if (name !== null && CATALOG_TYPES.has(name)) throw new GuardRefusal('catalog-type-cast', written);
  if (name === null || !ALLOWED_TYPES.has(name)) throw new GuardRefusal('type-not-allowed', written);
}
