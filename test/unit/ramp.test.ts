import { describe, expect, it } from 'vitest';
import { initialRamp, rampDown, rampUp } from '../../src/ramp.js';

const s = { concurrencyMin: 1, concurrencyMax: 64, rampIntervalMs: 500, rampStep: 2 };

describe('ramp', () => {
  it('doubles per interval while saturated and succeeding (slow start), never faster than the interval', () => {
    let r = initialRamp(4, s, 0);
    r = rampUp(r, s, 100, true, true);
    expect(r.limit).toBe(4);
    r = rampUp(r, s, 500, true, true);
    expect(r.limit).toBe(8);
    r = rampUp(r, s, 1000, true, true);
    expect(r.limit).toBe(16);
  });
  it('does not rise when nothing is queued or nothing succeeded', () => {
    const r = initialRamp(4, s, 0);
    expect(rampUp(r, s, 1000, false, true).limit).toBe(4);
    expect(rampUp(r, s, 1000, true, false).limit).toBe(4);
  });
  it('cuts ×0.9 on 429, ×0.8 on the acceleration limit, ×0.7 on 529, then grows by a quarter (at least rampStep)', () => {
    expect(rampDown(initialRamp(20, s, 0), s, 1000, 'rate').limit).toBe(18);
    expect(rampDown(initialRamp(20, s, 0), s, 1000, 'ramp').limit).toBe(16);
    let r = rampDown(initialRamp(20, s, 0), s, 1000, 'overload');
    expect(r.limit).toBe(14);
    r = rampUp(r, s, 1500, true, true);
    expect(r.limit).toBe(18); // past the threshold: + ceil(14 / 4)
    let small = rampDown(initialRamp(3, s, 0), s, 1000, 'overload');
    expect(small.limit).toBe(2);
    small = rampUp(small, s, 1500, true, true);
    expect(small.limit).toBe(4); // + rampStep (2) beats a quarter of 2
  });
  it('treats throttles within one interval as one event, but lets a harder one deepen the cut', () => {
    let r = rampDown(initialRamp(20, s, 0), s, 1000, 'rate');
    r = rampDown(r, s, 1100, 'rate');
    expect(r.limit).toBe(18);
    r = rampDown(r, s, 1200, 'overload');
    expect(r.limit).toBe(14);
  });
  it('stays within [min, max]', () => {
    let r = initialRamp(1, s, 0);
    for (let i = 0; i < 5; i++) r = rampDown(r, s, i * 1000, 'ramp');
    expect(r.limit).toBe(1);
    r = initialRamp(60, s, 0);
    r = rampUp(r, s, 1000, true, true);
    expect(r.limit).toBe(64);
  });
});
