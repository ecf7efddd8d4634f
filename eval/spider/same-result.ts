/** A value as the comparison sees it: numbers from either engine alike, text as text. */
type Normal = number | string | null;

const NUMERIC_TEXT = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** Relative tolerance between floats (SQLite's doubles against PostgreSQL's numeric averages). */
const RELATIVE = 1e-6;
const ABSOLUTE = 1e-9;

/**
 * Whether two query results hold the same rows: as multisets, or in the same order when `ordered`
 * (the gold query sorts at its top level). Values are normalised first, since SQLite and
 * PostgreSQL return the same data in different JavaScript forms: numbers, numeric text (pg's
 * numeric and bigint, SQLite's numbers stored as text), bigints and booleans all become numbers
 * compared with a relative tolerance of 1e-6; null and undefined are null; dates their ISO text;
 * bytes their hex; other text is compared exactly.
 */
export function sameResult(a: readonly (readonly unknown[])[], b: readonly (readonly unknown[])[], ordered: boolean): boolean {
  if (a.length !== b.length) return false;
  let left = a.map((row) => row.map(normalise));
  let right = b.map((row) => row.map(normalise));
  if (!ordered) {
    left = [...left].sort(compareRows);
    right = [...right].sort(compareRows);
  }
  return left.every((row, i) => sameRow(row, right[i]!));
}

function normalise(value: unknown): Normal {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') return NUMERIC_TEXT.test(value) ? Number(value) : value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return JSON.stringify(value);
}

function sameRow(a: Normal[], b: Normal[]): boolean {
  return a.length === b.length && a.every((v, i) => sameValue(v, b[i]!));
}

function sameValue(a: Normal, b: Normal): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= Math.max(ABSOLUTE, RELATIVE * Math.max(Math.abs(a), Math.abs(b)));
  return a === b;
}

/** A total order on normalised rows (null, then numbers, then text), to line two multisets up. */
function compareRows(a: Normal[], b: Normal[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compareValues(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

function compareValues(a: Normal, b: Normal): number {
  const rank = (v: Normal) => (v === null ? 0 : typeof v === 'number' ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return 0;
}
