import { ApiError, GoogleGenAI } from '@google/genai';
import type { Embedder } from './embedder.js';
import { RotatingClients } from './rotating-clients.js';
import { toUnitVector } from './unit-vector.js';
import { remoteEmbedder } from './remote-embedder.js';

export const DEFAULT_GEMINI_EMBED_MODEL = 'gemini-embedding-001';
/** batchEmbedContents takes at most 100 requests. */
const MAX_TEXTS_PER_CALL = 100;
/** Text embedded once at start to learn the vector size. */

export interface GeminiEmbedderOptions {
  /** Tried in turn: a key over its quota (429) hands over to the next. */
  apiKeys: readonly string[];
  model: string;
  /** outputDimensionality; default the model's own size. */
  dimensions?: number;
  /** Instead of https://generativelanguage.googleapis.com (a proxy, a gateway). */
  baseUrl?: string;
  timeoutMs: number;
}

/** The keys of a GEMINI_API_KEY value (comma-separated). */
export function parseGeminiApiKeys(value: string): string[] {
  return value.split(',').map((key) => key.trim()).filter((key) => key.length > 0);
}

/**
 * Gemini embeddings through @google/genai (`models/{model}:batchEmbedContents`), task type
 * SEMANTIC_SIMILARITY (question against question). Vectors are normalised here: the API returns
 * unit length only at the model's full size. Embeds one probe text to learn the vector size.
 */
export async function createGeminiEmbedder(options: GeminiEmbedderOptions): Promise<Embedder> {
  if (options.apiKeys.length === 0) throw new Error('no API key');
  const clients = new RotatingClients(
    options.apiKeys.map((apiKey) => new GoogleGenAI({ apiKey, vertexai: false, httpOptions: { timeout: options.timeoutMs, ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }) } })),
    (error) => error instanceof ApiError && error.status === 429,
  );
  const config = { taskType: 'SEMANTIC_SIMILARITY', ...(options.dimensions === undefined ? {} : { outputDimensionality: options.dimensions }) };

  async function embedChunk(texts: readonly string[]): Promise<Float32Array[]> {
    const response = await clients.run((client) => client.models.embedContent({ model: options.model, contents: [...texts], config }));
    const embeddings = response.embeddings ?? [];
    if (embeddings.length !== texts.length) throw new Error(`${options.model} returned ${embeddings.length} embeddings for ${texts.length} texts`);
    return embeddings.map((embedding) => toUnitVector(embedding.values ?? []));
  }

  async function embedAll(texts: readonly string[]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += MAX_TEXTS_PER_CALL) vectors.push(...(await embedChunk(texts.slice(start, start + MAX_TEXTS_PER_CALL))));
    return vectors;
  }

  return remoteEmbedder('gemini', options.model, embedAll);
}
