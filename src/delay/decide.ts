/**
 * The retry decision: `retry-after` first, else exponential backoff with full jitter, capped; and
 * failing at once when the wait would overrun the caps. Pure: the clock and the random source are
 * parameters.
 */
import type { Classification } from '../classify/classify.js';
import { backoffDelay } from './backoff.js';

export type DelaySource = 'retry-after' | 'backoff';

export interface DelayPolicy {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
}

export interface RetryQuestion {
  readonly classification: Classification;
  /** The server's wait, from {@link parseRetryAfter}. */
  readonly retryAfterMs: number | undefined;
  /** Which retry this would be, from 1. */
  readonly retry: number;
  readonly now: number;
  /** When the whole call must end, on the clock of `now`; `Infinity` for none. */
  readonly deadline: number;
}

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number; readonly source: DelaySource }
  | {
      readonly retry: false;
      readonly why: 'not_retryable' | 'retries_exhausted' | 'retry_after_too_long' | 'deadline';
      /** The wait that was refused, when there was one. */
      readonly delayMs?: number;
    };

/**
 * Decides whether and how long to wait before retry number `q.retry`. Never shortens a
 * `retry-after`; fails at once (rather than sleeping) when the wait exceeds `maxRetryAfterMs` or
 * would end past the deadline.
 */
export function decideRetry(
  q: RetryQuestion,
  policy: DelayPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (!q.classification.retryable) return { retry: false, why: 'not_retryable' };
  if (q.retry > policy.maxRetries) return { retry: false, why: 'retries_exhausted' };
  if (q.retryAfterMs !== undefined) {
    if (q.retryAfterMs > policy.maxRetryAfterMs) {
      return { retry: false, why: 'retry_after_too_long', delayMs: q.retryAfterMs };
    }
    if (q.now + q.retryAfterMs >= q.deadline)
      return { retry: false, why: 'deadline', delayMs: q.retryAfterMs };
    return { retry: true, delayMs: q.retryAfterMs, source: 'retry-after' };
  }
  const delayMs = backoffDelay(q.retry, policy.baseDelayMs, policy.maxDelayMs, random);
  if (q.now + delayMs >= q.deadline) return { retry: false, why: 'deadline', delayMs };
  return { retry: true, delayMs, source: 'backoff' };
}
