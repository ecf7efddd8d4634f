import { summarizeTable } from '../../subgraphs/rag/retrieve/summarize-table.js';
import type { TableInfo } from '../../subgraphs/rag/retrieve/table-info.js';
import type { RetrievalVariant } from './evaluate-retrieval.js';

/** The baseline document: the qualified table name and its column names, as the catalog spells them. */
export function namesAndColumns(table: TableInfo): string {
  return `${table.name}: ${table.columns.map((c) => c.name).join(', ')}`;
}

/** The ablations the eval reports: what each part of table retrieval adds (the last is what the ask path uses). */
export function retrievalVariants(bm25Weight: number, neighbourWeight: number): RetrievalVariant[] {
  return [
    { id: 'names', label: 'name + columns only', summarize: namesAndColumns, bm25Weight: 0, neighbourWeight: 0 },
    { id: 'summary', label: 'full summary', summarize: summarizeTable, bm25Weight: 0, neighbourWeight: 0 },
    { id: 'summary-bm25', label: `full summary + BM25 (${bm25Weight})`, summarize: summarizeTable, bm25Weight, neighbourWeight: 0 },
    {
      id: 'summary-bm25-neighbours',
      label: `full summary + BM25 (${bm25Weight}) + FK neighbours (${neighbourWeight})`,
      summarize: summarizeTable,
      bm25Weight,
      neighbourWeight,
    },
  ];
}
