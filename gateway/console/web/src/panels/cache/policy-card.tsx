import { useCallback, useState, type FormEvent } from 'react';
import { useAction } from '../../api/use-query';
import { ErrorNote } from '../../components/error-note';
import { useConsole } from '../../console-context';
import { isAdmin } from '../../session/session';
import { POLICY_MUTATION, type PolicyView } from './cache-api';

/** The tenant's cache policy, for everyone; admins change it here (setCachePolicy). */
export function PolicyCard({ tenant, policy, onSaved }: { tenant: string | null; policy: PolicyView | null; onSaved: () => void }) {
  const { session } = useConsole();
  const allTenants = isAdmin(session) && tenant === null;
  return (
    <section className="card" data-testid="cache-policy">
      <h3 className="cache-card-title">Policy</h3>
      {allTenants ? (
        <p className="muted">Choose a tenant to see and change its policy (every tenant has its own).</p>
      ) : policy === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <div className="cache-policy-current" data-testid="policy-current">
            <span>
              threshold <b data-testid="policy-current-threshold">{policy.threshold}</b>
            </span>
            <span>
              max entries <b data-testid="policy-current-max-entries">{policy.maxEntries.toLocaleString()}</b>
            </span>
            <span>
              TTL <b data-testid="policy-current-ttl">{policy.ttlSeconds === 0 ? 'no expiry' : `${policy.ttlSeconds.toLocaleString()} s`}</b>
            </span>
            <span>
              rebind <b data-testid="policy-current-rebind">{policy.rebind ? 'on' : 'off'}</b>
            </span>
            <span>
              literal guard <b data-testid="policy-current-literal-guard">{policy.literalGuard ? 'on' : 'off'}</b>
            </span>
          </div>
          {isAdmin(session) && tenant !== null && <PolicyForm key={`${tenant}:${JSON.stringify(policy)}`} tenant={tenant} policy={policy} onSaved={onSaved} />}
        </>
      )}
    </section>
  );
}

function PolicyForm({ tenant, policy, onSaved }: { tenant: string; policy: PolicyView; onSaved: () => void }) {
  const { client } = useConsole();
  const [threshold, setThreshold] = useState(String(policy.threshold));
  const [maxEntries, setMaxEntries] = useState(String(policy.maxEntries));
  const [ttlSeconds, setTtlSeconds] = useState(String(policy.ttlSeconds));
  const [rebind, setRebind] = useState(policy.rebind);
  const [literalGuard, setLiteralGuard] = useState(policy.literalGuard);
  const save = useCallback((variables: Record<string, unknown>) => client.request<{ setCachePolicy: PolicyView }>(POLICY_MUTATION, variables), [client]);
  const action = useAction(save);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const saved = await action.run({ tenant, threshold: Number(threshold), maxEntries: Number(maxEntries), ttlSeconds: Number(ttlSeconds), rebind, literalGuard });
    if (saved) onSaved();
  };

  return (
    <form className="cache-policy-form" data-testid="policy-form" onSubmit={(e) => void submit(e)}>
      <label>
        threshold
        <input type="number" min={0} max={1} step={0.01} required value={threshold} onChange={(e) => setThreshold(e.target.value)} data-testid="policy-threshold" />
      </label>
      <label>
        max entries
        <input type="number" min={1} step={1} required value={maxEntries} onChange={(e) => setMaxEntries(e.target.value)} data-testid="policy-max-entries" />
      </label>
      <label>
        TTL seconds (0: none)
        <input type="number" min={0} step={1} required value={ttlSeconds} onChange={(e) => setTtlSeconds(e.target.value)} data-testid="policy-ttl" />
      </label>
      <label className="cache-check">
        <input type="checkbox" checked={rebind} onChange={(e) => setRebind(e.target.checked)} data-testid="policy-rebind" /> rebind literals
      </label>
      <label className="cache-check">
        <input type="checkbox" checked={literalGuard} onChange={(e) => setLiteralGuard(e.target.checked)} data-testid="policy-literal-guard" /> literal guard
      </label>
      <button type="submit" disabled={action.pending} data-testid="policy-save">
        {action.pending ? 'Saving…' : `Save for tenant ${tenant}`}
      </button>
      <ErrorNote error={action.error} />
    </form>
  );
}
