/**
 * The wait a failed response asks for, from its `retry-after-ms` and `retry-after` headers, read
 * strictly: a number of the documented form, or a real HTTP date; anything else is ignored (the
 * lenient `Date.parse` reads `-32` as the year 2032).
 */

/** `retry-after-ms` (not a documented API header; the SDKs read it): milliseconds, decimals allowed. */
const MS_FORM = /^\d{1,15}(\.\d+)?$/;
/** `retry-after` as delay-seconds (RFC 9110: digits only). */
const SECONDS_FORM = /^\d{1,12}$/;
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
/** `retry-after` as an HTTP date: IMF-fixdate, the obsolete RFC 850 and asctime forms (RFC 9110 §5.6.7). */
const DATE_FORMS = [
  new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$`),
  new RegExp(
    `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT$`,
  ),
  new RegExp(`^${DAY} ${MONTH} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4}$`),
];

/** A server's wait: milliseconds, and whether they are precise (`retry-after-ms`) or rounded up to
 * whole seconds (`retry-after`, as the API sends it). */
export interface RetryAfter {
  readonly ms: number;
  readonly precise: boolean;
}

/** The wait the server asked for, with its precision (see {@link parseRetryAfter}). */
export function readRetryAfter(
  headers: Headers | undefined | null,
  now: number = Date.now(),
): RetryAfter | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && MS_FORM.test(ms)) return { ms: Math.ceil(Number(ms)), precise: true };
  const text = headers.get('retry-after')?.trim();
  if (!text) return undefined;
  if (SECONDS_FORM.test(text)) return { ms: Number(text) * 1000, precise: false };
  if (!DATE_FORMS.some((form) => form.test(text))) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : { ms: Math.max(0, date - now), precise: false };
}

/**
 * The wait the server asked for, in ms, from `retry-after-ms`, else `retry-after` (whole seconds,
 * or an HTTP date, then relative to `now`, epoch ms). `undefined` when absent or malformed. Callers
 * cap it: a value may be absurdly large.
 */
export function parseRetryAfter(
  headers: Headers | undefined | null,
  now: number = Date.now(),
): number | undefined {
  return readRetryAfter(headers, now)?.ms;
}
