/** The fields of a driver error that the public error names. */
export interface ConstraintErrorFields {
  code?: string;
  message?: string;
  constraint?: string;
  column?: string;
}

/** Where each kind of integrity error names its constraint or column in PostgreSQL's message. */
const NAMED_IN_MESSAGE: Record<string, { field: 'constraint' | 'column'; pattern: RegExp }> = {
  '23505': { field: 'constraint', pattern: /unique constraint "([^"]+)"/ },
  '23503': { field: 'constraint', pattern: /foreign key constraint "([^"]+)"/ },
  '23514': { field: 'constraint', pattern: /check constraint "([^"]+)"/ },
  '23P01': { field: 'constraint', pattern: /exclusion constraint "([^"]+)"/ },
  '23502': { field: 'column', pattern: /null value in column "([^"]+)"/ },
};

/**
 * A Citus coordinator relays a worker's error with its SQLSTATE and message but without the
 * constraint and column fields, and the worker names shard objects (`students_pkey_102056`). This
 * gives such an error back the fields a single node would have set, read from the message and
 * with the shard suffix taken off where the logical name is one of `knownConstraints`, so that
 * clients see the same error in both modes. Errors that carry their fields are returned as they are.
 */
export function restoreCitusErrorFields<E extends ConstraintErrorFields>(error: E, knownConstraints: ReadonlySet<string>): E {
  const named = error.code ? NAMED_IN_MESSAGE[error.code] : undefined;
  if (!named || error[named.field] || typeof error.message !== 'string') return error;
  const found = named.pattern.exec(error.message)?.[1];
  if (!found) return error;
  const value = named.field === 'constraint' ? logicalConstraintName(found, knownConstraints) : found;
  return Object.assign(error, { [named.field]: value });
}

/** `students_pkey_102056` → `students_pkey` when that is a known constraint; otherwise unchanged. */
export function logicalConstraintName(name: string, knownConstraints: ReadonlySet<string>): string {
  if (knownConstraints.has(name)) return name;
  const withoutShard = /^(.+)_\d+$/.exec(name)?.[1];
  return withoutShard && knownConstraints.has(withoutShard) ? withoutShard : name;
}
