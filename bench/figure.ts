/** One measured quantity over the runs of a benchmark: every run's value, their median and extremes. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  /** Each run's value, in the order the runs were made. */
  runs: number[];
}

/** The figure of a quantity measured once per run (the median of an even count is the mean of the middle two). */
export function figureOf(runs: number[]): Figure {
  if (runs.length === 0) throw new Error('a figure needs at least one run');
  if (runs.some((v) => !Number.isFinite(v))) throw new Error(`a figure's runs must be finite numbers, got ${runs.join(', ')}`);
  const sorted = [...runs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, runs: [...runs] };
}

/** A figure as table text: the median, then `(min–max)` unless every run shows the same at this precision. */
export function formatFigure(figure: Figure | null, digits: number): string {
  if (figure === null) return '';
  const median = figure.median.toFixed(digits);
  const min = figure.min.toFixed(digits);
  const max = figure.max.toFixed(digits);
  return min === max ? median : `${median} (${min}–${max})`;
}
