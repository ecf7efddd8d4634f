import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stand-ins for the paid embedding APIs, speaking their wire protocols as the real SDKs call them:
 * Gemini `POST /v1beta/models/{model}:batchEmbedContents` and `:embedContent` (key in
 * `x-goog-api-key`, errors as `{"error":{"code","message","status"}}`), and OpenAI
 * `POST /v1/embeddings` (errors as `{"error":{"message","type","code"}}`). Vectors are derived from
 * the text, deliberately not of unit length.
 */

export interface RecordedCall {
  api: 'gemini' | 'openai';
  path: string;
  apiKey: string | null;
  authorization: string | null;
  body: Record<string, unknown>;
}

export interface EmbeddingApiOptions {
  /** Gemini keys that answer 200; every other key answers 400 (invalid). */
  geminiKeys?: readonly string[];
  /** Gemini keys over their quota: 429 RESOURCE_EXHAUSTED. */
  spentGeminiKeys?: readonly string[];
  /** Models either API knows; others answer 404. */
  models?: readonly string[];
}

export interface EmbeddingApiServer {
  url: string;
  calls: RecordedCall[];
  close(): Promise<void>;
}

export const GEMINI_FULL_DIMENSIONS = 3072;
export const OPENAI_FULL_DIMENSIONS = 768;

/** The vector the stand-ins return for a text (length well above 1). */
export function rawVector(text: string, dimensions: number): number[] {
  let state = 2166136261;
  for (const char of text) state = Math.imul(state ^ char.charCodeAt(0), 16777619) >>> 0;
  return Array.from({ length: dimensions }, (_, i) => {
    state = Math.imul(state ^ (i + 1), 2654435761) >>> 0;
    return ((state % 2001) - 1000) / 100;
  });
}

export async function startEmbeddingApiServer(options: EmbeddingApiOptions = {}): Promise<EmbeddingApiServer> {
  const calls: RecordedCall[] = [];
  const models = new Set(options.models ?? ['gemini-embedding-001', 'nomic-embed-text']);
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify(body));
      };
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        send(400, { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } });
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const gemini = /^\/v1beta\/models\/([^/:]+):(batchEmbedContents|embedContent)$/.exec(url.pathname);
      if (req.method === 'POST' && gemini) {
        const apiKey = header(req, 'x-goog-api-key');
        calls.push({ api: 'gemini', path: url.pathname, apiKey, authorization: header(req, 'authorization'), body });
        answerGemini(send, options, models, gemini[1] as string, gemini[2] as string, apiKey, body);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/v1/embeddings') {
        calls.push({ api: 'openai', path: url.pathname, apiKey: null, authorization: header(req, 'authorization'), body });
        answerOpenAi(send, models, body);
        return;
      }
      send(404, { error: { code: 404, message: `no route ${req.method} ${url.pathname}`, status: 'NOT_FOUND' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

type Send = (status: number, body: unknown) => void;

function answerGemini(send: Send, options: EmbeddingApiOptions, models: Set<string>, model: string, method: string, apiKey: string | null, body: Record<string, unknown>): void {
  if (apiKey !== null && options.spentGeminiKeys?.includes(apiKey)) {
    send(429, { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } });
    return;
  }
  if (apiKey === null || !(options.geminiKeys ?? []).includes(apiKey)) {
    send(400, { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } });
    return;
  }
  if (!models.has(model)) {
    send(404, { error: { code: 404, message: `models/${model} is not found for API version v1beta, or is not supported for ${method}.`, status: 'NOT_FOUND' } });
    return;
  }
  type EmbedRequest = { model?: string; content?: { parts?: { text?: string }[] }; outputDimensionality?: number };
  const embed = (request: EmbedRequest) => {
    const textOf = (request.content?.parts ?? []).map((p) => p.text ?? '').join('');
    return { values: rawVector(textOf, GEMINI_FULL_DIMENSIONS).slice(0, request.outputDimensionality ?? GEMINI_FULL_DIMENSIONS) };
  };
  if (method === 'embedContent') {
    send(200, { embedding: embed(body as EmbedRequest) });
    return;
  }
  const requests = (body.requests ?? []) as EmbedRequest[];
  const wrongModel = requests.find((r) => r.model !== `models/${model}`);
  if (wrongModel) {
    send(400, { error: { code: 400, message: `* BatchEmbedContentsRequest.requests: model ${wrongModel.model} differs from the model of the call (models/${model})`, status: 'INVALID_ARGUMENT' } });
    return;
  }
  send(200, { embeddings: requests.map(embed) });
}

function answerOpenAi(send: Send, models: Set<string>, body: Record<string, unknown>): void {
  const model = String(body.model);
  if (!models.has(model)) {
    send(404, { error: { message: `The model \`${model}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', param: null, code: 'model_not_found' } });
    return;
  }
  const inputs = typeof body.input === 'string' ? [body.input] : (body.input as string[]);
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : OPENAI_FULL_DIMENSIONS;
  const data = inputs.map((input, index) => {
    const values = rawVector(input, OPENAI_FULL_DIMENSIONS).slice(0, dimensions);
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(values).buffer).toString('base64') : values;
    return { object: 'embedding', index, embedding };
  });
  // Servers need not answer in input order: `index` says which input a vector belongs to.
  send(200, { object: 'list', data: data.reverse(), model, usage: { prompt_tokens: inputs.length, total_tokens: inputs.length } });
}

function header(req: http.IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}
