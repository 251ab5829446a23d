/**
 * Admission: whether an attempt may be sent now, and what sending it takes. Deterministic
 * transitions on a {@link KeyState}: no I/O, no timers, the clock a parameter.
 */
import type { KeyState } from '../key-state.js';
import { accelerationWait, recordDispatch } from './acceleration.js';
import { charge, HEADER_ROUNDING, pacingWait, PACED_BUCKET_NAMES, type BucketName } from './buckets.js';
import { inputScale } from './input-count.js';
import { countAttempt, outageWait } from './outage.js';

/** What one attempt costs each paced bucket. */
export type AttemptCost = Readonly<Record<BucketName, number>>;

/** What the reports about an attempt need to know of its dispatch. */
export interface Dispatch {
  readonly at: number;
  /** Cost dispatched so far per bucket, this attempt included. */
  readonly spent: AttemptCost;
  /** What this attempt charged each bucket (input tokens as the API has been counting them). */
  readonly charged: AttemptCost;
  /** Attempts in flight when it was sent, itself not counted. */
  readonly inFlight: number;
}

/**
 * Milliseconds until an attempt of `cost` may go: a hold, an outage's probe in flight, pacing, the
 * acceleration gate; 0 = now.
 * Pacing waits at most `maxPacingMs`: a mirror that predicts a longer wait is an estimate, and the
 * attempt sent after it lets the API say (a 429's retry-after is authoritative).
 */
export function admitWait(state: KeyState, cost: AttemptCost, now: number, maxPacingMs: number): number {
  let wait = Math.max(state.holdUntil - now, outageWait(state.outage, state.inFlight));
  for (const b of PACED_BUCKET_NAMES)
    wait = Math.max(
      wait,
      Math.min(maxPacingMs, pacingWait(state.buckets[b], charged(state, cost, b), now, HEADER_ROUNDING[b])),
    );
  return Math.max(wait, accelerationWait(state.acceleration, now, state.inFlight));
}

/** What pacing charges bucket `b` for an attempt of `cost`: input tokens as the API has counted them. */
function charged(state: KeyState, cost: AttemptCost, b: BucketName): number {
  return b === 'inputTokens' ? cost[b] * inputScale(state.inputCount) : cost[b];
}

/** Charges an attempt sent at `now`, synchronously with the decision, so the next one sees it. */
export function dispatch(state: KeyState, cost: AttemptCost, now: number, intervalMs: number): Dispatch {
  countAttempt(state.outage, now, intervalMs);
  const charges = { requests: 0, inputTokens: 0, outputTokens: 0 };
  for (const b of PACED_BUCKET_NAMES) {
    const c = (charges[b] = charged(state, cost, b));
    state.spent[b] += c;
    state.buckets[b] = charge(state.buckets[b], c, now);
  }
  recordDispatch(state.acceleration, now);
  const inFlight = state.inFlight++;
  return { at: now, spent: { ...state.spent }, charged: charges, inFlight };
}
