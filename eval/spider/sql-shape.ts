import { parse } from 'libpg-query';

/** How constants appear in a shape: by their text, or all alike (the query's template). */
export type ConstantsAs = 'text' | 'placeholder';

/**
 * A statement reduced to what its meaning depends on, as a string two statements can be compared
 * by: PostgreSQL's parse tree without source locations, every constant as its text (`20`, `'20'`
 * and `$1` bound to "20" are alike; a cast on a constant or parameter is dropped), `$n` replaced by
 * `params[n-1]`. Null when the text does not parse.
 */
export async function sqlShape(sql: string, options: { params?: readonly string[]; constants?: ConstantsAs } = {}): Promise<string | null> {
  let tree: unknown;
  try {
    tree = (await parse(sql)).stmts;
  } catch {
    return null;
  }
  return JSON.stringify(reduce(tree, options.params ?? [], options.constants ?? 'text'));
}

/** The text of an A_Const node's value, or null for NULL. */
export function constantText(node: Record<string, unknown>): string | null {
  // Protobuf's JSON omits default values: 0 is `{ ival: {} }`, '' is `{ sval: {} }`.
  const field = (key: string, inner: string) => (node[key] as Record<string, unknown> | undefined)?.[inner];
  if ('ival' in node) return String(field('ival', 'ival') ?? 0);
  if ('fval' in node) return String(field('fval', 'fval') ?? '0');
  if ('sval' in node) return String(field('sval', 'sval') ?? '');
  if ('boolval' in node) return String(field('boolval', 'boolval') ?? false);
  if ('bsval' in node) return String(field('bsval', 'bsval') ?? '');
  return null;
}

function reduce(node: unknown, params: readonly string[], constants: ConstantsAs): unknown {
  if (Array.isArray(node)) return node.map((n) => reduce(n, params, constants));
  if (node === null || typeof node !== 'object') return node;
  const value = constantOf(node as Record<string, unknown>, params);
  if (value !== undefined) return { CONST: constants === 'text' || value === null ? value : '?' };
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(node)) {
    if (key === 'location' || key === 'stmt_location' || key === 'stmt_len') continue;
    out[key] = reduce(child, params, constants);
  }
  return out;
}

/** A constant's text when `node` wraps one (A_Const, a bound ParamRef, either under a TypeCast); else undefined. */
function constantOf(node: Record<string, unknown>, params: readonly string[]): string | null | undefined {
  const cast = node.TypeCast as Record<string, unknown> | undefined;
  if (cast?.arg !== undefined && typeof cast.arg === 'object' && cast.arg !== null) {
    const inner = constantOf(cast.arg as Record<string, unknown>, params);
    if (inner !== undefined) return inner;
  }
  const constant = node.A_Const as Record<string, unknown> | undefined;
  if (constant !== undefined) return constantText(constant);
  const param = node.ParamRef as { number?: number } | undefined;
  if (param !== undefined) return params[(param.number ?? 0) - 1];
  return undefined;
}
