import type { MutationPlan } from '../plan/plan-types.js';

/**
 * Citus 13.2.2 fails a data-modifying CTE whose WHERE prunes it to no shard at all (a tenant's
 * update aimed at another tenant: `university_id = 2 AND university_id = 1`) with "could not find
 * valid entry for shard 0" (citusdata/citus#8693, fixed after 13.2.2). Zero shards means the
 * WHERE can match no row anywhere, and the error is raised while planning, before anything ran:
 * the statement's true answer is the empty change.
 */
export function isCitusZeroShardModifyError(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 'XX000' && typeof message === 'string' && message.startsWith('could not find valid entry for shard 0');
}

/** What a mutation's statement returns when it changed no row. */
export function emptyMutationResult(plan: MutationPlan): Record<string, unknown> {
  return Object.fromEntries(
    plan.output.map((item): [string, unknown] => {
      switch (item.kind) {
        case 'typename':
          return [item.key, item.typeName];
        case 'affectedRows':
          return [item.key, 0];
        case 'returning':
          return [item.key, []];
      }
    }),
  );
}
