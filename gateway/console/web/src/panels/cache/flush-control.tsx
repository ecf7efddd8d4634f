import { useCallback, useState } from 'react';
import { useAction } from '../../api/use-query';
import { ConfirmStep } from '../../components/confirm-step';
import { ErrorNote } from '../../components/error-note';
import { useConsole } from '../../console-context';
import { plural } from '../../format';
import { FLUSH_MUTATION } from './cache-api';

/**
 * Flush with an inline confirmation. Writers flush their own tenant, admins the chosen tenant or
 * every tenant (`tenant` null); readers may not (the cache subgraph requires a writer).
 */
export function FlushControl({ tenant, scopeLabel, entries, onFlushed }: { tenant: string | null; scopeLabel: string; entries: number | null; onFlushed: () => void }) {
  const { session, client } = useConsole();
  const [confirming, setConfirming] = useState(false);
  const flush = useCallback((t: string | null) => client.request<{ flushCache: number }>(FLUSH_MUTATION, { tenant: t }).then((d) => d.flushCache), [client]);
  const action = useAction(flush);

  if (session.role === 'reader') {
    return (
      <div className="cache-flush">
        <button type="button" className="danger" disabled data-testid="flush" title="Flushing needs a writer or admin token">
          Flush
        </button>{' '}
        <span className="muted" data-testid="flush-disabled-reason">
          Flushing needs a writer token (own tenant) or an admin token; this is a reader token.
        </span>
      </div>
    );
  }

  const confirm = async () => {
    const removed = await action.run(tenant);
    setConfirming(false);
    if (removed !== null) onFlushed();
  };

  return (
    <div className="cache-flush">
      {!confirming ? (
        <button
          type="button"
          className="danger"
          data-testid="flush"
          onClick={() => {
            action.reset();
            setConfirming(true);
          }}
        >
          Flush {scopeLabel}
        </button>
      ) : (
        <ConfirmStep testId="flush" pending={action.pending} confirmLabel={action.pending ? 'Flushing…' : 'Yes, flush'} onConfirm={() => void confirm()} onCancel={() => setConfirming(false)}>
          Remove {entries === null ? 'every entry' : `all ${plural(entries, 'entry', 'entries')}`} of {scopeLabel}?
        </ConfirmStep>
      )}
      {action.result !== null && !confirming && (
        <span className="badge ok cache-flushed" data-testid="flush-result">
          {plural(action.result, 'entry', 'entries')} removed
        </span>
      )}
      <ErrorNote error={action.error} />
    </div>
  );
}
