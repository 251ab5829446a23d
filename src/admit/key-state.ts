/**
 * The limiter's state for one key+model, as one plain value: everything the admission decisions
 * read and change. The transitions live in `policy/`; the waiting queue and the timers live in
 * `admission.ts`.
 */
import { initialAcceleration, type AccelerationState } from './policy/acceleration.js';
import type { BucketName, Mirror } from './policy/buckets.js';
import { initialInputCount, type InputCount } from './policy/input-count.js';
import { initialConcurrency, type ConcurrencySettings, type ConcurrencyState } from './policy/concurrency.js';
import { initialOutage, type OutageSettings, type OutageState } from './policy/outage.js';

/** The settings the decisions read. */
export type LimiterSettings = ConcurrencySettings &
  OutageSettings & { readonly concurrencyInitial: number; readonly maxRetryAfterMs: number };

export interface KeyState {
  concurrency: ConcurrencyState;
  /** Attempts dispatched and not yet answered (a stream: not yet read to its end). */
  inFlight: number;
  /** Since when attempts have gone out with no throttle (the first dispatch, or the last throttle). */
  quietSince: number;
  /** When a call last succeeded. */
  lastSuccessAt: number;
  /** No attempt before this time (a `retry-after`, an outage): the hold. */
  holdUntil: number;
  outage: OutageState;
  /** The mirror of each paced bucket, once its headers were seen. */
  buckets: Partial<Record<BucketName, Mirror>>;
  /** Cost dispatched so far per bucket: a response tells what was sent after its own attempt. */
  spent: Record<BucketName, number>;
  /** How the API counts input tokens against the estimates: what pacing charges for them. */
  inputCount: InputCount;
  acceleration: AccelerationState;
}

export function initialKeyState(s: LimiterSettings, now: number): KeyState {
  return {
    concurrency: initialConcurrency(s.concurrencyInitial, s, now),
    inFlight: 0,
    quietSince: Infinity,
    lastSuccessAt: -Infinity,
    holdUntil: 0,
    outage: initialOutage(),
    buckets: {},
    spent: { requests: 0, inputTokens: 0, outputTokens: 0 },
    inputCount: initialInputCount(),
    acceleration: initialAcceleration(),
  };
}
