/**
 * Turns questions into unit-length vectors (cosine similarity = dot product). One instance per
 * process: models load once and requests are batched.
 */
export interface Embedder {
  /** Stable name of the model and its settings, stored with each vector (vectors of another id are not comparable). */
  readonly id: string;
  readonly dimensions: number;
  /** One unit-length vector per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** What loading the configured embedder gave: one to use, or why the cache is disabled. */
export type EmbedderState<E extends Embedder = Embedder> = { enabled: true; embedder: E } | { enabled: false; reason: string };
