/**
 * The concurrency limit: how many calls of one key+model may be in flight. Slow start (doubling
 * per interval, and one more per success, so per call duration when calls are short) up to the
 * first throttle, then proportional growth (a quarter per interval, at least `rampStep`) while work
 * is queued and the API is answering, spread over the interval in steps; multiplicative cuts on
 * rate-limit 429s and overloads. Deterministic transitions on a plain value: no I/O, no timers, the
 * clock a parameter.
 */

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
  /** The API is answering this key+model: a call succeeded, or attempts stayed in flight past
   * the time a refusal takes to come back. */
  readonly everSucceeded: boolean;
  /** A throttle arrived since the limit last changed. */
  readonly throttledSinceChange: boolean;
}

/**
 * Multiplicative decrease per throttle kind: gentle on a rate-limit 429 (its `retry-after` also
 * holds every attempt of the key+model, and pacing from the bucket mirrors does the rest), harder
 * on overload, which has no retry-after. An acceleration refusal does not cut the concurrency
 * limit: the acceleration gate cuts the rate (see `acceleration.ts`).
 */
export const CUT_FACTOR: Readonly<Record<'rate' | 'overload', number>> = {
  rate: 0.9,
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

/** The API is answering (attempts in flight long past the time a refusal takes). */
export function noteAnswering(state: ConcurrencyState): ConcurrencyState {
  return state.everSucceeded ? state : { ...state, everSucceeded: true };
}

/**
 * Slow start grows by one slot per success while work is waiting, as TCP's does per
 * acknowledgement: the limit doubles per call duration however short the calls, not only per
 * interval. Past the threshold, growth is per interval only.
 */
export function slowStartStep(
  state: ConcurrencyState,
  s: ConcurrencySettings,
  saturated: boolean,
): ConcurrencyState {
  if (!saturated || state.limit >= state.threshold || state.limit >= s.concurrencyMax) return state;
  return { ...state, limit: state.limit + 1 };
}

/**
 * Steps per interval: growth is spread over the interval, not taken at once, so a jump of the
 * limit never sends a burst that a bucket enforced over a short interval would refuse.
 */
export const STEPS_PER_INTERVAL = 4;

/**
 * Raises the limit by one step when a step's time (a quarter interval) has passed since the last
 * change, work is waiting (`saturated`) and the limit is healthy: ×2 per interval in slow start,
 * else ×(1 + {@link CONCURRENCY_GROWTH_SHARE}) per interval (at least `rampStep`). Otherwise unchanged.
 */
export function growConcurrency(
  state: ConcurrencyState,
  s: ConcurrencySettings,
  now: number,
  saturated: boolean,
): ConcurrencyState {
  if (!saturated || !isHealthy(state) || state.limit >= s.concurrencyMax) return state;
  if (now - state.lastChangeAt < s.rampIntervalMs / STEPS_PER_INTERVAL) return state;
  // Past the threshold, growth is proportional (a quarter per interval, at least rampStep): an
  // additive step is negligible at large limits.
  const next =
    state.limit < state.threshold ?
      Math.min(state.threshold, Math.round(state.limit * 2 ** (1 / STEPS_PER_INTERVAL)))
    : state.limit +
      Math.max(
        Math.ceil(s.rampStep / STEPS_PER_INTERVAL),
        Math.ceil(state.limit * ((1 + CONCURRENCY_GROWTH_SHARE) ** (1 / STEPS_PER_INTERVAL) - 1)),
      );
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
  throttle: 'rate' | 'overload',
): ConcurrencyState {
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
