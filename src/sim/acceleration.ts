/**
 * The acceleration ("ramp") limit. Fixed windows (the original model), each allowed
 * `max(floor, ⌊factor × admitted in the previous window⌋)` attempts (see
 * {@link AccelerationOptions} for the model and its bound), and a dispatcher over every
 * mechanism (`windows`, `inflight` in inflight.ts, `rate` in rate.ts).
 * Pure: the caller passes `now` (simulated ms since the simulator's epoch).
 * @module
 */
import {
  createInflight,
  inflightAdmit,
  inflightFinish,
  inflightWait,
  type InflightSpec,
  type InflightState,
} from './inflight.js';
import { createRate, rateAdmit, rateWait, type RateSpec, type RateState } from './rate.js';
import type { AccelerationKind, AccelerationOptions, ResolvedAcceleration } from './types.js';

/** Per key and model: admissions in the current and previous windows. */
export interface RampState {
  /** Index of the current window. */
  window: number;
  /** Attempts admitted in `window`. */
  current: number;
  /** Attempts admitted in `window − 1`. */
  previous: number;
}

/** A fresh state (no traffic so far). */
export function createRamp(): RampState {
  return { window: 0, current: 0, previous: 0 };
}

function advance(state: RampState, window: number): void {
  if (window === state.window) return;
  state.previous = window === state.window + 1 ? state.current : 0;
  state.current = 0;
  state.window = window;
}

/** Attempts allowed in the window containing `now`. */
export function rampAllowance(state: RampState, opts: AccelerationOptions, now: number): number {
  advance(state, Math.floor(Math.max(0, now) / opts.windowMs));
  return Math.max(opts.floor, Math.floor(opts.factor * state.previous));
}

/** Ms until the next window starts if an attempt at `now` would exceed the allowance, else 0. */
export function rampWait(state: RampState, opts: AccelerationOptions, now: number): number {
  if (state.current < rampAllowance(state, opts, now)) return 0;
  return (state.window + 1) * opts.windowMs - now;
}

/** Counts an admitted attempt at `now`. */
export function rampAdmit(state: RampState, opts: AccelerationOptions, now: number): void {
  advance(state, Math.floor(Math.max(0, now) / opts.windowMs));
  state.current++;
}

/**
 * Theoretical upper bound on admissions from idle within the first `windows` windows, for
 * benchmarks: `Σ_{k<windows} floor·factor^k`, i.e. `floor·(factor^windows − 1)/(factor − 1)`
 * (`floor·windows` when `factor = 1`). The integer rounding of the real model only lowers it.
 */
export function rampAdmissionBound(opts: AccelerationOptions, windows: number): number {
  if (opts.factor === 1) return opts.floor * windows;
  return (opts.floor * (opts.factor ** windows - 1)) / (opts.factor - 1);
}

// ---- every mechanism ---------------------------------------------------------------------------

/** The mechanism of a resolved `acceleration` setting. */
export function accelerationKind(spec: ResolvedAcceleration): AccelerationKind {
  return 'kind' in spec && spec.kind !== undefined ? spec.kind : 'windows';
}

/** The state of whichever mechanism is configured, per organization and model group. */
export type AccelerationState =
  | { readonly kind: 'windows'; readonly spec: Readonly<AccelerationOptions>; readonly state: RampState }
  | { readonly kind: 'inflight'; readonly spec: InflightSpec; readonly state: InflightState }
  | { readonly kind: 'rate'; readonly spec: RateSpec; readonly state: RateState };

/** A fresh state for `spec` at `now`, with `inFlight` admitted attempts already running. */
export function createAcceleration(spec: ResolvedAcceleration, now: number, inFlight = 0): AccelerationState {
  const kind = accelerationKind(spec);
  if (kind === 'inflight')
    return { kind, spec: spec as InflightSpec, state: createInflight(spec as InflightSpec, now, inFlight) };
  if (kind === 'rate') return { kind, spec: spec as RateSpec, state: createRate(spec as RateSpec, now) };
  return { kind, spec: spec as AccelerationOptions, state: createRamp() };
}

/**
 * Ms until the mechanism would admit one more attempt if nothing else happened (0: now;
 * `Infinity`: only an attempt ending can make room). Exact, for the simulator and for
 * `idealSchedule`; the 429's hint may be shorter (see `inflightHintMs`).
 */
export function accelerationWait(a: AccelerationState, now: number): number {
  switch (a.kind) {
    case 'windows':
      return rampWait(a.state, a.spec, now);
    case 'inflight':
      return inflightWait(a.state, a.spec, now);
    case 'rate':
      return rateWait(a.state, a.spec, now);
  }
}

/** Counts an admitted attempt. */
export function accelerationAdmit(a: AccelerationState, now: number): void {
  switch (a.kind) {
    case 'windows':
      return rampAdmit(a.state, a.spec, now);
    case 'inflight':
      return inflightAdmit(a.state, a.spec, now);
    case 'rate':
      return rateAdmit(a.state, a.spec, now);
  }
}

/** Counts an admitted attempt ending (only the `inflight` mechanism cares). */
export function accelerationFinish(a: AccelerationState, now: number): void {
  if (a.kind === 'inflight') inflightFinish(a.state, a.spec, now);
}

/** The longest `retry-after-ms` an `inflight` refusal suggests: a slot may free up at any moment. */
export const INFLIGHT_HINT_MS = 1000;
