/**
 * A client-side audit of `retry-after`: wraps the real `fetch` and counts attempts sent for an API
 * key and model while a `retry-after` that the client had already received for them was still
 * running. That is the precise form of "no attempt before a known retry-after": the simulator's
 * own count also includes attempts that were in flight when it sent the 429.
 */
import { createHash } from 'node:crypto';

export interface FetchAudit {
  /** Pass as the SDK's `fetch` option. */
  readonly fetch: typeof fetch;
  /** Attempts sent before a retry-after known to the client had passed. */
  violations(): number;
  /** Attempts sent in all. */
  attempts(): number;
}

function keyOf(init: RequestInit | undefined): string {
  const headers = new Headers(init?.headers);
  const auth = headers.get('authorization') ?? headers.get('x-api-key') ?? '';
  let model = '*';
  if (typeof init?.body === 'string') {
    const m = /"model":\s*"([^"]+)"/.exec(init.body);
    if (m) model = m[1]!;
  }
  return createHash('sha256').update(auth).digest('hex').slice(0, 12) + model;
}

function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms)) return ms;
  const s = Number(headers.get('retry-after'));
  return headers.has('retry-after') && Number.isFinite(s) ? s * 1000 : undefined;
}

/** Creates an audit around `base` (default: the global `fetch`). */
export function createFetchAudit(base: typeof fetch = globalThis.fetch): FetchAudit {
  const holds = new Map<string, number>();
  let violations = 0;
  let attempts = 0;
  const audited = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const key = keyOf(init);
    attempts++;
    // 1 ms of slack for timer granularity.
    if ((holds.get(key) ?? 0) > performance.now() + 1) violations++;
    const response = await base(input, init);
    if (response.status === 429) {
      const wait = retryAfterMs(response.headers);
      if (wait !== undefined) holds.set(key, Math.max(holds.get(key) ?? 0, performance.now() + wait));
    }
    return response;
  }) as typeof fetch;
  return { fetch: audited, violations: () => violations, attempts: () => attempts };
}
