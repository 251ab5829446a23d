/**
 * What the API's answers do to a key+model's state: rate-limit headers fold into the bucket
 * mirrors, and a 429's charges come back to them (it admitted nothing); successes let the
 * concurrency limit grow, end outages and open a closed acceleration gate; throttles cut. A
 * rate-limit 429 (a bucket is empty) holds the key+model for its `retry-after`; an acceleration
 * refusal holds nothing (the refused call waits its own `retry-after`): it cuts the acceleration
 * gate's rate to what the API was admitting (or sets its ceiling on attempts in flight), and that
 * level keeps flowing. Deterministic transitions on a {@link KeyState}: no I/O, no timers; the
 * clock and the random source are parameters.
 */
import type { Throttle } from '../../classify/classify.js';
import type { SeenBuckets } from '../../attempt/rate-limit-headers.js';
import type { KeyState, LimiterSettings } from '../key-state.js';
import type { AttemptCost, Dispatch } from './admit.js';
import { accelerationAdmitted, accelerationRefused, forget, growRate } from './acceleration.js';
import { foldObservation, PACED_BUCKET_NAMES, refund, type BucketName } from './buckets.js';
import { learnInputCount } from './input-count.js';
import { cutConcurrency, growConcurrency, noteAnswering, noteSuccess, slowStartStep } from './concurrency.js';
import { countOverload, outageSuccess, outageThrottle, overloadShare, OVERLOAD_SHARE } from './outage.js';

/**
 * How long attempts must stay in flight, unrefused, to show the API admits them: a refusal comes
 * back within a round trip, far sooner.
 */
export const ADMISSION_EVIDENCE_MS = 500;

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

/**
 * The rate-limit headers of the response to an attempt dispatched as `d`; `refused`: the response
 * was a 429, so the API admitted nothing for it (see {@link reportRefused}).
 */
export function reportHeaders(
  state: KeyState,
  seen: SeenBuckets,
  d: Dispatch,
  now: number,
  refused = false,
): void {
  if (refused) reportRefused(state, d, now);
  for (const b of PACED_BUCKET_NAMES) {
    const observed = seen[b];
    if (!observed) continue;
    // What was sent after the attempt: counted from before its own charge when that came back.
    const since = refused && givenBack(b) ? d.spent[b] - d.charged[b] : d.spent[b];
    state.buckets[b] = foldObservation(state.buckets[b], observed, now, d.at, state.spent[b] - since);
  }
}

/**
 * A 429 admitted nothing: its request and its input tokens come back to the mirrors (its output
 * reservation comes back when the attempt settles, as any failed attempt's does). Kept charged,
 * every refused call of a batch bound by input tokens would be waited for again out of the refill
 * (10,000 tokens of a refused call: most of a second at 800,000 a minute). Given back before its
 * own headers fold in, since they show the bucket without it; and out of the count dispatched,
 * so the answers of attempts sent before it do not take it off the mirror again.
 */
export function reportRefused(state: KeyState, d: Dispatch, now: number): void {
  for (const b of PACED_BUCKET_NAMES) if (givenBack(b)) giveBack(state, b, d.charged[b], now);
}

/** The buckets a 429 gives back at once; output tokens come back when the attempt settles. */
const givenBack = (b: BucketName): boolean => b !== 'outputTokens';

/**
 * `amount` of bucket `b` the API did not keep comes back: to the mirror, and out of the count
 * dispatched, which the answers of earlier attempts subtract as sent after them.
 */
function giveBack(state: KeyState, b: BucketName, amount: number, now: number): void {
  state.spent[b] -= amount;
  state.buckets[b] = refund(state.buckets[b], amount, now);
}

/** A success of the attempt dispatched as `d`; `saturated`: work is waiting for a slot. */
export function reportSuccess(
  state: KeyState,
  d: Dispatch,
  now: number,
  s: LimiterSettings,
  saturated: boolean,
): void {
  state.lastSuccessAt = now;
  state.concurrency = slowStartStep(noteSuccess(state.concurrency), s, saturated);
  if (outageSuccess(state.outage, now, s.rampIntervalMs, d.at)) {
    // The overloads are over: slow start takes the limit back to where it was before them (529s
    // say the API was short of room, not that this key+model sent too much).
    const c = state.concurrency;
    state.concurrency = { ...c, threshold: Math.max(c.threshold, state.outage.limitBefore) };
  }
  accelerationAdmitted(state.acceleration, d.at, now, d.inFlight);
}

