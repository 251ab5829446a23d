/**
 * A call, top to bottom: attempts in a p-retry loop (the SDK's own retries are off), each failure
 * answered by the retry decision (wait, or give up), and every way out ending in
 * {@link Call.finish}.
 */
import type { MiddlewareNext } from '@anthropic-ai/sdk';
import pRetry from 'p-retry';
import { classifyConnectionError } from '../attempt/outcome.js';
import { monotonicNow } from '../delay/clock.js';
import { decideRetry } from '../delay/decide.js';
import { sleep } from '../delay/sleep.js';
import { AttemptFailure } from './attempt-failure.js';
import type { Call } from './call.js';
import { runAttempt } from './run-attempt.js';

/**
 * Answers a failed attempt: false to stop (the span says why), or true after waiting what the
 * retry decision chose (`retry-after` first, else backoff) with a backoff span over the wait.
 */
async function answerFailure(call: Call, error: unknown): Promise<boolean> {
  if (!(error instanceof AttemptFailure)) return false;
  const { classification } = error.outcome;
  const now = monotonicNow();
  const { config, budget } = call.core;
  // Which retry this is, counting only the failures that spent one (see freeRefusal), against the
  // call's own count: the gateway's, or the one its client or the request asked for.
  const decision = decideRetry(
    {
      classification,
      retryAfterMs: error.retryAfterMs,
      retry: Math.max(1, call.retriesConsumed),
      now,
      deadline: call.signal.deadline,
    },
    { ...config, maxRetries: call.maxRetries },
  );
  if (!decision.retry) {
    error.close({ giveUp: decision.why });
    return false;
  }
  if (!budget.tryRetry(now)) {
    error.close({ giveUp: 'retry_budget' });
    return false;
  }
  error.close({ delayMs: decision.delayMs, source: decision.source });
  if (call.metricsOn) call.core.metrics.retry(classification.reason, call.model);
  const endBackoff = call.trace.backoff(decision.delayMs, decision.source, classification.reason);
  try {
    await sleep(decision.delayMs, call.signal.signal);
  } finally {
    endBackoff();
  }
  call.totalDelayMs += decision.delayMs;
  return true;
}

/**
 * Ends a call that left the retry loop by a throw: the last failed attempt (whose response the SDK
 * turns into its typed error), an abort, the deadline, or an error no attempt could classify.
 */
function endFailed(call: Call, error: unknown): Response {
  if (error instanceof AttemptFailure) {
    error.close({ giveUp: 'retries_exhausted' });
    const { outcome, answer } = error;
    const gaveUp =
      answer && 'giveUp' in answer && answer.giveUp !== 'not_retryable' ? answer.giveUp : 'error';
    const status = outcome.kind === 'failed-response' ? outcome.response.status : undefined;
    call.finish({ outcome: gaveUp, errorType: outcome.classification.errorType, status });
    if (outcome.kind === 'failed-response') return outcome.response;
    throw outcome.error;
  }
  if (call.signal.userAborted) {
    call.finish({ outcome: 'aborted' });
    throw error;
  }
  if (call.signal.signal.aborted) {
    call.finish({ outcome: 'timeout', errorType: 'client_timeout_error' });
    throw call.signal.signal.reason;
  }
  const errorType = classifyConnectionError(error, call.idempotent).errorType;
  call.finish({ outcome: 'error', errorType });
  throw error;
}

/** Refusals a call may meet without spending its retries, at the most. */
export const FREE_REFUSALS = 20;

/**
 * Whether a failure is a refusal (rate-limit or acceleration 429) met while the API admits this
 * key+model's other calls: contention for a limit that others are using (the gateway's own probing
 * for more, another process or key of the organization), not a failure of the call's. It does not
 * spend one of the call's retries (up to {@link FREE_REFUSALS}); the call's deadline and the retry
 * budget still bound it. Overloads (529) always spend one: they say the API is short of room.
 */
function freeRefusal(call: Call, error: unknown): boolean {
  if (!(error instanceof AttemptFailure)) return false;
  const { throttle } = error.outcome.classification;
  if (throttle !== 'acceleration' && throttle !== 'rate') return false;
  if (call.freeRefusals >= FREE_REFUSALS || !call.admission.admitting()) return false;
  call.freeRefusals++;
  return true;
}

export async function runCall(call: Call, next: MiddlewareNext): Promise<Response> {
  try {
    return await pRetry((attemptNumber) => runAttempt(call, next, attemptNumber), {
      retries: call.maxRetries,
      // The gateway computes its own delays and waits in shouldRetry; p-retry schedules no timer.
      minTimeout: 0,
      signal: call.signal.signal,
      shouldConsumeRetry: ({ error }) => {
        if (freeRefusal(call, error)) return false;
        call.retriesConsumed++;
        return true;
      },
      shouldRetry: ({ error }) => answerFailure(call, error),
    });
  } catch (error) {
    return endFailed(call, error);
  }
}
