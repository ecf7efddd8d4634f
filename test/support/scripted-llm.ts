import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSqlPrompt, questionOf, startLlmApiServer, type LlmApiCall, type LlmApiReply, type LlmApiServer } from './llm-api-server.js';

/**
 * The LLM the shared stack's RAG subgraph talks to (Gemini's wire protocol, through @google/genai),
 * answering from rules that test files add over a small control API: a rule matches requests whose
 * question contains `when` (tests put a unique marker in their questions), for the SQL stage or the
 * answer stage, and gives its replies in order (the last one repeats). Unmatched SQL requests get
 * a refusal (`{"sql": null}`), unmatched answer requests a fixed sentence.
 */
export interface LlmRule {
  when: string;
  stage: 'sql' | 'answer';
  replies: LlmApiReply[];
}

/** The control API's address and the LLM's, started by the global setup. */
export interface ScriptedLlm {
  llm: LlmApiServer;
  controlUrl: string;
  close(): Promise<void>;
}

export const UNSCRIPTED_ANSWER = 'Scripted answer.';

/** Which stage a request belongs to: the SQL prompt's system text asks for a SELECT. */
function stageOf(call: LlmApiCall): 'sql' | 'answer' {
  return isSqlPrompt(call) ? 'sql' : 'answer';
}

export async function startScriptedLlm(): Promise<ScriptedLlm> {
  const rules: Array<LlmRule & { used: number }> = [];
  const calls: Array<{ stage: string; prompt: string; model: string }> = [];
  const llm = await startLlmApiServer();
  llm.script((call) => {
    const stage = stageOf(call);
    calls.push({ stage, prompt: call.prompt, model: call.model });
    // Matched on the question itself: the prompt also quotes other questions (few-shot examples).
    const question = questionOf(call) ?? '';
    const rule = rules.find((r) => r.stage === stage && question.includes(r.when));
    if (!rule) return stage === 'sql' ? { text: '{"sql": null, "reason": "no scripted SQL for this question"}' } : { text: UNSCRIPTED_ANSWER };
    const reply = rule.replies[Math.min(rule.used, rule.replies.length - 1)]!;
    rule.used += 1;
    return reply;
  });
  const control = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url === '/rules') {
        rules.push(...(JSON.parse(body) as LlmRule[]).map((r) => ({ ...r, used: 0 })));
        res.end('{}');
      } else if (req.method === 'GET' && req.url?.startsWith('/calls')) {
        const marker = new URL(req.url, 'http://x').searchParams.get('when') ?? '';
        res.end(JSON.stringify(calls.filter((c) => c.prompt.includes(marker))));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  return {
    llm,
    controlUrl: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((resolve) => control.close(resolve));
      await llm.close();
    },
  };
}

/** Adds rules to the shared stack's scripted LLM (from a test file). */
export async function scriptLlm(controlUrl: string, ...rules: LlmRule[]): Promise<void> {
  const response = await fetch(`${controlUrl}/rules`, { method: 'POST', body: JSON.stringify(rules) });
  if (!response.ok) throw new Error(`scripted LLM refused the rules: ${response.status}`);
}

/** The requests the scripted LLM received whose prompt contains `when`. */
export async function llmCalls(controlUrl: string, when: string): Promise<Array<{ stage: string; prompt: string; model: string }>> {
  return (await fetch(`${controlUrl}/calls?when=${encodeURIComponent(when)}`)).json() as Promise<Array<{ stage: string; prompt: string; model: string }>>;
}
