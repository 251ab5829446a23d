/**
 * A client-side audit of `retry-after`: wraps the real `fetch` and counts attempts sent while a
 * rate-limit `retry-after` that the client had already received for the same limits was still
 * running. That is the precise form of "no attempt into a known retry-after": the simulator's own
 * count also includes attempts that were in flight when it sent the 429.
 *
 * The limits are the API's: per organization (named by each answer's `anthropic-organization-id`;
 * before the first answer, per API key) and model. A rate-limit 429 says a bucket is empty; an
 * acceleration refusal (`ramp_limit_exceeded`) says the client grew too fast, and its wait is the
 * refused attempt's own: those are counted apart.
 */
import { createHash } from 'node:crypto';

export interface FetchAudit {
  /** Pass as the SDK's `fetch` option. */
  readonly fetch: typeof fetch;
  /** Attempts sent before a rate-limit retry-after known to the client had passed. */
  violations(): number;
  /** Attempts sent before an acceleration refusal's retry-after known to the client had passed. */
  accelerationViolations(): number;
  /** Attempts sent in all. */
  attempts(): number;
}

function credentialOf(init: RequestInit | undefined): string {
  const headers = new Headers(init?.headers);
  const auth = headers.get('authorization') ?? headers.get('x-api-key') ?? '';
  return createHash('sha256').update(auth).digest('hex').slice(0, 12);
}

function modelOf(init: RequestInit | undefined): string {
  if (typeof init?.body !== 'string') return '*';
  return /"model":\s*"([^"]+)"/.exec(init.body)?.[1] ?? '*';
}

function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms)) return ms;
  const s = Number(headers.get('retry-after'));
  return headers.has('retry-after') && Number.isFinite(s) ? s * 1000 : undefined;
}

/** Creates an audit around `base` (default: the global `fetch`). */
export function createFetchAudit(base: typeof fetch = globalThis.fetch): FetchAudit {
  const organizations = new Map<string, string>();
  const holds = { rate: new Map<string, number>(), acceleration: new Map<string, number>() };
  let violations = 0;
  let accelerationViolations = 0;
  let attempts = 0;
  const keyOf = (credential: string, model: string) =>
    `${organizations.get(credential) ?? `key:${credential}`}\u0000${model}`;
  const audited = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const credential = credentialOf(init);
    const model = modelOf(init);
    attempts++;
    const key = keyOf(credential, model);
    // 1 ms of slack for timer granularity.
    const now = performance.now() + 1;
    if ((holds.rate.get(key) ?? 0) > now) violations++;
    if ((holds.acceleration.get(key) ?? 0) > now) accelerationViolations++;
    const response = await base(input, init);
    const organization = response.headers.get('anthropic-organization-id');
    if (organization) organizations.set(credential, organization);
    if (response.status === 429) {
      const wait = retryAfterMs(response.headers);
      const body = await response
        .clone()
        .text()
        .catch(() => '');
      const kind = body.includes('ramp_limit_exceeded') ? holds.acceleration : holds.rate;
      const held = keyOf(credential, model);
      if (wait !== undefined) kind.set(held, Math.max(kind.get(held) ?? 0, performance.now() + wait));
    }
    return response;
  }) as typeof fetch;
  return {
    fetch: audited,
    violations: () => violations,
    accelerationViolations: () => accelerationViolations,
    attempts: () => attempts,
  };
}
