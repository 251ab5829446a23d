/**
 * The response headers the gateway reads: the paced buckets on every response (a few `get()`s),
 * and for a recording span every rate-limit header (one walk: cheaper than a `get()` per name).
 */
import { PACED_BUCKETS, type BucketName } from './pacer.js';

export interface SeenHeaders {
  requestId: string | undefined;
  /** `anthropic-ratelimit-*` headers as [name without the prefix, value]. */
  readonly ratelimit: Array<[string, string]>;
  /** The paced buckets' limit (per minute) and remaining, when both were sent. */
  readonly buckets: Partial<Record<BucketName, { limit: number; remaining: number }>>;
}

const PREFIX = 'anthropic-ratelimit-';
const STEMS = Object.entries(PACED_BUCKETS).map(([name, stem]) => [name as BucketName, stem.slice(PREFIX.length)] as const);

/** The paced buckets' limit (per minute) and remaining, when both were sent. */
export function readBuckets(headers: Headers): SeenHeaders['buckets'] {
  const out: SeenHeaders['buckets'] = {};
  for (const [bucket, stem] of Object.entries(PACED_BUCKETS) as Array<[BucketName, string]>) {
    const remaining = headers.get(`${stem}-remaining`);
    if (remaining === null) continue;
    const limit = Number(headers.get(`${stem}-limit`));
    const left = Number(remaining);
    if (limit > 0 && left >= 0 && Number.isFinite(limit + left)) out[bucket] = { limit, remaining: left };
  }
  return out;
}

export function readHeaders(headers: Headers): SeenHeaders {
  const seen: SeenHeaders = { requestId: undefined, ratelimit: [], buckets: {} };
  const partial: Record<string, { limit?: number; remaining?: number }> = {};
  for (const [name, value] of headers) {
    if (name === 'request-id') seen.requestId = value;
    else if (name.startsWith(PREFIX)) {
      const rest = name.slice(PREFIX.length);
      seen.ratelimit.push([rest, value]);
      for (const [bucket, stem] of STEMS) {
        if (rest === `${stem}-limit`) (partial[bucket] ??= {}).limit = Number(value);
        else if (rest === `${stem}-remaining`) (partial[bucket] ??= {}).remaining = Number(value);
      }
    }
  }
  for (const [bucket, { limit, remaining }] of Object.entries(partial)) {
    if (limit !== undefined && remaining !== undefined && limit > 0 && remaining >= 0 && Number.isFinite(limit + remaining)) {
      seen.buckets[bucket as BucketName] = { limit, remaining };
    }
  }
  return seen;
}
