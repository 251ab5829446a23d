/**
 * The concurrency limit: how many calls of one key+model may be in flight. Slow start (doubling)
 * up to the first throttle, then proportional growth (a quarter per interval, at least `rampStep`)
 * while work is queued and calls succeed; multiplicative cuts on throttles, harder on the
 * acceleration limit than on a plain rate limit, hardest on overload. Deterministic transitions on
 * a plain value: no I/O, no timers, the clock a parameter.
 */
import type { Throttle } from '../../classify/classify.js';

export interface ConcurrencySettings {
  readonly concurrencyMin: number;
  readonly concurrencyMax: number;
  readonly rampIntervalMs: number;
  readonly rampStep: number;
}

export interface ConcurrencyState {
  readonly limit: number;
  /** Slow-start threshold: doubling below it, proportional growth above it. */
  readonly threshold: number;
  readonly lastChangeAt: number;
  readonly lastCutAt: number;
  /** The limit before the latest cut, so throttles of one congestion event cut once. */
  readonly cutFrom: number;
  /** A call succeeded since the limit last changed. */
  readonly succeeded: boolean;
  /** A call for this key+model has ever succeeded: the API is answering. */
  readonly everSucceeded: boolean;
  /** A throttle arrived since the limit last changed. */
  readonly throttledSinceChange: boolean;
}

/**
 * Multiplicative decrease per throttle kind. Gentle on 429s: every 429 with `retry-after` also
 * holds all traffic for the key and model, and the acceleration limit grants each window about
 * twice what the previous one admitted, so a deep cut after the hold starves the next windows
 * (measured in bench/: ×0.5 on acceleration refusals doubled the burst's makespan). Hardest on
 * overload, which has no retry-after.
 */
export const CUT_FACTOR: Readonly<Record<Exclude<Throttle, 'none'>, number>> = {
  rate: 0.9,
  acceleration: 0.8,
  overload: 0.7,
};

/** Growth per interval past the slow-start threshold, as a share of the limit. */
export const CONCURRENCY_GROWTH_SHARE = 0.25;

export function initialConcurrency(initial: number, s: ConcurrencySettings, now: number): ConcurrencyState {
  return {
    limit: initial,
    threshold: s.concurrencyMax,
    lastChangeAt: now,
    lastCutAt: -Infinity,
    cutFrom: initial,
    succeeded: false,
    everSucceeded: false,
    throttledSinceChange: false,
  };
}

/** A new limit: the health flags start over, since they judge the limit in force. */
function changed(state: ConcurrencyState, next: Partial<ConcurrencyState>): ConcurrencyState {
  return { ...state, ...next, succeeded: false, throttledSinceChange: false };
}

/**
 * Whether the limit in force has proved healthy enough to grow: a call succeeded since it was set.
 * In slow start, long calls would otherwise double the limit only once per call duration, so there
 * an API that has answered and not throttled since the last change counts as healthy.
 */
export function isHealthy(state: ConcurrencyState): boolean {
  const slowStart = state.limit < state.threshold;
  return state.succeeded || (slowStart && state.everSucceeded && !state.throttledSinceChange);
}

/** A call succeeded. */
export function noteSuccess(state: ConcurrencyState): ConcurrencyState {
  return state.succeeded && state.everSucceeded ? state : { ...state, succeeded: true, everSucceeded: true };
}

/**
 * Raises the limit by one step when an interval has passed since the last change, work is waiting
 * (`saturated`) and the limit is healthy. Otherwise unchanged.
 */
export function growConcurrency(
  state: ConcurrencyState,
  s: ConcurrencySettings,
  now: number,
  saturated: boolean,
): ConcurrencyState {
  if (!saturated || !isHealthy(state) || state.limit >= s.concurrencyMax) return state;
  if (now - state.lastChangeAt < s.rampIntervalMs) return state;
  // Past the threshold, growth is proportional (a quarter per interval, at least rampStep): an
  // additive step is negligible at large limits, while the API tolerates growth of about ×2 per
  // window of its acceleration limit.
  const next =
    state.limit < state.threshold ?
      Math.min(state.threshold, state.limit * 2)
    : state.limit + Math.max(s.rampStep, Math.ceil(state.limit * CONCURRENCY_GROWTH_SHARE));
  return changed(state, {
    limit: Math.min(s.concurrencyMax, Math.max(state.limit + 1, next)),
    lastChangeAt: now,
  });
}

/**
 * Cuts the limit on a throttle. Throttles that arrive within one interval of the last cut are one
 * congestion event (the in-flight calls all see it) and do not cut again, except that an
 * acceleration refusal may deepen an ordinary cut.
 */
export function cutConcurrency(
  state: ConcurrencyState,
  s: ConcurrencySettings,
  now: number,
  throttle: Throttle,
): ConcurrencyState {
  if (throttle === 'none') return state;
  const throttled = state.throttledSinceChange ? state : { ...state, throttledSinceChange: true };
  const recent = now - state.lastCutAt < s.rampIntervalMs;
  const base = recent ? state.cutFrom : state.limit;
  const target = Math.max(s.concurrencyMin, Math.floor(base * CUT_FACTOR[throttle]));
  if (target >= state.limit) return throttled;
  return changed(state, {
    limit: target,
    threshold: target,
    lastChangeAt: now,
    lastCutAt: recent ? state.lastCutAt : now,
    cutFrom: base,
  });
}
