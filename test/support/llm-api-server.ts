import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the paid LLM APIs, speaking their wire protocols as the real SDKs call them:
 * Gemini `POST /v1beta/models/{model}:generateContent` (key in `x-goog-api-key`; the reply's text
 * in `candidates[0].content.parts[0].text`, counts in `usageMetadata`; errors as
 * `{"error":{"code","message","status"}}`) and OpenAI `POST /v1/chat/completions` (the reply in
 * `choices[0].message.content`, counts in `usage`; errors as `{"error":{"message","type","param","code"}}`).
 *
 * Each request is checked as the real API would check it — the key (Gemini: `geminiKeys`; OpenAI:
 * `openaiKey`), the key's quota (`spendKey`), the model (`models`) — and then answered by, in
 * order: the next reply of the queue (`enqueue`), the script (`script`), or the default reply
 * (`reply` option; by default `SELECT 1`, as `{"sql":"SELECT 1"}` when a JSON object was asked for).
 *
 * Point @google/genai at `geminiBaseUrl` (`httpOptions.baseUrl`, DISTRAG_GEMINI_BASE_URL) and the
 * openai SDK at `openaiBaseUrl` (`baseURL`, DISTRAG_LLM_BASE_URL).
 */

export type LlmApi = 'gemini' | 'openai';

/** One request as the server received it. */
export interface LlmApiCall {
  api: LlmApi;
  path: string;
  model: string;
  /** Gemini: `x-goog-api-key`; OpenAI: the bearer token (null when none was sent). */
  apiKey: string | null;
  /** The request body as sent. */
  body: Record<string, unknown>;
  /** The system instruction and the user's text, read from the body. */
  system: string;
  prompt: string;
  /** Whether a JSON object reply was asked for (Gemini `responseMimeType`, OpenAI `response_format`). */
  json: boolean;
  /** When it arrived (Date.now()). */
  at: number;
}

/**
 * How to answer one request: a text (with the counts to report, by default about four characters a
 * token), or an error status with its message; either after `delayMs` (the client may give up
 * first). `{ delayMs }` alone delays the default reply.
 */
export interface LlmApiReply {
  text?: string;
  usage?: { inputTokens: number; outputTokens: number };
  /** An HTTP error status (400…599) instead of a reply. */
  status?: number;
  /** The error's message (default: a message like the real API's for that status). */
  message?: string;
  delayMs?: number;
}

/** Decides the answer to a request; undefined leaves it to the default reply. */
export type LlmApiScript = (call: LlmApiCall) => LlmApiReply | undefined;

export interface LlmApiServerOptions {
  /** Gemini keys the API accepts; any other answers 400 API_KEY_INVALID. Default: every key. */
  geminiKeys?: readonly string[];
  /** The bearer token the OpenAI-compatible API requires (401 otherwise). Default: none required. */
  openaiKey?: string;
  /** Models either API serves; others answer 404. Default: DEFAULT_LLM_API_MODELS. */
  models?: readonly string[];
  /** Wait before every answer (default 0). */
  delayMs?: number;
  /** The default reply's text. */
  reply?: (call: LlmApiCall) => string;
}

export interface LlmApiServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The same as `url`: the Gemini SDK adds `/v1beta/models/…`. */
  geminiBaseUrl: string;
  /** `url` + `/v1`, as OpenAI-compatible servers are addressed. */
  openaiBaseUrl: string;
  /** Every request received, in order of arrival. */
  calls: LlmApiCall[];
  /** Requests being answered now. */
  readonly inFlight: number;
  /** The most requests in flight at once since the start (or since `resetMaxInFlight`). */
  readonly maxInFlight: number;
  resetMaxInFlight(): void;
  /** Sets the script (null removes it). */
  script(fn: LlmApiScript | null): void;
  /** Replies for the next requests, one each, before the script. */
  enqueue(...replies: LlmApiReply[]): void;
  /** The Gemini key's quota is spent for `model` (every model when absent): 429 RESOURCE_EXHAUSTED. */
  spendKey(key: string, model?: string): void;
  /** Gives every key its quota back. */
  refillKeys(): void;
  close(): Promise<void>;
}

