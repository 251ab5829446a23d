/** The wait a failed response asks for, from its `retry-after-ms` and `retry-after` headers. */

/**
 * The wait the server asked for, in ms, from `retry-after-ms` (ms), else `retry-after` (whole
 * seconds, or an HTTP date). `undefined` when absent or unparseable.
 */
export function parseRetryAfter(
  headers: Headers | undefined | null,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return undefined;
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
