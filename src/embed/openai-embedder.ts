import OpenAI from 'openai';
import type { Embedder } from './embedder.js';
import { toUnitVector } from './unit-vector.js';
import { remoteEmbedder } from './remote-embedder.js';

/** Text embedded once at start to learn the vector size. */

export interface OpenAiEmbedderOptions {
  /** The API's base URL, `…/v1` (Ollama, vLLM, LiteLLM, OpenAI itself). */
  baseUrl: string;
  model: string;
  /** Sent as a bearer token; without it no Authorization header is sent. */
  apiKey?: string;
  /** `dimensions` of the request (models that can shorten their vectors); default the model's own. */
  dimensions?: number;
  timeoutMs: number;
}

/**
 * Any OpenAI-compatible `POST /v1/embeddings`, through the openai SDK. Vectors are normalised
 * here: not every server returns unit length. Embeds one probe text to learn the vector size.
 */
export async function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Promise<Embedder> {
  // Every setting explicit: the SDK would otherwise read OPENAI_* variables (config lives in one place).
  const client = new OpenAI({
    baseURL: options.baseUrl,
    apiKey: options.apiKey ?? 'unused',
    organization: null,
    project: null,
    timeout: options.timeoutMs,
    maxRetries: 2,
    ...(options.apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
  });

  async function embedAll(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    // encoding_format float: the SDK's default (base64) is not understood by every compatible server.
    const response = await client.embeddings.create({ model: options.model, input: [...texts], encoding_format: 'float', ...(options.dimensions === undefined ? {} : { dimensions: options.dimensions }) });
    const data = [...response.data].sort((a, b) => a.index - b.index);
    if (data.length !== texts.length) throw new Error(`${options.model} returned ${data.length} embeddings for ${texts.length} texts`);
    return data.map((item) => toUnitVector(item.embedding));
  }

  return remoteEmbedder('openai', options.model, embedAll);
}
