/** What every eval result records about the run that produced it, as the benchmarks stamp theirs. */
export interface EvalStamp {
  /** The full commit of the code evaluated ('unknown' outside git). */
  commit: string;
  /** Whether the working tree had uncommitted changes. */
  dirty: boolean;
  /** When the eval finished (ISO 8601). */
  date: string;
  elapsedSeconds: number;
  /** The dataset directory, relative to the project root. */
  data: string;
}
