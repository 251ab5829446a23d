/** What pacing learns of the API's input-token count from the usage of its answers. */
import { describe, expect, it } from 'vitest';
import {
  initialInputCount,
  inputScale,
  INPUT_SCALE_MAX,
  INPUT_SCALE_MIN,
  learnInputCount,
} from '../../src/admit/policy/input-count.js';

describe('input count', () => {
  it('is 1 until an answer says, then the ratio of what the API counted to what was estimated', () => {
    const c = initialInputCount();
    expect(inputScale(c)).toBe(1);
    learnInputCount(c, 1000, 3000); // text of about a token a character: estimated at a quarter
    expect(inputScale(c)).toBeCloseTo(3);
    learnInputCount(c, 2000, 6000);
    expect(inputScale(c)).toBeCloseTo(3);
  });

  it('follows a batch from its cache write to its cache reads within about ten answers', () => {
    const c = initialInputCount();
    learnInputCount(c, 40_000, 40_010); // the first call writes the cached prefix: all of it counts
    const scales: number[] = [];
    for (let i = 0; i < 10; i++) {
      learnInputCount(c, 40_000, 10); // the others read it: only their own 10 tokens count
      scales.push(inputScale(c));
    }
    expect(scales[0]).toBeGreaterThan(0.3); // one read says little yet
    expect(scales.every((x, i) => i === 0 || x <= scales[i - 1]!)).toBe(true);
    expect(scales.at(-1)).toBeLessThan(0.05);
  });

  it('stays within its bounds, and ignores answers that say nothing', () => {
    const c = initialInputCount();
    learnInputCount(c, 100, 1_000_000);
    expect(inputScale(c)).toBe(INPUT_SCALE_MAX);
    const d = initialInputCount();
    learnInputCount(d, 1_000_000, 0);
    expect(inputScale(d)).toBe(INPUT_SCALE_MIN);
    learnInputCount(d, 0, 500); // nothing estimated (no body text)
    learnInputCount(d, 500, Number.NaN);
    expect(d).toEqual({ estimated: 1_000_000, counted: 0 });
  });
});
