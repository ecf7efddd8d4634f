import { useConsole } from '../console-context';
import { isAdmin } from '../session/session';

/**
 * The tenant a panel works on. A tenant token is bound to its tenant (shown, not editable); an
 * admin picks one, or none for every tenant.
 */
export function TenantPicker({ value, onChange, allLabel = 'all tenants' }: { value: string; onChange: (tenant: string) => void; allLabel?: string }) {
  const { session } = useConsole();
  if (!isAdmin(session)) return <span className="tenant-fixed">tenant {session.tenant}</span>;
  return (
    <label className="tenant-picker">
      tenant{' '}
      <input data-testid="tenant" value={value} onChange={(e) => onChange(e.target.value.trim())} placeholder={allLabel} size={10} pattern="[A-Za-z0-9_\-]{0,64}" />
    </label>
  );
}

/** The `tenant` argument for a panel's query: null for an admin's "all tenants" (and for tenant tokens, whose tenant the gateway applies). */
export function tenantArgument(value: string): string | null {
  return value === '' ? null : value;
}
