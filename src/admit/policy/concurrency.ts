/**
 * The concurrency ramp: slow start (doubling) up to the first throttle, then proportional growth
 * (a quarter per interval, at least `rampStep`) while work is queued and calls succeed; multiplicative cuts on throttles, harder on the
 * acceleration limit. Pure state transitions; the clock is a parameter.
 */
import type { Throttle } from './classify.js';

export interface RampSettings {
  readonly concurrencyMin: number;
  readonly concurrencyMax: number;
  readonly rampIntervalMs: number;
  readonly rampStep: number;
}

export interface RampState {
  readonly limit: number;
  /** Slow-start threshold: doubling below it, adding `rampStep` above it. */
  readonly threshold: number;
  readonly lastChangeAt: number;
  readonly lastCutAt: number;
  /** The limit before the latest cut, so throttles of one congestion event cut once. */
  readonly cutFrom: number;
}

/**
 * Multiplicative decrease per throttle kind. Gentle on 429s: every 429 with `retry-after` also
 * holds all traffic for the key and model, and the acceleration limit grants each window about
 * twice what the previous one admitted, so a deep cut after the hold starves the next windows
 * (measured in bench/: ×0.5 on ramp limits doubled the burst's makespan). Harder on the
 * acceleration limit than on a plain rate limit; hardest on overload, which has no retry-after.
 */
export const CUT_FACTOR: Readonly<Record<Exclude<Throttle, 'none'>, number>> = {
  rate: 0.9,
  ramp: 0.8,
  overload: 0.7,
};

/** Growth per interval past the slow-start threshold, as a share of the limit. */
export const GROWTH_PAST_THRESHOLD = 0.25;

export function initialRamp(initial: number, s: RampSettings, now: number): RampState {
  return { limit: initial, threshold: s.concurrencyMax, lastChangeAt: now, lastCutAt: -Infinity, cutFrom: initial };
}

/**
 * Raises the limit by one step when an interval has passed since the last change, work is waiting
 * (`saturated`), and at least one call succeeded since (`succeeded`). Otherwise unchanged.
 */
export function rampUp(state: RampState, s: RampSettings, now: number, saturated: boolean, succeeded: boolean): RampState {
  if (!saturated || !succeeded || state.limit >= s.concurrencyMax) return state;
  if (now - state.lastChangeAt < s.rampIntervalMs) return state;
  // Past the threshold, growth is proportional (a quarter per interval, at least rampStep): an
  // additive step is negligible at large limits, while the API tolerates growth of about ×2 per
  // window of its acceleration limit.
  const next =
    state.limit < state.threshold ? Math.min(state.threshold, state.limit * 2)
    : state.limit + Math.max(s.rampStep, Math.ceil(state.limit * GROWTH_PAST_THRESHOLD));
  return { ...state, limit: Math.min(s.concurrencyMax, Math.max(state.limit + 1, next)), lastChangeAt: now };
}

/**
 * Cuts the limit on a throttle. Throttles that arrive within one interval of the last cut are one
 * congestion event (the in-flight calls all see it) and do not cut again, except that an
 * acceleration-limit throttle may deepen an ordinary cut.
 */
export function rampDown(state: RampState, s: RampSettings, now: number, throttle: Throttle): RampState {
  if (throttle === 'none') return state;
  const recent = now - state.lastCutAt < s.rampIntervalMs;
  const base = recent ? state.cutFrom : state.limit;
  const target = Math.max(s.concurrencyMin, Math.floor(base * CUT_FACTOR[throttle]));
  if (target >= state.limit) return state;
  return { limit: target, threshold: target, lastChangeAt: now, lastCutAt: recent ? state.lastCutAt : now, cutFrom: base };
}