export const DEFAULT_LLM_API_MODELS = ['gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.0-flash', 'qwen2.5-coder:7b', 'gpt-4o-mini'] as const;

const GEMINI_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const DEFAULT_MESSAGE: Record<number, string> = {
  400: 'Request contains an invalid argument.',
  429: 'Resource has been exhausted (e.g. check quota).',
  500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  503: 'The model is overloaded. Please try again later.',
};

export async function startLlmApiServer(options: LlmApiServerOptions = {}): Promise<LlmApiServer> {
  const calls: LlmApiCall[] = [];
  const models = new Set<string>(options.models ?? DEFAULT_LLM_API_MODELS);
  const queue: LlmApiReply[] = [];
  /** `model\0key`, the model empty for every model. */
  const spent = new Set<string>();
  let script: LlmApiScript | null = null;
  let inFlight = 0;
  let maxInFlight = 0;

  const decide = (call: LlmApiCall): LlmApiReply => {
    const refusal = check(call);
    if (refusal) return refusal;
    const reply = queue.shift() ?? script?.(call) ?? {};
    if (reply.status !== undefined || reply.text !== undefined) return reply;
    return { ...reply, text: (options.reply ?? defaultReply)(call) };
  };

  const check = (call: LlmApiCall): LlmApiReply | undefined => {
    if (call.api === 'gemini') {
      if (call.apiKey === null || (options.geminiKeys !== undefined && !options.geminiKeys.includes(call.apiKey))) {
        return { status: 400, message: 'API key not valid. Please pass a valid API key.' };
      }
      if (spent.has(`\0${call.apiKey}`) || spent.has(`${call.model}\0${call.apiKey}`)) {
        return { status: 429, message: `You exceeded your current quota, please check your plan and billing details. Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, model: ${call.model}` };
      }
    } else if (options.openaiKey !== undefined && call.apiKey !== options.openaiKey) {
      return { status: 401, message: 'Incorrect API key provided.' };
    }
    if (!models.has(call.model)) {
      return {
        status: 404,
        message: call.api === 'gemini' ? `models/${call.model} is not found for API version v1beta, or is not supported for generateContent.` : `The model \`${call.model}\` does not exist or you do not have access to it.`,
      };
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const gemini = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(url.pathname);
      const api: LlmApi | null = req.method !== 'POST' ? null : gemini ? 'gemini' : url.pathname === '/v1/chat/completions' ? 'openai' : null;
      if (api === null) {
        send(res, 404, { error: { code: 404, message: `no route ${req.method} ${url.pathname}`, status: 'NOT_FOUND' } });
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        send(res, 400, errorBody(api, 400, 'Invalid JSON payload received.'));
        return;
      }
      const call = api === 'gemini' ? readGeminiCall(url.pathname, decodeURIComponent(gemini?.[1] ?? ''), header(req, 'x-goog-api-key'), body) : readOpenAiCall(url.pathname, bearer(req), body);
      calls.push(call);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        inFlight -= 1;
        clearTimeout(timer);
      };
      res.on('close', finish);
      const reply = decide(call);
      const answer = () => {
        if (done) return;
        if (reply.status !== undefined && reply.status >= 400) send(res, reply.status, errorBody(api, reply.status, reply.message ?? DEFAULT_MESSAGE[reply.status] ?? `HTTP ${reply.status}`));
        else send(res, 200, successBody(call, reply.text ?? '', reply.usage ?? estimateUsage(call, reply.text ?? '')));
        finish();
      };
      const timer = setTimeout(answer, reply.delayMs ?? options.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    geminiBaseUrl: url,
    openaiBaseUrl: `${url}/v1`,
    calls,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    resetMaxInFlight: () => void (maxInFlight = inFlight),
    script: (fn) => void (script = fn),
    enqueue: (...replies) => void queue.push(...replies),
    spendKey: (key, model) => void spent.add(`${model ?? ''}\0${key}`),
    refillKeys: () => spent.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function defaultReply(call: LlmApiCall): string {
  return call.json ? '{"sql":"SELECT 1"}' : 'SELECT 1';
}

/** About four characters a token, as a rough tokenizer would count. */
function estimateUsage(call: LlmApiCall, text: string): { inputTokens: number; outputTokens: number } {
  return { inputTokens: Math.ceil((call.system.length + call.prompt.length) / 4), outputTokens: Math.ceil(text.length / 4) };
}

type Parts = { parts?: Array<{ text?: string }> };

function readGeminiCall(path: string, model: string, apiKey: string | null, body: Record<string, unknown>): LlmApiCall {
  const textOf = (content: Parts | undefined) => (content?.parts ?? []).map((part) => part.text ?? '').join('');
  const contents = (body.contents ?? []) as Parts[];
  const generationConfig = (body.generationConfig ?? {}) as { responseMimeType?: string };
  return {
    api: 'gemini',
    path,
    model,
    apiKey,
    body,
    system: textOf(body.systemInstruction as Parts | undefined),
    prompt: contents.map(textOf).join('\n'),
    json: generationConfig.responseMimeType === 'application/json',
    at: Date.now(),
  };
}

function readOpenAiCall(path: string, apiKey: string | null, body: Record<string, unknown>): LlmApiCall {
  const messages = (body.messages ?? []) as Array<{ role?: string; content?: unknown }>;
  const textOf = (role: string) =>
    messages
      .filter((m) => m.role === role)
      .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
      .join('\n');
  return {
    api: 'openai',
    path,
    model: String(body.model),
    apiKey,
    body,
    system: textOf('system'),
    prompt: textOf('user'),
    json: (body.response_format as { type?: string } | undefined)?.type === 'json_object',
    at: Date.now(),
  };
}

function successBody(call: LlmApiCall, text: string, usage: { inputTokens: number; outputTokens: number }): unknown {
  const id = `resp-${call.at.toString(36)}`;
  if (call.api === 'gemini') {
    return {
      candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: usage.inputTokens, candidatesTokenCount: usage.outputTokens, totalTokenCount: usage.inputTokens + usage.outputTokens },
      modelVersion: call.model,
      responseId: id,
    };
  }
  return {
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created: Math.floor(call.at / 1000),
    model: call.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens },
  };
}

function errorBody(api: LlmApi, status: number, message: string): unknown {
  if (api === 'gemini') return { error: { code: status, message, status: GEMINI_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') } };
  const type = status === 401 ? 'authentication_error' : status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const code = status === 401 ? 'invalid_api_key' : status === 404 ? 'model_not_found' : status === 429 ? 'rate_limit_exceeded' : null;
  return { error: { message, type, param: null, code } };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function header(req: http.IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

function bearer(req: http.IncomingMessage): string | null {
  const match = /^Bearer (.+)$/.exec(header(req, 'authorization') ?? '');
  return match?.[1] ?? null;
}

/** How the RAG pipeline's prompts quote the question (subgraphs/rag/prompt/): a JSON string on its own line. */
const QUESTION_LINE = /^Question \(user text, not instructions\): (".*")$/m;

/** Whether a request is the RAG pipeline's SQL prompt (its system text asks for a SELECT), not the answer prompt. */
export function isSqlPrompt(call: LlmApiCall): boolean {
  return call.system.includes('PostgreSQL SELECT statement');
}

/** The question a RAG prompt quotes (null for another prompt). */
export function questionOf(call: LlmApiCall): string | null {
  const quoted = QUESTION_LINE.exec(call.prompt)?.[1];
  return quoted === undefined ? null : (JSON.parse(quoted) as string);
}
