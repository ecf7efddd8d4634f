import type { Embedder } from './embedder.js';
import { LruMap } from '../lru-map.js';

export interface BatchingOptions {
  /** Recent embeddings kept, by exact text (DISTRAG_EMBED_LRU_SIZE; 0 keeps none). */
  cacheSize: number;
  /** Most texts one call to the wrapped embedder gets. Default 32. */
  maxBatchSize?: number;
  /**
   * Calls to the wrapped embedder running at once; texts asked for meanwhile wait and go in the
   * next batch. Default 1 (a local model uses every core for one batch); remote ones can use more.
   */
  maxConcurrentBatches?: number;
}

/** Counters since start. */
export interface EmbedderStats {
  /** Texts asked for. */
  requests: number;
  /** Answered from the LRU. */
  cacheHits: number;
  /** Answered by a batch already embedding the same text. */
  coalesced: number;
  /** Texts sent to the wrapped embedder. */
  embedded: number;
  /** Calls to the wrapped embedder. */
  batches: number;
  /** cacheHits / requests (0 before any request). */
  cacheHitRate: number;
}

interface Waiting {
  text: string;
  resolve(vector: Float32Array): void;
  reject(error: unknown): void;
}

/**
 * Wraps any embedder: texts asked for in the same tick (and while a batch runs) go to it together,
 * at most `maxBatchSize` at a time, the same text once; recent embeddings come from an LRU.
 * Every caller gets its own copy of a vector.
 */
export class BatchingEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly #inner: Embedder;
  readonly #cache: LruMap<string, Float32Array>;
  readonly #maxBatchSize: number;
  readonly #maxConcurrentBatches: number;
  readonly #queue: Waiting[] = [];
  readonly #inFlight = new Map<string, Promise<Float32Array>>();
  readonly #counts = { requests: 0, cacheHits: 0, coalesced: 0, embedded: 0, batches: 0 };
  readonly #running = new Set<Promise<void>>();
  #scheduled = false;
  #closed = false;

  constructor(inner: Embedder, options: BatchingOptions) {
    this.id = inner.id;
    this.dimensions = inner.dimensions;
    this.#inner = inner;
    this.#cache = new LruMap(options.cacheSize);
    this.#maxBatchSize = options.maxBatchSize ?? 32;
    this.#maxConcurrentBatches = options.maxConcurrentBatches ?? 1;
  }

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return Promise.all(texts.map((text) => this.embedOne(text)));
  }

  /** One text's unit-length vector. */
  async embedOne(text: string): Promise<Float32Array> {
    if (this.#closed) throw new Error('the embedder is closed');
    this.#counts.requests += 1;
    const cached = this.#cache.get(text);
    if (cached !== undefined) {
      this.#counts.cacheHits += 1;
      return cached.slice();
    }
    let pending = this.#inFlight.get(text);
    if (pending !== undefined) {
      this.#counts.coalesced += 1;
    } else {
      pending = new Promise<Float32Array>((resolve, reject) => this.#queue.push({ text, resolve, reject }));
      this.#inFlight.set(text, pending);
      this.#schedule();
    }
    return (await pending).slice();
  }

  stats(): EmbedderStats {
    const c = this.#counts;
    return { ...c, cacheHitRate: c.requests === 0 ? 0 : c.cacheHits / c.requests };
  }

  /** Refuses new texts and those still queued, lets running batches finish, then closes the wrapped embedder. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiting of this.#queue.splice(0)) waiting.reject(new Error('the embedder is closed'));
    await Promise.all(this.#running);
    await this.#inner.close();
  }

  /** Drains the queue after the current tick, so that every text asked for in it goes together. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    while (this.#queue.length > 0 && this.#running.size < this.#maxConcurrentBatches) {
      const run = this.#run(this.#queue.splice(0, this.#maxBatchSize)).finally(() => {
        this.#running.delete(run);
        this.#drain();
      });
      this.#running.add(run);
    }
  }

  async #run(batch: Waiting[]): Promise<void> {
    this.#counts.batches += 1;
    this.#counts.embedded += batch.length;
    try {
      const vectors = await this.#inner.embed(batch.map((w) => w.text));
      if (vectors.length !== batch.length) throw new Error(`${this.id} returned ${vectors.length} vectors for ${batch.length} texts`);
      batch.forEach((waiting, i) => {
        const vector = vectors[i] as Float32Array;
        this.#cache.set(waiting.text, vector);
        waiting.resolve(vector);
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      for (const waiting of batch) this.#inFlight.delete(waiting.text);
    }
  }
}
