import { describe, expect, it } from 'vitest';
import { estimate, observe, readBucket, waitFor } from '../../src/pacer.js';

describe('pacer: a mirror of the server bucket', () => {
  const h = new Headers({ 'anthropic-ratelimit-requests-limit': '600', 'anthropic-ratelimit-requests-remaining': '0' });
  it('reads limit and remaining', () => {
    expect(readBucket(h, 'anthropic-ratelimit-requests')).toEqual({ limit: 600, remaining: 0 });
    expect(readBucket(new Headers(), 'anthropic-ratelimit-requests')).toBeUndefined();
  });
  it('refills at limit per minute and counts what was dispatched since', () => {
    const v = observe(undefined, { limit: 600, remaining: 5 }, 1000, 10);
    expect(estimate(v, 1000, 10)).toBe(5);
    expect(estimate(v, 1000, 13)).toBe(2);
    expect(estimate(v, 1100, 13)).toBeCloseTo(2); // capped at the largest remaining seen (5)
    expect(waitFor(v, 1000, 15, 1)).toBe(100); // empty: one request refills in 60000/600 ms
    expect(waitFor(v, 1000, 14, 1)).toBe(0);
  });
  it('keeps the newest observation by dispatch order', () => {
    const newer = observe(undefined, { limit: 600, remaining: 3 }, 1000, 20);
    expect(observe(newer, { limit: 600, remaining: 9 }, 900, 10)).toBe(newer);
  });
  it('never waits without an observation', () => {
    expect(waitFor(undefined, 0, 100, 1)).toBe(0);
  });
});
