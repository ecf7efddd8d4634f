import { useCallback, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useAction, useQuery } from '../api/use-query';
import { ErrorNote } from '../components/error-note';
import { TenantPicker, tenantArgument } from '../components/tenant-picker';
import { useConsole } from '../console-context';
import type { Example, RagStatus } from '../generated/rag';
import { isAdmin } from '../session/session';
import { AnswerView, type AnswerFields } from './ask/answer-view';

const ASK = `query Ask($question: String!, $tenant: ID) {
  ask(question: $question, tenant: $tenant) {
    answer sql params columns rows truncated tables cached cacheOutcome similarity model attempts tenant
    timings { embedMs cacheMs retrieveMs generateMs executeMs synthesizeMs totalMs }
  }
}`;
const RAG_STATUS = '{ ragStatus { llmConfigured provider model vectorStoreReachable } }';
const MARK_CORRECT = `mutation MarkCorrect($question: String!, $sql: String!, $tenant: ID) {
  markAnswerCorrect(question: $question, sql: $sql, tenant: $tenant) { id }
}`;

interface Asked {
  question: string;
  tenant: string | null;
  answer: AnswerFields;
}

/** Ask: a question in plain language, answered from the tenant's rows by the RAG pipeline. */
export function AskPanel() {
  const { client, session } = useConsole();
  const [question, setQuestion] = useState('');
  const [tenant, setTenant] = useState('');
  const [asked, setAsked] = useState<Asked | null>(null);
  const status = useQuery(() => client.request<{ ragStatus: RagStatus }>(RAG_STATUS).then((d) => d.ragStatus), 'rag-status');

  const ask = useAction(
    useCallback(
      async (text: string, forTenant: string | null) => {
        const data = await client.request<{ ask: AnswerFields }>(ASK, { question: text, tenant: forTenant });
        setAsked({ question: text, tenant: forTenant, answer: data.ask });
        return data.ask;
      },
      [client],
    ),
  );
  const mark = useAction(
    useCallback(
      (a: Asked) => client.request<{ markAnswerCorrect: Pick<Example, 'id'> }>(MARK_CORRECT, { question: a.question, sql: a.answer.sql, tenant: a.tenant }).then((d) => d.markAnswerCorrect),
      [client],
    ),
  );

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const text = question.trim();
    if (!text || ask.pending) return;
    setAsked(null);
    mark.reset();
    void ask.run(text, tenantArgument(tenant));
  };
  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) submit();
  };

  const llm = status.data;
  return (
    <>
      <h2>Ask</h2>
      {llm && !llm.llmConfigured && (
        <p className="notice" data-testid="llm-missing">
          No LLM is configured (set <code>GEMINI_API_KEY</code> or <code>DISTRAG_LLM_BASE_URL</code>): questions the semantic cache cannot answer fail with <code>LLM_NOT_CONFIGURED</code>.
        </p>
      )}
      <form className="card ask-form" onSubmit={submit}>
        <textarea
          data-testid="question"
          rows={3}
          maxLength={2000}
          value={question}
          onChange={(e) => setQuestion(e.target.value)}
          onKeyDown={onKey}
          placeholder="How many students are enrolled in each department?"
        />
        <div className="row" style={{ marginTop: 8 }}>
          <TenantPicker value={tenant} onChange={setTenant} />
          <span className="muted">
            {llm?.llmConfigured ? `${llm.provider} · ${llm.model}` : ''}
            {llm && !llm.vectorStoreReachable ? ' · vector store unreachable' : ''}
          </span>
          <span className="grow" />
          <button type="submit" data-testid="ask" disabled={ask.pending || question.trim() === ''}>
            {ask.pending ? 'Asking…' : 'Ask'}
          </button>
        </div>
      </form>
      <ErrorNote error={ask.error} />
      {asked && (
        <AnswerView
          answer={asked.answer}
          actions={
            isAdmin(session) ? (
              mark.result ? (
                <span className="badge ok" data-testid="marked">
                  saved as example {mark.result.id}
                </span>
              ) : (
                <button type="button" className="secondary" data-testid="mark-correct" disabled={mark.pending} onClick={() => void mark.run(asked)} title="Its question and SQL become a few-shot example for this tenant">
                  Mark correct
                </button>
              )
            ) : null
          }
        />
      )}
      <ErrorNote error={mark.error} />
    </>
  );
}
