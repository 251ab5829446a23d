import { describe, expect, it } from 'vitest';
import {
  cutConcurrency,
  growConcurrency,
  initialConcurrency,
  noteSuccess,
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

describe('concurrency limit', () => {
  it('doubles per interval while saturated and succeeding (slow start), never faster than the interval', () => {
    let r = initialConcurrency(4, s, 0);
    r = rampUp(r, s, 100, true, true);
    expect(r.limit).toBe(4);
    r = rampUp(r, s, 500, true, true);
    expect(r.limit).toBe(8);
    r = rampUp(r, s, 1000, true, true);
    expect(r.limit).toBe(16);
  });
  it('does not rise when nothing is queued or nothing succeeded', () => {
    const r = initialConcurrency(4, s, 0);
    expect(rampUp(r, s, 1000, false, true).limit).toBe(4);
    expect(rampUp(r, s, 1000, true, false).limit).toBe(4);
  });
  it('cuts ×0.9 on 429, ×0.8 on the acceleration limit, ×0.7 on 529, then grows by a quarter (at least rampStep)', () => {
    expect(cutConcurrency(initialConcurrency(20, s, 0), s, 1000, 'rate').limit).toBe(18);
    expect(cutConcurrency(initialConcurrency(20, s, 0), s, 1000, 'acceleration').limit).toBe(16);
    let r = cutConcurrency(initialConcurrency(20, s, 0), s, 1000, 'overload');
    expect(r.limit).toBe(14);
    r = rampUp(r, s, 1500, true, true);
    expect(r.limit).toBe(18); // past the threshold: + ceil(14 / 4)
    let small = cutConcurrency(initialConcurrency(3, s, 0), s, 1000, 'overload');
    expect(small.limit).toBe(2);
    small = rampUp(small, s, 1500, true, true);
    expect(small.limit).toBe(4); // + rampStep (2) beats a quarter of 2
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
    for (let i = 0; i < 5; i++) r = cutConcurrency(r, s, i * 1000, 'acceleration');
    expect(r.limit).toBe(1);
    r = initialConcurrency(60, s, 0);
    r = rampUp(r, s, 1000, true, true);
    expect(r.limit).toBe(64);
  });
});
