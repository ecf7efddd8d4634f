import type { Embedder } from '../src/embed/embedder.js';
import { latencySummary } from './load.js';

export interface EmbeddingTiming {
  questions: number;
  /** Milliseconds per question: of each call alone, or of each batch divided by its size. */
  p50Ms: number;
  p99Ms: number;
  questionsPerSecond: number;
}

/**
 * Embeds `batch` questions per call, one call after another, for `seconds`; every question a new
 * text (`next`), so that no answer comes from the embedder's LRU.
 */
export async function timeEmbedding(embedder: Embedder, next: () => string, batch: number, seconds: number): Promise<EmbeddingTiming> {
  const perQuestion: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    const texts = Array.from({ length: batch }, next);
    const t0 = performance.now();
    await embedder.embed(texts);
    perQuestion.push((performance.now() - t0) / batch);
  }
  const { p50Ms, p99Ms } = latencySummary(perQuestion);
  return { questions: perQuestion.length * batch, p50Ms, p99Ms, questionsPerSecond: (perQuestion.length * batch) / ((performance.now() - started) / 1000) };
}
