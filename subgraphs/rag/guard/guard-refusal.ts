import type { GuardRuleId } from './guard-rules.js';

/** Thrown inside the guard when a rule refuses the statement; guardSql turns it into a verdict. */
export class GuardRefusal extends Error {
  override name = 'GuardRefusal';

  constructor(
    readonly rule: GuardRuleId,
    /** What the rule caught: a function, a table, a statement kind. */
    readonly subject = '',
  ) {
    super(`${rule}: ${subject}`);
  }
}
