import type { SchemaIndex } from './retrieve/schema-index.js';
import { withForeignKeyNeighbours } from './retrieve/schema-index.js';
import { summarizeTable } from './retrieve/summarize-table.js';
import type { TableInfo } from './retrieve/table-info.js';

/** Tables put into a prompt at most (retrieved ones and their foreign-key neighbours). */
export const MAX_PROMPT_TABLES = 12;

/**
 * The tables a question's prompt describes: the top-k the schema index finds among the readable
 * ones, then their foreign-key neighbours (joins need them), readable ones only. Without an index
 * (no embedder loaded), the readable tables in catalog order, up to the cap.
 */
export async function retrieveTables(
  catalog: ReadonlyMap<string, TableInfo>,
  index: SchemaIndex | null,
  question: string,
  readable: ReadonlySet<string>,
  k: number,
): Promise<{ tables: string[]; summaries: string[] }> {
  const known = new Map([...catalog].filter(([name]) => readable.has(name)));
  const ranked = index ? (await index.search(question, { k, visible: readable })).map((h) => h.name) : [...known.keys()];
  const names = withForeignKeyNeighbours(ranked, known, MAX_PROMPT_TABLES).filter((name) => known.has(name)).slice(0, MAX_PROMPT_TABLES);
  return { tables: names, summaries: names.map((name) => summarizeTable(known.get(name)!)) };
}
