import { describe, expect, it } from 'vitest';
import { backoffDelay, classifyError, decideRetry, parseRetryAfter } from '../../src/index.js';

const policy = { maxRetries: 5, baseDelayMs: 1000, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };
const rate = classifyError({ status: 429 });
const overloaded = classifyError({ status: 529 });

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  it('prefers retry-after-ms, then whole seconds, then an HTTP date', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 24 Nov 2026 12:00:07 GMT' }), now)).toBe(7000);
  });
  it('is undefined when absent or unparseable, and never negative', () => {
    expect(parseRetryAfter(new Headers(), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 24 Nov 2026 11:00:00 GMT' }), now)).toBe(0);
  });
});

describe('backoffDelay: full jitter', () => {
  it('is uniform in [0, min(cap, base·2^(n−1))]', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, 1000, 8000, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 8000,
    ]);
    expect(backoffDelay(3, 1000, 8000, () => 0)).toBe(0);
    expect(backoffDelay(2, 1000, 8000, () => 0.5)).toBe(1000);
  });
});

describe('decideRetry', () => {
  const q = { retry: 1, now: 0, deadline: Infinity };
  it('waits exactly what retry-after says, never less', () => {
    expect(decideRetry({ ...q, classification: rate, retryAfterMs: 5000 }, policy, () => 0)).toEqual({
      retry: true,
      delayMs: 5000,
      source: 'retry-after',
    });
  });
  it('backs off with jitter when there is no retry-after', () => {
    expect(
      decideRetry({ ...q, retry: 3, classification: overloaded, retryAfterMs: undefined }, policy, () => 0.5),
    ).toEqual({ retry: true, delayMs: 2000, source: 'backoff' });
  });
  it('fails at once when the retry-after is over the cap or past the deadline', () => {
    expect(decideRetry({ ...q, classification: rate, retryAfterMs: 61_000 }, policy)).toMatchObject({
      retry: false,
      why: 'retry_after_too_long',
    });
    expect(
      decideRetry({ ...q, deadline: 4000, classification: rate, retryAfterMs: 5000 }, policy),
    ).toMatchObject({ retry: false, why: 'deadline' });
    expect(
      decideRetry(
        { ...q, deadline: 100, classification: overloaded, retryAfterMs: undefined },
        policy,
        () => 1,
      ),
    ).toMatchObject({ retry: false, why: 'deadline' });
  });
  it('stops after maxRetries and on non-retryable failures', () => {
    expect(
      decideRetry({ ...q, retry: 6, classification: overloaded, retryAfterMs: undefined }, policy),
    ).toMatchObject({ retry: false, why: 'retries_exhausted' });
    expect(
      decideRetry({ ...q, classification: classifyError({ status: 400 }), retryAfterMs: 1 }, policy),
    ).toMatchObject({ retry: false, why: 'not_retryable' });
  });
});