/**
 * A throttle: a 429 (`rate` or `acceleration`) of the attempt dispatched as `refused`, or a 529
 * (`overload`, from an answer or mid-stream). A server's `retry-after` on a rate-limit 429 or a 529
 * holds the key+model; without one, an outage holds it (see `outage.ts`).
 */
export function reportThrottle(
  state: KeyState,
  throttle: Throttle,
  retryAfter: { readonly ms: number | undefined; readonly precise?: boolean | undefined },
  refused: Dispatch | undefined,
  now: number,
  s: LimiterSettings,
  random: () => number,
): void {
  if (throttle === 'none') return;
  state.quietSince = now;
  // A refused attempt was admitted by nothing: it leaves the admitted count.
  if (refused && throttle !== 'overload') forget(state.acceleration, refused.at, now);
  // The rate it cuts to bounds what is in flight too (admitted rate × call duration), and an
  // in-flight cap gets its own ceiling: the concurrency limit is left to the throttles that say the
  // API is short of room.
  if (throttle === 'acceleration') {
    return accelerationRefused(state.acceleration, refused?.at ?? now, now, retryAfter, refused?.inFlight);
  }
  const retryAfterMs = retryAfter.ms;
  // The server's own wait holds the key+model: its bucket is empty, or it is overloaded.
  if (retryAfterMs !== undefined) hold(state, retryAfterMs, now, s);
  if (throttle === 'overload') {
    if (state.outage.events === 0) state.outage.limitBefore = state.concurrency.limit;
    countOverload(state.outage, now, s.rampIntervalMs);
    // An isolated 529 says little about load: retry that call, keep the limit as it is.
    if (overloadShare(state.outage, now, s.rampIntervalMs) < OVERLOAD_SHARE) return;
  }
  state.concurrency = cutConcurrency(state.concurrency, s, now, throttle);
  if (retryAfterMs !== undefined) return;
  const outageHoldMs = outageThrottle(state.outage, s, now, random);
  if (outageHoldMs > 0) hold(state, outageHoldMs, now, s);
}

/**
 * An attempt reached the wire (its `fetch` was called): evidence that the API admits attempts counts
 * from the first one sent, not from the first handed on, which a cloud client may still be signing.
 */
export function reportSent(state: KeyState, now: number): void {
  if (state.quietSince === Infinity) state.quietSince = now;
}

/** An attempt's answer came back (a stream: was read to its end): its slot is free. */
export function reportReleased(state: KeyState): void {
  state.inFlight = Math.max(0, state.inFlight - 1);
}

/**
 * The output tokens the API reserved for an attempt (its `max_tokens`) and did not use come back
 * when it ends: `used` is what it produced (0 for an attempt refused or failed before content).
 * `inputCounted`, when its usage said: the input tokens the API counted against its limit.
 */
export function reportUsage(
  state: KeyState,
  cost: AttemptCost,
  used: number,
  now: number,
  inputCounted?: number,
): void {
  if (inputCounted !== undefined) learnInputCount(state.inputCount, cost.inputTokens, inputCounted);
  const back = Math.max(0, cost.outputTokens - used);
  if (back > 0) giveBack(state, 'outputTokens', back, now);
}

/**
 * Lets the concurrency limit and the acceleration gate's rate grow when work is waiting
 * (`saturated`) and the limit is healthy.
 */
export function grow(state: KeyState, now: number, saturated: boolean, s: LimiterSettings): void {
  // Attempts in flight (on the wire) long past the time a refusal takes to come back were admitted:
  // the API is answering, even before the first (long) call ends.
  if (state.inFlight > 0 && now - state.quietSince >= ADMISSION_EVIDENCE_MS) {
    state.concurrency = noteAnswering(state.concurrency);
  }
  state.concurrency = growConcurrency(state.concurrency, s, now, saturated);
  growRate(state.acceleration, now, saturated, state.inFlight);
}
