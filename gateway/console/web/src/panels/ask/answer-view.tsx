import type { ReactNode } from 'react';
import type { Answer } from '../../generated/rag';
import { RowsTable } from '../../components/rows-table';
import { SqlView } from '../../components/sql-view';
import { TimingsBar } from './timings-bar';

export type AnswerFields = Omit<Answer, '__typename' | 'timings'> & { timings: Omit<Answer['timings'], '__typename'> };

const OUTCOME_TEXT = {
  HIT: 'cache hit',
  REBOUND: 'cache hit, re-bound',
  MISS: 'cache miss',
} as const;

/** One answer: the sentence, how the cache answered, the stages' times, the SQL and the rows. */
export function AnswerView({ answer, actions }: { answer: AnswerFields; actions?: ReactNode }) {
  return (
    <section className="card" data-testid="answer">
      <div className="row">
        <span className={`badge ${answer.cacheOutcome.toLowerCase()}`} data-testid="cached" data-outcome={answer.cacheOutcome}>
          {OUTCOME_TEXT[answer.cacheOutcome]}
          {answer.similarity !== null && answer.similarity !== undefined ? ` · similarity ${answer.similarity.toFixed(3)}` : ''}
        </span>
        <span className="muted">
          {answer.model ? `${answer.model} · ` : ''}
          {answer.attempts} generation{answer.attempts === 1 ? '' : 's'} · {answer.tenant === null || answer.tenant === undefined ? 'all tenants' : `tenant ${answer.tenant}`}
        </span>
        <span className="grow" />
        {actions}
      </div>
      <p className="answer-text" data-testid="answer-text">
        {answer.answer}
      </p>
      <TimingsBar timings={answer.timings} />
      <h3>SQL</h3>
      <SqlView sql={answer.sql} params={answer.params} />
      <h3>
        Rows <span className="muted">({answer.rows.length}{answer.truncated ? ', truncated' : ''} · reads {answer.tables.join(', ') || 'no table'})</span>
      </h3>
      <RowsTable columns={answer.columns} rows={answer.rows as unknown[][]} testId="rows" />
    </section>
  );
}
