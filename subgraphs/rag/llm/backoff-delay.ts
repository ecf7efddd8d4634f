/** The longest wait between two retries, whatever the retry number. */
const MAX_DELAY_MS = 10_000;

/**
 * Wait before retry number `retry` (1 for the first): exponential from `baseMs`, with "equal
 * jitter" (half fixed, half random) so that clients that failed together do not retry together.
 */
export function backoffDelay(retry: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.max(0, retry - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}
