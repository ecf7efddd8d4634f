import { createHash } from 'node:crypto';
import type { Collection, Where } from 'chromadb';
import type { Embedder } from '../../../src/embed/embedder.js';
import type { Logger } from '../../../src/log/logger.js';
import { chromaClient, openCollection, versionedCollectionName } from '../retrieve/chroma-collection.js';

/** Version of the records' layout: bump it when metadata changes, so that a new collection is used. */
export const EXAMPLE_FORMAT_VERSION = 1;
/** Stored in place of a null tenant (Chroma's metadata has no null). */
const GLOBAL = '';

/** A verified question → SQL pair, for every tenant (tenant null) or for one. */
export interface Example {
  question: string;
  sql: string;
  tenant: string | null;
  /** An admin wrote it, or a user's answer was confirmed. */
  source: 'admin' | 'user';
}

export interface StoredExample extends Example {
  id: string;
  addedAt: string;
}

/**
 * Verified question → SQL pairs in Chroma, embedded by their question, found again by similarity
 * for the prompt's few-shot examples. A tenant sees the global examples and its own, never
 * another tenant's. An identical question, SQL and tenant is stored once (its id is their hash).
 */
export class ExampleStore {
  private ready: Promise<Collection> | null = null;
  readonly collectionName: string;

  constructor(private readonly options: { chromaUrl: string; embedder: Embedder; log: Logger; /** collection name prefix, for tests */ namespace?: string }) {
    this.collectionName = versionedCollectionName({ namespace: options.namespace, kind: 'examples', version: EXAMPLE_FORMAT_VERSION, embedderId: options.embedder.id });
  }

  /** Stores an example (again: same id, nothing added). */
  async add(example: Example): Promise<{ id: string }> {
    const question = example.question.trim();
    const sql = example.sql.trim();
    if (question === '' || sql === '') throw new Error('an example needs a question and its SQL');
    const id = exampleId(question, sql, example.tenant);
    const collection = await this.collection();
    const existing = await collection.get({ ids: [id], include: [] as never });
    if (existing.ids.length > 0) return { id };
    const [vector] = await this.options.embedder.embed([question]);
    await collection.add({
      ids: [id],
      embeddings: [Array.from(vector!)],
      documents: [question],
      metadatas: [{ sql, tenant: example.tenant ?? GLOBAL, source: example.source, addedAt: new Date().toISOString() }],
    });
    return { id };
  }

  /** The `k` examples closest to a question among those `tenant` sees (global ones and its own), closest first. */
  async similar(question: string, options: { tenant: string | null; k: number }): Promise<Array<Example & { id: string; similarity: number }>> {
    if (options.k <= 0) return [];
    const collection = await this.collection();
    const [vector] = await this.options.embedder.embed([question]);
    const result = await collection.query({
      queryEmbeddings: [Array.from(vector!)],
      nResults: options.k,
      where: visibleTo(options.tenant),
      include: ['documents', 'metadatas', 'distances'] as never,
    });
    const ids = result.ids[0] ?? [];
    return ids.map((id, i) => ({
      id,
      ...toExample(result.documents[0]?.[i] ?? '', result.metadatas[0]?.[i] ?? {}),
      similarity: 1 - (result.distances[0]?.[i] ?? 1),
    }));
  }

  /** Examples `tenant` sees (global ones and its own; with `ownOnly`, only those stored for exactly that tenant), newest first. */
  async list(options: { tenant: string | null; ownOnly?: boolean; limit?: number } = { tenant: null }): Promise<StoredExample[]> {
    const collection = await this.collection();
    const where: Where = options.ownOnly ? { tenant: options.tenant ?? GLOBAL } : visibleTo(options.tenant);
    const result = await collection.get({ where, include: ['documents', 'metadatas'] as never });
    const examples = result.ids.map((id, i) => {
      const metadata = result.metadatas[i] ?? {};
      return { id, ...toExample(result.documents[i] ?? '', metadata), addedAt: String(metadata.addedAt ?? '') };
    });
    examples.sort((a, b) => b.addedAt.localeCompare(a.addedAt) || a.id.localeCompare(b.id));
    return examples.slice(0, options.limit ?? examples.length);
  }

  /** Removes an example; false when there was none with that id. */
  async remove(id: string): Promise<boolean> {
    const collection = await this.collection();
    const existing = await collection.get({ ids: [id], include: [] as never });
    if (existing.ids.length === 0) return false;
    await collection.delete({ ids: [id] });
    return true;
  }

  private collection(): Promise<Collection> {
    this.ready ??= openCollection(chromaClient(this.options.chromaUrl), this.collectionName).then(
      (collection) => {
        this.options.log.info({ collection: this.collectionName }, 'example store opened');
        return collection;
      },
      (error: unknown) => {
        this.ready = null;
        throw error;
      },
    );
    return this.ready;
  }
}

/** Same question, SQL and tenant, same id. */
export function exampleId(question: string, sql: string, tenant: string | null): string {
  return createHash('sha256').update(JSON.stringify([question.trim(), sql.trim(), tenant])).digest('hex').slice(0, 32);
}

function visibleTo(tenant: string | null): Where {
  return tenant === null ? { tenant: GLOBAL } : { tenant: { $in: [GLOBAL, tenant] } };
}

function toExample(question: string, metadata: Record<string, unknown>): Example {
  const tenant = typeof metadata.tenant === 'string' && metadata.tenant !== GLOBAL ? metadata.tenant : null;
  return { question, sql: String(metadata.sql ?? ''), tenant, source: metadata.source === 'admin' ? 'admin' : 'user' };
}
