/**
 * The `inflight` acceleration mechanism: a cap on concurrent admitted attempts that tracks
 * `clamp(n / threshold, min, max)`, growing ×`factorPerSec` and decaying ÷`decayPerSec` per
 * second. See {@link InflightAccelerationOptions} for the model. Pure: the caller passes `now`
 * (simulated ms) and must call {@link inflightAdmit} / {@link inflightFinish} as attempts start
 * and end, so that the in-flight count is constant between calls.
 * @module
 */
import type { InflightAccelerationOptions } from './types.js';

export type InflightSpec = Readonly<Required<InflightAccelerationOptions>>;

/** Per organization and model group. */
export interface InflightState {
  /** The cap at `at` (real-valued). */
  cap: number;
  /** Time of the last update. */
  at: number;
  /** Admitted attempts not yet finished. */
  inFlight: number;
}

/** Slack for floating-point comparisons of the cap with integer counts. */
const EPS = 1e-9;

/** A fresh state: cap `initial`, with `inFlight` attempts already running (0 from cold). */
export function createInflight(spec: InflightSpec, now: number, inFlight = 0): InflightState {
  return { cap: spec.initial, at: now, inFlight };
}

/** The cap's target for `n` in flight: `clamp(n / threshold, min, max)`. */
export function inflightTarget(spec: InflightSpec, n: number): number {
  return Math.min(spec.max, Math.max(spec.min, n / spec.threshold));
}

/** The cap after `dt` ms with `n` in flight throughout, from `cap`. */
export function evolveInflightCap(spec: InflightSpec, cap: number, n: number, dt: number): number {
  if (dt <= 0) return cap;
  const target = inflightTarget(spec, n);
  if (cap < target) return Math.min(target, cap * spec.factorPerSec ** (dt / 1000));
  if (cap > target) return Math.max(target, cap / spec.decayPerSec ** (dt / 1000));
  return cap;
}

/** Brings the state to `now`. */
export function inflightAdvance(state: InflightState, spec: InflightSpec, now: number): void {
  if (now > state.at) {
    state.cap = evolveInflightCap(spec, state.cap, state.inFlight, now - state.at);
    state.at = now;
  }
}

/**
 * Ms until one more attempt would be admitted if nothing started or ended meanwhile: 0 when it
 * is admitted now, `Infinity` when only a finishing attempt can make room.
 */
export function inflightWait(state: InflightState, spec: InflightSpec, now: number): number {
  inflightAdvance(state, spec, now);
  const need = state.inFlight + 1;
  if (need <= state.cap + EPS) return 0;
  const target = inflightTarget(spec, state.inFlight);
  if (target + EPS < need || spec.factorPerSec === 1) return Infinity;
  return (1000 * Math.log(need / state.cap)) / Math.log(spec.factorPerSec);
}

/** Counts an admitted attempt at `now`. */
export function inflightAdmit(state: InflightState, spec: InflightSpec, now: number): void {
  inflightAdvance(state, spec, now);
  state.inFlight++;
}

/** Counts an attempt ending at `now`. */
export function inflightFinish(state: InflightState, spec: InflightSpec, now: number): void {
  inflightAdvance(state, spec, now);
  state.inFlight = Math.max(0, state.inFlight - 1);
}

/**
 * A lower bound on the makespan (ms) of `calls` calls of `serviceMs` each, from cold, under this
 * mechanism alone: the least `T ≥ serviceMs` with `∫₀ᵀ c(t) dt ≥ calls × serviceMs`, where
 * `c(t) = min(max, initial × factorPerSec^(t/1000))` is the fastest the cap can grow (no client
 * keeps more than `c(t)` in flight, and each call occupies a slot for `serviceMs`). The integer
 * cap and the threshold only raise it; `idealSchedule` gives the greedy schedule.
 */
export function inflightMakespanBound(
  opts: InflightAccelerationOptions,
  calls: number,
  serviceMs: number,
): number {
  const initial = opts.initial;
  const max = opts.max ?? 1e9;
  const factor = opts.factorPerSec ?? 2;
  const work = calls * serviceMs;
  if (work <= 0) return Math.max(0, serviceMs);
  let t: number;
  if (factor === 1 || initial >= max) {
    t = work / Math.min(initial, max);
  } else {
    const lambda = Math.log(factor) / 1000;
    const toMax = Math.log(max / initial) / lambda;
    const areaToMax = (max - initial) / lambda;
    t =
      work <= areaToMax ? Math.log(1 + (work * lambda) / initial) / lambda : toMax + (work - areaToMax) / max;
  }
  return Math.max(t, serviceMs);
}
