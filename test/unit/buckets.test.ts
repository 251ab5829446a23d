import { describe, expect, it } from 'vitest';
import { readBuckets, readHeaders } from '../../src/attempt/rate-limit-headers.js';
import {
  charge,
  foldObservation as observe,
  HEADER_ROUNDING,
  levelAt,
  pacingWait,
  type Mirror,
} from '../../src/admit/policy/buckets.js';

/** Dispatches at `at` while the mirror allows; returns how many went. */
function dispatchWhileAllowed(m: Mirror, at: number): { m: Mirror; sent: number } {
  let sent = 0;
  while (pacingWait(m, 1, at) === 0 && sent < 10_000) {
    m = charge(m, 1, at)!;
    sent++;
  }
  return { m, sent };
}

describe('pacing: a mirror of the server bucket', () => {
  it('reads limit and remaining for pacing, and every rate-limit header for the span', () => {
    const h = new Headers({
      'anthropic-ratelimit-requests-limit': '600',
      'anthropic-ratelimit-requests-remaining': '0',
    });
    const response = new Headers([
      ...h,
      ['request-id', 'req_1'],
      ['anthropic-ratelimit-input-tokens-remaining', '5000'],
    ]);
    const seen = readHeaders(response);
    expect(readBuckets(response)).toEqual({ requests: { limit: 600, remaining: 0 } }); // input tokens: no limit sent
    expect(seen.requestId).toBe('req_1');
    expect(seen.ratelimit).toHaveLength(3);
  });

  it('refills at limit per minute, capped at the capacity seen, and each dispatch takes its cost', () => {
    let m = observe(undefined, { limit: 600, remaining: 5 }, 1000, 1000, 0); // 10 per second
    expect(levelAt(m, 1000)).toBe(5);
    m = charge(m, 3, 1000)!;
    expect(levelAt(m, 1100)).toBeCloseTo(3); // 2 left + 1 refilled
    expect(levelAt(m, 9000)).toBe(5); // never above the capacity
  });

  it('after a long hold, lets through no more than the bucket holds (no banked refill)', () => {
    let m = observe(undefined, { limit: 12_000, remaining: 0 }, 0, 0, 0); // 200/s
    m = { ...m, capacity: 40 };
    const { sent } = dispatchWhileAllowed(m, 60_000);
    expect(sent).toBe(30); // the capacity less the margin: 50 ms of refill at 200/s = 10 tokens
  });

  it("keeps a margin of 2 units, the headers' rounding, 1% of the bucket or 50 ms of refill, whichever is largest", () => {
    const m = { ...observe(undefined, { limit: 600, remaining: 2 }, 0, 0, 0), capacity: 10 };
    expect(pacingWait(m, 1, 0)).toBe(100); // needs 3 (1 + margin 2): one refill of 100 ms at 10/s
    // A minute's bucket of 800,000 input tokens, empty: 1,000 + 8,000 (1%) at 800,000 a minute.
    const big = { ...observe(undefined, { limit: 800_000, remaining: 0 }, 0, 0, 0), capacity: 800_000 };
    expect(pacingWait(big, 1000, 0, HEADER_ROUNDING.inputTokens)).toBe(675);
    // 30,000 a minute: the headers' rounding (500) is more than 1% (300).
    const small = { ...observe(undefined, { limit: 30_000, remaining: 0 }, 0, 0, 0), capacity: 30_000 };
    expect(pacingWait(small, 1000, 0, HEADER_ROUNDING.inputTokens)).toBe(3000);
    expect(pacingWait(small, 1000, 0)).toBe(2600);
  });

  it('releases a small bucket with many calls in flight once the refill covers them (no stall)', () => {
    // 60 RPM acting as 1 per second: capacity 1, ten dispatched since the observed attempt.
    const m = observe(undefined, { limit: 60, remaining: 0 }, 0, 0, 10);
    expect(pacingWait(m, 1, 0)).toBe(11_000); // back from −10 to 1 at 1/s
    expect(pacingWait(m, 1, 11_000)).toBe(0);
  });

  it('an observation only lowers the mirror, unless nothing was sent after the observed attempt', () => {
    const low = observe(undefined, { limit: 600, remaining: 1 }, 0, 0, 0);
    expect(observe(low, { limit: 600, remaining: 9 }, 0, 0, 3).level).toBe(1);
    expect(observe(low, { limit: 600, remaining: 9 }, 0, 0, 0).level).toBe(9);
  });

  it('forgets the capacity when the limit changes (another tenant took half)', () => {
    const m = observe(undefined, { limit: 12_000, remaining: 40 }, 0, 0, 0);
    expect(m.capacity).toBe(40);
    expect(observe(m, { limit: 6_000, remaining: 5 }, 10, 10, 2).capacity).toBe(5);
  });

  it('never waits without an observation', () => {
    expect(pacingWait(undefined, 1, 0)).toBe(0);
  });
});
