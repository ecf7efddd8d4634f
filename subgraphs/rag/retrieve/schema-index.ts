import type { Collection } from 'chromadb';
import type { Embedder } from '../../../src/embed/embedder.js';
import type { Logger } from '../../../src/log/logger.js';
import { Bm25Index } from './bm25-index.js';
import { chromaClient, openCollection, readAllRecords, versionedCollectionName } from './chroma-collection.js';
import { rankTables, type TableEvidence } from './rank-tables.js';
import { summarizeTable } from './summarize-table.js';
import type { TableInfo } from './table-info.js';

export { withForeignKeyNeighbours } from './with-foreign-key-neighbours.js';

/** Version of the summaries' format: bump it when summarizeTable's output changes, so that the index is rebuilt. */
export const TABLE_SUMMARY_VERSION = 1;
/** Vector candidates asked of Chroma per result wanted (BM25 may reorder them), and at least this many. */
const CANDIDATES_PER_RESULT = 4;
const MIN_CANDIDATES = 20;
/** Above this many visible tables, the visibility filter runs after Chroma's query instead of in its where clause. */
const MAX_WHERE_NAMES = 500;
/**
 * Default share of the best foreign-key neighbour's score added to a table's (the ask path passes
 * DISTRAG_RAG_NEIGHBOUR_WEIGHT, same default): a question about teachers and courses needs the
 * table linking them, which it seldom names. Chosen with BM25 0.3 by `distrag eval retrieval`'s
 * leave-one-database-out choice on Spider dev (12 of 14 folds; held out 97.43% of questions with
 * every gold table in the top 3).
 */
export const DEFAULT_NEIGHBOUR_WEIGHT = 0.5;

export interface SchemaIndexOptions {
  chromaUrl: string;
  embedder: Embedder;
  /** Weight of the per-query normalised BM25 score in the fused score (0: cosine alone). */
  bm25Weight: number;
  log: Logger;
  /** Collection name prefix, for tests and evals. */
  namespace?: string;
  /** The text embedded per table (default summarizeTable); another function needs another namespace. */
  summarize?: (table: TableInfo) => string;
  /** Share of the best foreign-key neighbour's score added to a table's (0: none; default DEFAULT_NEIGHBOUR_WEIGHT). */
  neighbourWeight?: number;
}

type Phase = { kind: 'closed' } | { kind: 'opening'; ready: Promise<void> } | { kind: 'open'; collection: Collection };

/**
 * The tables of the catalog, each embedded as its summary in Chroma, searched by a question:
 * cosine similarity to the question's vector fused with BM25 over table and column words.
 * Tables, their vectors and the BM25 statistics are also held in memory (loaded from Chroma at
 * open), so that a search embeds the question and asks Chroma once.
 */
export class SchemaIndex {
  private phase: Phase = { kind: 'closed' };
  private readonly entries = new Map<string, { table: TableInfo; vector: Float32Array }>();
  private readonly bm25 = new Bm25Index();
  private readonly summarize: (table: TableInfo) => string;
  readonly collectionName: string;

  constructor(private readonly options: SchemaIndexOptions) {
    this.summarize = options.summarize ?? summarizeTable;
    this.collectionName = versionedCollectionName({ namespace: options.namespace, kind: 'tables', version: TABLE_SUMMARY_VERSION, embedderId: options.embedder.id });
  }

  /** Opens (or creates) the collection and loads what it holds; later calls wait for the first. */
  async open(): Promise<void> {
    switch (this.phase.kind) {
      case 'open':
        return;
      case 'opening':
        return this.phase.ready;
      case 'closed': {
        const ready = this.load().catch((error: unknown) => {
          this.phase = { kind: 'closed' };
          throw error;
        });
        this.phase = { kind: 'opening', ready };
        return ready;
      }
    }
  }

  /** Replaces everything indexed (a full reindex, e.g. on resync): new summaries first, then stale tables removed. */
  async replaceAll(tables: TableInfo[]): Promise<void> {
    const collection = await this.collection();
    const keep = new Set(tables.map((t) => t.name));
    if (tables.length > 0) await this.write(collection, tables);
    const stale = [...this.entries.keys()].filter((name) => !keep.has(name));
    if (stale.length > 0) await collection.delete({ ids: stale });
    for (const name of stale) this.forget(name);
    this.options.log.info({ tables: tables.length, removed: stale.length, collection: this.collectionName }, 'schema index rebuilt');
  }

  /** Indexes one table (on its DDL event), replacing what was indexed under its name. */
  async upsert(table: TableInfo): Promise<void> {
    await this.write(await this.collection(), [table]);
  }

  async remove(name: string): Promise<void> {
    const collection = await this.collection();
    await collection.delete({ ids: [name] });
    this.forget(name);
  }

  /** Tables indexed now. */
  tables(): TableInfo[] {
    return [...this.entries.values()].map((e) => e.table);
  }

  /** The text indexed for a table (what the prompt shows), or null when it is not indexed. */
  summaryOf(name: string): string | null {
    const entry = this.entries.get(name);
    return entry ? this.summarize(entry.table) : null;
  }

