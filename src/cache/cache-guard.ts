/**
 * Decides whether a cached question, already within the similarity threshold of an incoming one,
 * may answer it: as is (HIT), with the incoming question's literals bound into its SQL (REBOUND),
 * or not at all (REJECT). (Placeholder signature; the implementation lands with the cache core.)
 */
export interface GuardPolicy {
  /** Require agreement of the literal signature (numbers, quoted values, names, comparatives, negation, …). */
  literalGuard: boolean;
  /** Allow REBOUND when the questions differ only in literals. */
  rebind: boolean;
}

export type GuardDecision =
  | { kind: 'HIT' }
  /** `sql` has `$1…$n` where the cached SQL had literals; `params` are their new values, as text. */
  | { kind: 'REBOUND'; sql: string; params: string[] }
  | { kind: 'REJECT'; reason: string };

export function judgeCandidate(_cached: { question: string; sql: string }, _incoming: string, _policy: GuardPolicy): GuardDecision {
  throw new Error('not implemented yet');
}
