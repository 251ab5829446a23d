import { describe, expect, it } from 'vitest';
import { readHeaders } from '../../src/headers.js';
import { estimate, observe, waitFor } from '../../src/pacer.js';

describe('pacer: a mirror of the server bucket', () => {
  const h = new Headers({ 'anthropic-ratelimit-requests-limit': '600', 'anthropic-ratelimit-requests-remaining': '0' });
  it('reads limit and remaining, and every rate-limit header for the span, in one pass', () => {
    const seen = readHeaders(new Headers([...h, ['request-id', 'req_1'], ['anthropic-ratelimit-input-tokens-remaining', '5000']]));
    expect(seen.buckets).toEqual({ requests: { limit: 600, remaining: 0 } }); // input tokens: no limit sent
    expect(seen.requestId).toBe('req_1');
    expect(seen.ratelimit).toHaveLength(3);
    expect(readHeaders(new Headers()).buckets).toEqual({});
  });
  it('refills at limit per minute and counts what was dispatched since', () => {
    const v = observe(undefined, { limit: 600, remaining: 5 }, 1000, 10);
    expect(estimate(v, 1000, 10)).toBe(5);
    expect(estimate(v, 1000, 13)).toBe(2);
    expect(estimate(v, 1100, 13)).toBeCloseTo(3); // 5 remaining + 1 refilled (100 ms at 10/s) − 3 sent since
    expect(estimate(v, 2000, 13)).toBe(5); // refilled past the largest remaining seen (5): capped
    // One request needs 1 token plus a margin of 2 (capacity 5); a token refills in 60000/600 ms.
    expect(waitFor(v, 1000, 15, 1)).toBe(300);
    expect(waitFor(v, 1000, 14, 1)).toBe(200);
    expect(waitFor(v, 1000, 12, 1)).toBe(0);
  });
  it('keeps the newest observation by dispatch order', () => {
    const newer = observe(undefined, { limit: 600, remaining: 3 }, 1000, 20);
    expect(observe(newer, { limit: 600, remaining: 9 }, 900, 10)).toBe(newer);
  });
  it('releases a small bucket with many calls in flight once the refill covers them', () => {
    // 60 RPM acting as 1 per second: capacity 1, ten calls dispatched since the observation.
    const v = observe(undefined, { limit: 60, remaining: 0 }, 0, 0);
    // Ten to pay back, then one token (the margin is capped by the capacity of 1): 11 s at 1/s.
    expect(waitFor(v, 0, 10, 1)).toBe(11_000);
    expect(waitFor(v, 11_000, 10, 1)).toBe(0);
  });

  it('never waits without an observation', () => {
    expect(waitFor(undefined, 0, 100, 1)).toBe(0);
  });
});
