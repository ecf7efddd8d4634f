import { createHash } from 'node:crypto';
import { ChromaClient, type Collection } from 'chromadb';

/**
 * `<namespace><kind>_v<version>_<hash>`: a new format version or another embedder gets a new
 * collection instead of mixing vectors (or documents) that cannot be compared.
 */
export function versionedCollectionName(options: { namespace?: string; kind: string; version: number; embedderId: string }): string {
  const hash = createHash('sha256').update(options.embedderId).digest('hex').slice(0, 10);
  return `${options.namespace ?? ''}${options.kind}_v${options.version}_${hash}`;
}

/** A Chroma client for a server URL (`http://host:port`). */
export function chromaClient(url: string): ChromaClient {
  const parsed = new URL(url);
  const ssl = parsed.protocol === 'https:';
  return new ChromaClient({ host: parsed.hostname, port: parsed.port === '' ? (ssl ? 443 : 80) : Number(parsed.port), ssl });
}

/**
 * Gets or creates a cosine collection that embeds nothing itself: every vector is given by the
 * project's embedder. With no embedding function named, Chroma's client would configure its
 * default one, which downloads a model (and fails offline).
 */
export async function openCollection(client: ChromaClient, name: string): Promise<Collection> {
  return client.getOrCreateCollection({ name, embeddingFunction: null as never, configuration: { hnsw: { space: 'cosine' } } });
}

/** Every record's id, vector and metadata, read in pages. */
export async function readAllRecords(collection: Collection): Promise<Array<{ id: string; embedding: Float32Array; metadata: Record<string, unknown> }>> {
  const out: Array<{ id: string; embedding: Float32Array; metadata: Record<string, unknown> }> = [];
  const page = 500;
  for (let offset = 0; ; offset += page) {
    const result = await collection.get({ limit: page, offset, include: ['embeddings', 'metadatas'] as never });
    result.ids.forEach((id, i) => {
      out.push({ id, embedding: Float32Array.from(result.embeddings[i] ?? []), metadata: (result.metadatas[i] ?? {}) as Record<string, unknown> });
    });
    if (result.ids.length < page) return out;
  }
}
