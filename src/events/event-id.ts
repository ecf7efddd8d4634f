/**
 * Event ids are Redis stream ids (`<ms>-<seq>`), growing along each stream: what `after:` takes.
 * Kept apart from the bus so that clients can order ids without loading a Redis client.
 */

/** Orders Redis stream ids (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}
