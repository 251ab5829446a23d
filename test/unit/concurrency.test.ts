import { describe, expect, it } from 'vitest';
import {
  cutConcurrency,
  growConcurrency,
  initialConcurrency,
  noteSuccess,
  slowStartStep,
  STEPS_PER_INTERVAL,
  type ConcurrencyState,
} from '../../src/admit/policy/concurrency.js';

const s = { concurrencyMin: 1, concurrencyMax: 64, rampIntervalMs: 500, rampStep: 2 };

/** Grows with a success since the last change when `succeeded`. */
function rampUp(
  r: ConcurrencyState,
  settings: typeof s,
  now: number,
  saturated: boolean,
  succeeded: boolean,
): ConcurrencyState {
  return growConcurrency(succeeded ? noteSuccess(r) : r, settings, now, saturated);
}

/** Grows at each quarter interval from `from` to `to`, succeeding. */
function rampTo(r: ConcurrencyState, from: number, to: number): ConcurrencyState {
  for (let t = from; t <= to; t += s.rampIntervalMs / STEPS_PER_INTERVAL) r = rampUp(r, s, t, true, true);
  return r;
}

describe('concurrency limit', () => {
  it('doubles per interval while saturated and succeeding (slow start), in steps, never faster', () => {
    let r = initialConcurrency(4, s, 0);
    r = rampUp(r, s, 100, true, true);
    expect(r.limit).toBe(4); // a step is a quarter interval
    r = rampUp(r, s, 125, true, true);
    expect(r.limit).toBe(5);
    r = rampTo(r, 250, 500);
    expect(r.limit).toBe(8);
    r = rampTo(r, 625, 1000);
    expect(r.limit).toBeGreaterThanOrEqual(15);
    expect(r.limit).toBeLessThanOrEqual(17);
  });
  it('in slow start, one more slot per success while work waits', () => {
    let r = initialConcurrency(4, s, 0);
    r = slowStartStep(r, s, true);
    expect(r.limit).toBe(5);
    expect(slowStartStep(r, s, false).limit).toBe(5);
    expect(slowStartStep(cutConcurrency(r, s, 0, 'rate'), s, true).limit).toBe(4); // past slow start
  });
  it('does not rise when nothing is queued or nothing succeeded', () => {
    const r = initialConcurrency(4, s, 0);
    expect(rampUp(r, s, 1000, false, true).limit).toBe(4);
    expect(rampUp(r, s, 1000, true, false).limit).toBe(4);
  });
  it('cuts ×0.9 on 429, ×0.7 on 529, then grows by a quarter per interval (at least rampStep)', () => {
    expect(cutConcurrency(initialConcurrency(20, s, 0), s, 1000, 'rate').limit).toBe(18);
    let r = cutConcurrency(initialConcurrency(20, s, 0), s, 1000, 'overload');
    expect(r.limit).toBe(14);
    r = rampTo(r, 1125, 1500);
    expect(r.limit).toBe(18); // past the threshold: about +25% per interval, in steps of at least 1
    let small = cutConcurrency(initialConcurrency(3, s, 0), s, 1000, 'overload');
    expect(small.limit).toBe(2);
    small = rampTo(small, 1125, 1500);
    expect(small.limit).toBe(6); // + ceil(rampStep / 4) = 1 per step beats a quarter of 2
  });
  it('treats throttles within one interval as one event, but lets a harder one deepen the cut', () => {
    let r = cutConcurrency(initialConcurrency(20, s, 0), s, 1000, 'rate');
    r = cutConcurrency(r, s, 1100, 'rate');
    expect(r.limit).toBe(18);
    r = cutConcurrency(r, s, 1200, 'overload');
    expect(r.limit).toBe(14);
  });
  it('stays within [min, max]', () => {
    let r = initialConcurrency(1, s, 0);
    for (let i = 0; i < 5; i++) r = cutConcurrency(r, s, i * 1000, 'overload');
    expect(r.limit).toBe(1);
    r = initialConcurrency(60, s, 0);
    r = rampTo(r, 1000, 2000);
    expect(r.limit).toBe(64);
  });
});
