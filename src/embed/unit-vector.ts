/** The vector scaled to length 1 (cosine similarity is then a dot product); a zero or non-finite vector is an error. */
export function toUnitVector(values: ArrayLike<number>): Float32Array {
  let sumOfSquares = 0;
  for (let i = 0; i < values.length; i += 1) sumOfSquares += (values[i] as number) ** 2;
  const length = Math.sqrt(sumOfSquares);
  if (!Number.isFinite(length) || length === 0) throw new Error(`cannot normalise an embedding of length ${length}`);
  const unit = new Float32Array(values.length);
  for (let i = 0; i < values.length; i += 1) unit[i] = (values[i] as number) / length;
  return unit;
}
