/**
 * The response headers the gateway reads: the paced buckets on every response (a few `get()`s),
 * and for a recording span every rate-limit header (one walk: cheaper than a `get()` per name).
 */
import { PACED_BUCKETS, type BucketName } from '../admit/policy/buckets.js';

/** The paced buckets' limit (per minute) and remaining, when both were sent. */
export type SeenBuckets = Partial<Record<BucketName, { limit: number; remaining: number }>>;

/** What an attempt span records from a response. */
export interface SeenHeaders {
  requestId: string | undefined;
  /** `anthropic-ratelimit-*` headers as [name without the prefix, value]. */
  readonly ratelimit: Array<[string, string]>;
}

const PREFIX = 'anthropic-ratelimit-';

/** The paced buckets' limit (per minute) and remaining, when both were sent. */
export function readBuckets(headers: Headers): SeenBuckets {
  const out: SeenBuckets = {};
  for (const [bucket, stem] of Object.entries(PACED_BUCKETS) as Array<[BucketName, string]>) {
    const remaining = headers.get(`${stem}-remaining`);
    if (remaining === null) continue;
    const limit = Number(headers.get(`${stem}-limit`));
    const left = Number(remaining);
    if (limit > 0 && left >= 0 && Number.isFinite(limit + left)) out[bucket] = { limit, remaining: left };
  }
  return out;
}

/** The request id and every rate-limit header, for a recording attempt span. */
export function readHeaders(headers: Headers): SeenHeaders {
  const seen: SeenHeaders = { requestId: undefined, ratelimit: [] };
  for (const [name, value] of headers) {
    if (name === 'request-id') seen.requestId = value;
    else if (name.startsWith(PREFIX)) seen.ratelimit.push([name.slice(PREFIX.length), value]);
  }
  return seen;
}
