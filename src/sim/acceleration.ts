/**
 * The acceleration ("ramp") limit: fixed windows, each allowed `max(floor, ⌊factor × admitted in
 * the previous window⌋)` attempts. See {@link AccelerationOptions} for the model and its bound.
 * Pure: the caller passes `now` (ms since the simulator's epoch).
 * @module
 */
import type { AccelerationOptions } from './types.js';

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
