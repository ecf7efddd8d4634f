// The Gemini stand-in lives with the tests' support code; the benchmark imports it from there
// rather than keep a second copy (tsc compiles it into dist/test/support/ with the bench).
import { isSqlPrompt, questionOf, startLlmApiServer, type LlmApiServer } from '../test/support/llm-api-server.js';

/** The key the private stack's RAG subgraph sends; the stand-in accepts only it. */
export const BENCH_LLM_KEY = 'bench-key';
/** The answer stage's reply: one short sentence, as a model would write. */
export const BENCH_ANSWER = 'Here is what the rows show.';

/** A local LLM speaking Gemini's wire protocol with no delay, scripted with the SQL of each question. */
export interface BenchLlm {
  /** For the stack's DISTRAG_GEMINI_BASE_URL. */
  baseUrl: string;
  /** Requests received so far (both stages). */
  readonly calls: number;
  close(): Promise<void>;
}

/**
 * Starts the stand-in: the SQL prompt (its system text asks for a 'PostgreSQL SELECT statement')
 * is answered `{"sql": …}` with `sqlFor(question)` — or a refusal when it knows none — and the
 * answer prompt with BENCH_ANSWER, at once.
 */
export async function startBenchLlm(sqlFor: (question: string) => string | undefined): Promise<BenchLlm> {
  const server: LlmApiServer = await startLlmApiServer({ geminiKeys: [BENCH_LLM_KEY], delayMs: 0 });
  let calls = 0;
  server.script((call) => {
    // Keep no history: a long run would hold every prompt.
    server.calls.length = 0;
    calls += 1;
    if (!isSqlPrompt(call)) return { text: BENCH_ANSWER };
    const sql = sqlFor(questionOf(call) ?? '');
    return { text: JSON.stringify(sql === undefined ? { sql: null, reason: 'the benchmark has no SQL for this question' } : { sql }) };
  });
  return {
    baseUrl: server.geminiBaseUrl,
    get calls() {
      return calls;
    },
    close: () => server.close(),
  };
}
