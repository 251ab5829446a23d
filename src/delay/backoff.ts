/** Exponential backoff with full jitter. Pure: the random source is a parameter. */

/**
 * Full-jitter exponential backoff (AWS, "Exponential Backoff And Jitter"): uniform in
 * `[0, min(maxDelayMs, baseDelayMs · 2^(retry−1))]`. `retry` counts from 1.
 */
export function backoffDelay(
  retry: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(random() * ceiling);
}