  /**
   * The `k` best of the `visible` tables for a question, best first, ranked by rankTables with
   * this index's weights: cosine fused with BM25, plus a share of the best foreign-key
   * neighbour's score.
   */
  async search(question: string, options: { k: number; visible: ReadonlySet<string> }): Promise<Array<{ name: string; score: number }>> {
    if (options.k <= 0) {
      await this.collection();
      return [];
    }
    const evidence = await this.gatherEvidence(question, options);
    if (evidence === null) return [];
    return rankTables(evidence, { bm25Weight: this.options.bm25Weight, neighbourWeight: this.options.neighbourWeight ?? DEFAULT_NEIGHBOUR_WEIGHT }, options.k);
  }

  /**
   * What rankTables needs to rank the `visible` tables for a question (null when none is
   * indexed): the question embedded once, Chroma's nearest vectors among the visible tables
   * (enough for the `k` best whatever the weights), BM25 scores, and cosines and neighbours from
   * memory. An eval weighs it many ways without asking again.
   */
  async gatherEvidence(question: string, options: { k: number; visible: ReadonlySet<string> }): Promise<TableEvidence | null> {
    const collection = await this.collection();
    const visible = [...options.visible].filter((name) => this.entries.has(name));
    if (visible.length === 0) return null;
    const [vector] = await this.options.embedder.embed([question]);
    const want = Math.min(visible.length, Math.max(options.k * CANDIDATES_PER_RESULT, MIN_CANDIDATES));
    const filtered = visible.length < this.entries.size && visible.length <= MAX_WHERE_NAMES;
    const result = await collection.query({
      queryEmbeddings: [Array.from(vector!)],
      nResults: filtered || visible.length === this.entries.size ? want : Math.min(this.entries.size, want + (this.entries.size - visible.length)),
      ...(filtered ? { where: { name: { $in: visible } } } : {}),
      include: ['distances'] as never,
    });
    const nearest = new Map<string, number>();
    const ids = result.ids[0] ?? [];
    const distances = result.distances[0] ?? [];
    ids.forEach((id, i) => {
      const distance = distances[i];
      if (options.visible.has(id) && this.entries.has(id) && distance !== null && distance !== undefined) nearest.set(id, 1 - distance);
    });
    // Each table's neighbours once per question (a lookup walks the whole catalog; rankTables asks twice per candidate).
    const neighbours = new Map<string, string[]>();
    return {
      nearest,
      lexical: this.bm25.normalizedScores(question, visible),
      cosineOf: (name) => dot(vector!, this.entries.get(name)!.vector),
      neighbours: (name) => {
        let found = neighbours.get(name);
        if (found === undefined) {
          found = [...this.neighbours(name)].filter((n) => options.visible.has(n));
          neighbours.set(name, found);
        }
        return found;
      },
      lexicalCandidates: want,
    };
  }

  /** Tables a table references or is referenced by (indexed ones). */
  private neighbours(name: string): Set<string> {
    const out = new Set<string>();
    for (const fk of this.entries.get(name)?.table.foreignKeys ?? []) if (fk.references !== name && this.entries.has(fk.references)) out.add(fk.references);
    for (const [other, entry] of this.entries) if (other !== name && entry.table.foreignKeys.some((fk) => fk.references === name)) out.add(other);
    return out;
  }

  private async collection(): Promise<Collection> {
    await this.open();
    if (this.phase.kind !== 'open') throw new Error('schema index: not open');
    return this.phase.collection;
  }

  private async load(): Promise<void> {
    const collection = await openCollection(chromaClient(this.options.chromaUrl), this.collectionName);
    this.entries.clear();
    this.bm25.clear();
    for (const record of await readAllRecords(collection)) {
      const table = parseTable(record.metadata.table);
      if (table === null || record.embedding.length !== this.options.embedder.dimensions) continue;
      this.remember(table, record.embedding);
    }
    this.phase = { kind: 'open', collection };
    this.options.log.info({ tables: this.entries.size, collection: this.collectionName }, 'schema index opened');
  }

  private async write(collection: Collection, tables: TableInfo[]): Promise<void> {
    const documents = tables.map((t) => this.summarize(t));
    const vectors = await this.options.embedder.embed(documents);
    await collection.upsert({
      ids: tables.map((t) => t.name),
      embeddings: vectors.map((v) => Array.from(v)),
      documents,
      metadatas: tables.map((t) => ({ name: t.name, table: JSON.stringify(t) })),
    });
    tables.forEach((t, i) => this.remember(t, vectors[i]!));
  }

  private remember(table: TableInfo, vector: Float32Array): void {
    this.entries.set(table.name, { table, vector });
    this.bm25.set(table);
  }

  private forget(name: string): void {
    this.entries.delete(name);
    this.bm25.delete(name);
  }
}

function parseTable(value: unknown): TableInfo | null {
  if (typeof value !== 'string') return null;
  try {
    const table = JSON.parse(value) as TableInfo;
    return typeof table.name === 'string' && Array.isArray(table.columns) ? table : null;
  } catch {
    return null;
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
