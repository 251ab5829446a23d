/**
 * What the API's answers do to a key+model's state: rate-limit headers fold into the bucket
 * mirrors, successes let the concurrency limit grow and end outages, throttles cut it, hold the
 * key+model and arm the acceleration gate. Deterministic transitions on a {@link KeyState}: no I/O,
 * no timers; the clock and the random source are parameters.
 */
import type { Throttle } from '../../classify/classify.js';
import type { SeenBuckets } from '../../attempt/rate-limit-headers.js';
import type { KeyState, LimiterSettings } from '../key-state.js';
import type { Dispatch } from './admit.js';
import { arm, forget } from './acceleration.js';
import { foldObservation, PACED_BUCKET_NAMES } from './buckets.js';
import { cutConcurrency, growConcurrency, noteSuccess } from './concurrency.js';
import { countOverload, outageSuccess, outageThrottle, overloadShare, OVERLOAD_SHARE } from './outage.js';

/**
 * Holds every attempt for the key+model until `ms` from `now`, never longer than `maxRetryAfterMs`:
 * no single answer, however large its `retry-after`, wedges a key+model.
 */
export function hold(
  state: KeyState,
  ms: number,
  now: number,
  s: Pick<LimiterSettings, 'maxRetryAfterMs'>,
): void {
  if (!(ms > 0)) return;
  state.holdUntil = Math.max(state.holdUntil, now + Math.min(ms, s.maxRetryAfterMs));
}

/** The rate-limit headers of the response to an attempt dispatched as `d`. */
export function reportHeaders(state: KeyState, seen: SeenBuckets, d: Dispatch, now: number): void {
  for (const b of PACED_BUCKET_NAMES) {
    const observed = seen[b];
    if (observed)
      state.buckets[b] = foldObservation(state.buckets[b], observed, now, d.at, state.spent[b] - d.spent[b]);
  }
}

export function reportSuccess(state: KeyState, now: number, s: LimiterSettings): void {
  state.concurrency = noteSuccess(state.concurrency);
  outageSuccess(state.outage, now, s.rampIntervalMs);
}

/**
 * A throttle (429, 529) cuts the concurrency limit. With a `retry-after`, every attempt for this
 * key+model waits it out; without one, an outage holds them (see `outage.ts`). `refusedAt` is the
 * dispatch time of an attempt the API refused (a 429): it admitted nothing.
 */
export function reportThrottle(
  state: KeyState,
  throttle: Throttle,
  retryAfterMs: number | undefined,
  refusedAt: number | undefined,
  now: number,
  s: LimiterSettings,
  random: () => number,
): void {
  if (throttle === 'none') return;
  if (refusedAt !== undefined && throttle !== 'overload') {
    if (throttle === 'acceleration') arm(state.acceleration, refusedAt);
    forget(state.acceleration, refusedAt);
  }
  // The server's own wait holds the key+model, whatever else the throttle means.
  if (retryAfterMs !== undefined) hold(state, retryAfterMs, now, s);
  if (throttle === 'overload') {
    countOverload(state.outage, now, s.rampIntervalMs);
    // An isolated 529 says little about load: retry that call, keep the limit as it is.
    if (overloadShare(state.outage, now, s.rampIntervalMs) < OVERLOAD_SHARE) return;
  }
  state.concurrency = cutConcurrency(state.concurrency, s, now, throttle);
  if (retryAfterMs !== undefined) return;
  const outageHoldMs = outageThrottle(state.outage, s, now, random);
  if (outageHoldMs > 0) hold(state, outageHoldMs, now, s);
}

/** Lets the concurrency limit grow when work is waiting (`saturated`) and the limit is healthy. */
export function grow(state: KeyState, now: number, saturated: boolean, s: LimiterSettings): void {
  state.concurrency = growConcurrency(state.concurrency, s, now, saturated);
}
