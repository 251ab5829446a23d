/**
 * The `rate` acceleration mechanism: a cap on admissions in a trailing window that tracks
 * `clamp(m / threshold, min, max)`, growing by `growthPerSec` and shrinking by `shrinkPerSec` per
 * second. See {@link RateAccelerationOptions} for the model. Pure: the caller passes `now`
 * (simulated ms, never decreasing).
 * @module
 */
import type { RateAccelerationOptions } from './types.js';

export type RateSpec = Readonly<Required<RateAccelerationOptions>>;

/** Per organization and model group. */
export interface RateState {
  /** The cap at `at` (real-valued), in admissions per trailing window. */
  cap: number;
  /** Time of the last update. */
  at: number;
  /** Admission times, ascending; those before `head` have left the window. */
  log: number[];
  head: number;
}

const EPS = 1e-9;

/** A fresh state: cap `initial`, nothing admitted. */
export function createRate(spec: RateSpec, now: number): RateState {
  return { cap: spec.initial, at: now, log: [], head: 0 };
}

/** Admissions in the trailing window (as of the last update). */
export function rateCount(state: RateState): number {
  return state.log.length - state.head;
}

/** The cap's target for `m` admissions in the window: `clamp(m / threshold, min, max)`. */
export function rateTarget(spec: RateSpec, m: number): number {
  return Math.min(spec.max, Math.max(spec.min, m / spec.threshold));
}

/** The cap after `dt` ms with `m` in the window throughout, from `cap`. */
export function evolveRateCap(spec: RateSpec, cap: number, m: number, dt: number): number {
  if (dt <= 0) return cap;
  const target = rateTarget(spec, m);
  if (cap < target) return Math.min(target, cap + (spec.growthPerSec * dt) / 1000);
  if (cap > target) return Math.max(target, cap - (spec.shrinkPerSec * dt) / 1000);
  return cap;
}

/** Brings the state to `now`: admissions slide out at `admitted + windowMs`, the cap evolving in between. */
export function rateAdvance(state: RateState, spec: RateSpec, now: number): void {
  if (now < state.at) return;
  const { log } = state;
  while (state.head < log.length && log[state.head]! + spec.windowMs <= now) {
    const exit = log[state.head]! + spec.windowMs;
    state.cap = evolveRateCap(spec, state.cap, rateCount(state), exit - state.at);
    state.at = Math.max(state.at, exit);
    state.head++;
  }
  state.cap = evolveRateCap(spec, state.cap, rateCount(state), now - state.at);
  state.at = now;
  if (state.head > 1024 && state.head * 2 > log.length) {
    state.log = log.slice(state.head);
    state.head = 0;
  }
}

/**
 * Ms until one more attempt would be admitted if nothing else arrived: 0 when admitted now;
 * otherwise the first time an old admission slides out or the growing cap reaches `m + 1`.
 */
export function rateWait(state: RateState, spec: RateSpec, now: number): number {
  rateAdvance(state, spec, now);
  let m = rateCount(state);
  if (m + 1 <= state.cap + EPS) return 0;
  // Walk forward over the slide-out times, the count constant in between.
  let t = now;
  let cap = state.cap;
  let i = state.head;
  const { log } = state;
  for (;;) {
    const exit = i < log.length ? log[i]! + spec.windowMs : Infinity;
    const target = rateTarget(spec, m);
    if (cap < target && m + 1 <= target + EPS && spec.growthPerSec > 0) {
      const grow = ((m + 1 - cap) * 1000) / spec.growthPerSec;
      if (t + grow <= exit) return t + grow - now;
    }
    if (exit === Infinity) return Infinity; // unreachable: with m = 0 the cap (≥ min ≥ 1) admits
    cap = evolveRateCap(spec, cap, m, exit - t);
    t = exit;
    while (i < log.length && log[i]! + spec.windowMs <= t) {
      i++;
      m--;
    }
    if (m + 1 <= cap + EPS) return t - now;
  }
}

/** Counts an admitted attempt at `now`. */
export function rateAdmit(state: RateState, spec: RateSpec, now: number): void {
  rateAdvance(state, spec, now);
  state.log.push(now);
}

/**
 * A lower bound on the makespan (ms) of `calls` calls of `serviceMs` each, from cold, under this
 * mechanism alone. The cap never exceeds `min(max, initial + growthPerSec × t / 1000)` and every
 * admission needs the window before it to hold fewer than the cap, so window `k`
 * (`[k·W, (k+1)·W)`) admits at most `⌊min(max, initial + growthPerSec·(k+1)·W/1000)⌋`. With `K` the
 * fewest windows whose sum reaches `calls`, the last call starts no earlier than `(K − 1)·W`: the
 * bound is `(K − 1)·W + serviceMs`.
 */
export function rateMakespanBound(opts: RateAccelerationOptions, calls: number, serviceMs: number): number {
  if (calls <= 0) return Math.max(0, serviceMs);
  const w = opts.windowMs ?? 1000;
  const max = opts.max ?? 1e9;
  const perWindow = (k: number) =>
    Math.floor(Math.min(max, opts.initial + (opts.growthPerSec * (k + 1) * w) / 1000));
  let left = calls;
  let k = 0;
  for (;;) {
    const a = perWindow(k);
    if (a >= left) break;
    if (a >= max || opts.growthPerSec === 0) {
      // Constant from here: jump.
      k += Math.ceil(left / a) - 1;
      break;
    }
    left -= a;
    k++;
  }
  return k * w + serviceMs;
}
