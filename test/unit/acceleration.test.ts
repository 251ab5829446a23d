import { describe, expect, it } from 'vitest';
import {
  ACCELERATION_WINDOW_MS as W,
  accelerationWait,
  arm,
  forget,
  initialAcceleration,
  phaseShare,
  recordDispatch,
  type AccelerationState,
} from '../../src/admit/policy/acceleration.js';
import { createRamp, rampAdmit, rampWait } from '../../src/sim/acceleration.js';

/** Sends at time `at` while the gate allows; returns how many went. */
function sendWhileAllowed(state: AccelerationState, at: number, max = 10_000): number {
  let sent = 0;
  while (sent < max && accelerationWait(state, at) === 0) {
    recordDispatch(state, at);
    sent++;
  }
  return sent;
}

/** A refusal as the limiter reports it: learn from the attempt, then take it out of the log. */
function refuse(state: AccelerationState, at: number): void {
  recordDispatch(state, at);
  arm(state, at);
  forget(state, at);
}

/**
 * The simulator's own acceleration limit (src/sim/acceleration.ts: fixed windows, each admitting
 * `max(floor, ⌊2 × the window before⌋)`), its windows starting at `phase`, against a client that
 * sends one attempt per ms whenever the gate and the retry-after hold allow, holding 1 s after
 * each refusal.
 */
function race(phase: number, seconds: number, floor = 20) {
  const g = initialAcceleration();
  const limit = createRamp();
  const opts = { windowMs: W, floor, factor: 2 };
  let holdUntil = 0;
  const refusedAt: number[] = [];
  const admitted: number[] = Array.from({ length: seconds }, () => 0);
  let truePhaseKept = true;
  for (let t = 0; t < seconds * 1000; t++) {
    if (t < holdUntil || accelerationWait(g, t) > 0) continue;
    const simNow = t - phase + W; // the simulator's clock: windows start at `phase` (mod W), never negative
    if (rampWait(limit, opts, simNow) === 0) {
      rampAdmit(limit, opts, simNow);
      recordDispatch(g, t);
      admitted[Math.floor(t / 1000)]!++;
    } else {
      refuse(g, t);
      refusedAt.push(t);
      holdUntil = t + 1000;
      // The gate's windows are (e − W, e]; the simulator's [start, start + W): same windows, e = start − 1.
      truePhaseKept &&= g.phases[(((phase - 1) % W) + W) % W] === 1 || phaseShare(g) === 1;
    }
  }
  return { refusedAt, admitted, truePhaseKept, floor: g.floor };
}

describe('acceleration gate', () => {
  it('costs nothing until the API says ramp_limit_exceeded', () => {
    expect(sendWhileAllowed(initialAcceleration(), 0, 5000)).toBe(5000);
  });

  it('once armed, takes the floor from what the API accepted and grows by at most ×1.9 per window', () => {
    const g = initialAcceleration();
    for (let t = 0; t < 20; t++) recordDispatch(g, t * 10);
    refuse(g, 300); // the 21st: refused
    expect(g.floor).toBe(20);
    // Only the phases whose window held the whole burst remain: its edge cannot fall inside it.
    expect(phaseShare(g)).toBeLessThan(1);
    // After the 1 s hold, the whole next allowance at once (every possible phase has 20 before it)…
    expect(sendWhileAllowed(g, 1300)).toBe(38);
    // …and not one more until a window has passed.
    expect(accelerationWait(g, 1300)).toBeGreaterThan(0);
    expect(sendWhileAllowed(g, 2300)).toBe(72); // 1.9 × 38 = 72.2
  });

  it('lets a steady rate pass', () => {
    const g = initialAcceleration();
    for (let t = 0; t < 20; t++) recordDispatch(g, t * 50);
    refuse(g, 990);
    for (let t = 1990; t < 6000; t += 50) expect(sendWhileAllowed(g, t, 1)).toBe(1); // 20 per second, always
  });

  it('forgets a refused attempt: it was never admitted', () => {
    const g = initialAcceleration();
    recordDispatch(g, 5);
    recordDispatch(g, 7);
    forget(g, 7);
    forget(g, 6); // not in the log: nothing happens
    expect(g.times.slice(g.head)).toEqual([5]);
  });

  it('lowers the floor when a refusal needs it, and starts over from all phases when none fits', () => {
    const g = initialAcceleration();
    for (let t = 0; t < 20; t++) recordDispatch(g, t * 10);
    refuse(g, 300);
    const learned = phaseShare(g);
    expect(learned).toBeLessThan(1);
    // Refused after 3 attempts in a quiet stretch: only a floor of at most 3 explains it.
    for (const t of [5000, 5300, 5600]) recordDispatch(g, t);
    refuse(g, 5900);
    expect(g.floor).toBeLessThanOrEqual(3);
    // Refused with nothing admitted in any window that holds it: not this model at all.
    recordDispatch(g, 9000);
    refuse(g, 10_000);
    expect(g.floor).toBe(1);
    expect(phaseShare(g)).toBe(1);
  });

  it.each([0, 250, 500, 750, 999])(
    'against fixed windows starting at %i ms: never rules the true phase out, refuses rarely, reaches 200+/s',
    (phase) => {
      const { refusedAt, admitted, truePhaseKept, floor } = race(phase, 8);
      expect(truePhaseKept).toBe(true);
      expect(floor).toBe(20);
      expect(refusedAt.length).toBeLessThanOrEqual(6);
      // The ideal doubles from 20 (20, 40, 80, 160, 320, …); the gate gets past 200/s by second 6.
      expect(Math.max(...admitted.slice(0, 7))).toBeGreaterThanOrEqual(200);
    },
  );
});
