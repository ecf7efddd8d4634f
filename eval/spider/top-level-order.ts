import { parse } from 'libpg-query';

/**
 * Whether a statement sorts its final result (an ORDER BY at its top level, also one applied to a
 * UNION), so that row order is part of its answer. False for text PostgreSQL's parser refuses.
 */
export async function hasTopLevelOrderBy(sql: string): Promise<boolean> {
  try {
    const { stmts } = (await parse(sql)) as { stmts: Array<{ stmt?: { SelectStmt?: { sortClause?: unknown[] } } }> };
    return (stmts[0]?.stmt?.SelectStmt?.sortClause?.length ?? 0) > 0;
  } catch {
    return false;
  }
}
