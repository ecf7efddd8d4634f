import hnswlib from 'hnswlib-node';

/** Which words are schema words (see the guard). */
export interface Vocabulary {
  has(word: string): boolean;
}

export interface Neighbour {
  id: string;
  /** Cosine similarity (vectors are unit length). */
  similarity: number;
}

const INITIAL_CAPACITY = 1024;
/** HNSW graph degree and build/search breadth: recall ≈ 1 at the sizes a tenant's cache holds. */
const M = 16;
const EF_CONSTRUCTION = 100;
const EF_SEARCH = 64;

/**
 * One scope's entries as an in-memory HNSW graph (inner product of unit vectors = cosine).
 * Entry ids map to the integer labels hnswlib uses; removed entries are marked deleted and their
 * slots reused.
 */
export class TenantIndex {
  private readonly index: hnswlib.HierarchicalNSW;
  private readonly labelOf = new Map<string, number>();
  private readonly idOf = new Map<number, string>();
  private readonly freeLabels: number[] = [];
  private nextLabel = 0;
  /** Schema words of the entries, counted, so removal keeps the vocabulary exact. */
  private readonly wordCounts = new Map<string, number>();
  private readonly wordsOf = new Map<string, string[]>();
  /** Entries by question template (literals masked): the candidates for re-binding. */
  private readonly byTemplate = new Map<string, Set<string>>();
  private readonly templateOf = new Map<string, string>();

  constructor(readonly dimensions: number) {
    this.index = new hnswlib.HierarchicalNSW('ip', dimensions);
    this.index.initIndex({ maxElements: INITIAL_CAPACITY, m: M, efConstruction: EF_CONSTRUCTION, allowReplaceDeleted: true });
    this.index.setEf(EF_SEARCH);
  }

  get size(): number {
    return this.labelOf.size;
  }

  has(id: string): boolean {
    return this.labelOf.has(id);
  }

  add(id: string, embedding: Float32Array, words: readonly string[], template: string): void {
    if (embedding.length !== this.dimensions) throw new Error(`embedding has ${embedding.length} dimensions, the index ${this.dimensions}`);
    if (this.labelOf.has(id)) this.remove(id);
    const reused = this.freeLabels.pop();
    const label = reused ?? this.nextLabel++;
    if (reused === undefined && label >= this.index.getMaxElements()) this.index.resizeIndex(this.index.getMaxElements() * 2);
    this.index.addPoint(Array.from(embedding), label, reused !== undefined);
    this.labelOf.set(id, label);
    this.idOf.set(label, id);
    this.wordsOf.set(id, [...words]);
    for (const w of words) this.wordCounts.set(w, (this.wordCounts.get(w) ?? 0) + 1);
    this.templateOf.set(id, template);
    let same = this.byTemplate.get(template);
    if (!same) this.byTemplate.set(template, (same = new Set()));
    same.add(id);
  }

  remove(id: string): boolean {
    const label = this.labelOf.get(id);
    if (label === undefined) return false;
    this.index.markDelete(label);
    this.labelOf.delete(id);
    this.idOf.delete(label);
    this.freeLabels.push(label);
    for (const w of this.wordsOf.get(id) ?? []) {
      const n = (this.wordCounts.get(w) ?? 1) - 1;
      if (n <= 0) this.wordCounts.delete(w);
      else this.wordCounts.set(w, n);
    }
    this.wordsOf.delete(id);
    const template = this.templateOf.get(id);
    this.templateOf.delete(id);
    const same = template === undefined ? undefined : this.byTemplate.get(template);
    same?.delete(id);
    if (same?.size === 0) this.byTemplate.delete(template!);
    return true;
  }

  /** The `k` nearest entries with similarity ≥ `minSimilarity`, nearest first. */
  search(embedding: Float32Array, k: number, minSimilarity: number): Neighbour[] {
    const n = Math.min(k, this.size);
    if (n === 0) return [];
    const { neighbors, distances } = this.index.searchKnn(Array.from(embedding), n);
    const found: Neighbour[] = [];
    for (let i = 0; i < neighbors.length; i++) {
      const id = this.idOf.get(neighbors[i]!);
      const similarity = 1 - distances[i]!;
      if (id !== undefined && similarity >= minSimilarity) found.push({ id, similarity });
    }
    return found.sort((a, b) => b.similarity - a.similarity);
  }

  /** Cosine similarity of an indexed entry's vector to `embedding` (0 when the entry is not indexed). */
  similarityTo(id: string, embedding: Float32Array): number {
    const label = this.labelOf.get(id);
    if (label === undefined) return 0;
    const point = this.index.getPoint(label);
    let sum = 0;
    for (let i = 0; i < point.length; i++) sum += point[i]! * embedding[i]!;
    return sum;
  }

  /** Entries whose question has this template (the same words, other literals), at most `limit`. */
  withTemplate(template: string, limit: number): string[] {
    return [...(this.byTemplate.get(template) ?? [])].slice(0, limit);
  }

  /** The words of the table and column names the entries' SQL uses (a live view, not a copy). */
  vocabulary(): Vocabulary {
    return this.wordCounts;
  }
}
