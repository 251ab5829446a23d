/**
 * One attempt of a call: wait for admission, send through the rest of the SDK's middleware chain,
 * report the answer to the limiter, and hand back a response for the SDK or throw an
 * {@link AttemptFailure} for the retry loop. The slot is freed and the span ended on every path.
 */
import type { MiddlewareNext } from '@anthropic-ai/sdk';
import { APIConnectionError } from '@anthropic-ai/sdk';
import { AbortError as StopRetrying } from 'p-retry';
import type { Ticket } from '../admit/admission.js';
import { ORGANIZATION_HEADER } from '../admit/limiter-key.js';
import { classifyConnectionError, readFailedResponse } from '../attempt/outcome.js';
import { readBuckets } from '../attempt/rate-limit-headers.js';
import { whenSent } from '../attempt/on-wire.js';
import { attemptRequest, attemptTimeoutMs, attemptTimeoutReason } from '../attempt/send.js';
import type { AttemptSpan } from '../trace/attempt-span.js';
import { guard } from '../trace/guard.js';
import * as A from '../trace/semconv.js';
import { monotonicNow } from '../delay/clock.js';
import { AttemptFailure } from './attempt-failure.js';
import type { Call } from './call.js';
import { receiveStream } from './receive-stream.js';
import { receiveSuccess } from './receive-success.js';

/** An attempt that was admitted and sent. */
export interface SentAttempt {
  readonly ticket: Ticket;
  readonly span: AttemptSpan;
  /** Which attempt: 0 for the first. */
  readonly retry: number;
  /** `performance.now()` when it was sent. */
  readonly sentAt: number;
}

/** A sent attempt's request: its abort controller (the deadline, the idle limit and the caller's
 * abort all end it) and its per-attempt timer. */
export interface InFlight extends SentAttempt {
  readonly controller: AbortController;
}

/** Ends a call whose attempt failed in a way the table does not retry: the SDK raises its typed
 * error from `response`. */
export function endNotRetryable(call: Call, failure: AttemptFailure, response: Response): Response {
  const { errorType } = failure.outcome.classification;
  failure.close({ giveUp: 'not_retryable' });
  call.finish({ outcome: 'error', errorType, status: response.status });
  return response;
}

function recordDuration(call: Call, sentAt: number, status?: number, errorType?: string): void {
  if (!call.metricsOn) return;
  const attrs: Record<string, string | number> = { [A.ATTR_HTTP_REQUEST_METHOD]: call.method };
  if (status) attrs[A.ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
  if (errorType) attrs[A.ATTR_ERROR_TYPE] = errorType;
  call.core.metrics.attemptDuration((performance.now() - sentAt) / 1000, attrs);
}

/** Runs attempt `attemptNumber` (from 1, as p-retry counts). */
export async function runAttempt(call: Call, next: MiddlewareNext, attemptNumber: number): Promise<Response> {
  const retry = attemptNumber - 1;
  // The first attempt of a call that waited before its request was built takes the slot it waited for.
  const first = call.takeFirstSlot();
  // A retry goes where its key+model's limiter is now (two keys of one organization: one limiter).
  if (!first) call.admission = call.admission.current();
  const ticket = await call.admission.acquire(call.cost, call.signal.signal, first?.slot);
  const admittedAt = Date.now();
  const waitedMs = first ? monotonicNow() - first.queued.startedAt : ticket.waitedMs;
  call.queueWaitMs += waitedMs;
  const { limitAtQueue, queueDepthAtQueue } = first?.queued ?? ticket;
  call.trace.queued(admittedAt - waitedMs, admittedAt, limitAtQueue, queueDepthAtQueue);
  call.attempts++;
  const span = call.trace.attempt(retry);
  span.store(ticket.store, ticket.storeMs);
  try {
    return await sendAttempt(call, next, { ticket, span, retry, sentAt: performance.now() });
  } catch (error) {
    // The attempt's one way out on a throw: its slot is free, its reservation back (a failed
    // attempt produced nothing the API keeps); its span ends now unless the retry loop still has to
    // answer it (a failure it may retry ends its span with the answer).
    ticket.release();
    ticket.settle(0);
    if (error instanceof AttemptFailure) {
      // p-retry answers an aborted signal with its reason: nobody else would end this span.
      if (call.signal.signal.aborted)
        error.close({ giveUp: call.signal.userAborted ? 'aborted' : 'deadline' });
      throw error;
    }
    span.end();
    throw error instanceof StopRetrying || call.signal.signal.aborted ? error : unexpected(error);
  }
}

/**
 * An error of the gateway's own while it read an answer (never the application's middleware's, nor
 * a failed fetch: those are classified): the caller gets the SDK's connection error, not a bare
 * `TypeError`, and it is not retried.
 */
function unexpected(error: unknown): StopRetrying {
  const message = `Claude gateway: could not read the response (${error instanceof Error ? error.message : String(error)})`;
  return new StopRetrying(
    new APIConnectionError({ message, cause: error instanceof Error ? error : undefined }),
  );
}

/** Sends the attempt and reads its answer, up to the response the SDK gets or the failure. */
async function sendAttempt(call: Call, next: MiddlewareNext, sent: SentAttempt): Promise<Response> {
  const { request, controller } = attemptRequest(call.request, sent.retry, call.signal.signal);
  sent.span.inject(request.headers);
  const timeoutMs = attemptTimeoutMs(call.attemptTimeoutMs);
  const timer = setTimeout(() => controller.abort(attemptTimeoutReason(timeoutMs)), timeoutMs);
  const attempt: InFlight = { ...sent, controller };
  whenSent(controller.signal, () => call.admission.sent());
  let response: Response;
  try {
    response = await sent.span.run(() => next(request));
  } catch (error) {
    clearTimeout(timer);
    throw connectionFailure(call, sent, error);
  }
  recordDuration(call, sent.sentAt, response.status);
  sent.span.response(response);
  if (call.learnsOrganization)
    call.core.learnOrganization(call.credential, response.headers.get(ORGANIZATION_HEADER));
  guard('reading rate-limit headers', () =>
    call.admission.observe(readBuckets(response.headers), sent.ticket, response.status === 429),
  );
  if (response.ok && !(call.stream && response.body)) {
    clearTimeout(timer); // a success's headers arrived: the SDK's timeout covers no more either
    return receiveSuccess(call, attempt, response);
  }
  // The attempt timer stays armed while the gateway reads an error body or peeks a stream before
  // its first content: either may stall, and both are safe to retry.
  try {
    return response.ok ?
        await receiveStream(call, attempt, response)
      : await receiveFailure(call, sent, response);
  } finally {
    clearTimeout(timer);
  }
}

/** A request that got no response: a failure the loop may retry, or the end of the call. */
function connectionFailure(call: Call, { span, retry, sentAt }: SentAttempt, error: unknown): unknown {
  const classification = classifyConnectionError(error, call.idempotent);
  recordDuration(call, sentAt, undefined, classification.errorType);
  if (call.signal.signal.aborted) return error; // p-retry rejects with the signal's reason
  const failure = new AttemptFailure({ kind: 'failed-connection', error, classification }, span, retry);
  if (classification.retryable) return failure;
  failure.close({ giveUp: 'not_retryable' });
  return new StopRetrying(error instanceof Error ? error : new Error(String(error)));
}

/** An error response: classify it, tell the limiter, and end the call or retry. */
async function receiveFailure(
  call: Call,
  { ticket, span, retry }: SentAttempt,
  response: Response,
): Promise<Response> {
  const outcome = await readFailedResponse(response, Date.now());
  ticket.release();
  ticket.settle(0);
  const { classification, retryAfterMs } = outcome;
  // Do not send what the server already said will fail: a retry-after holds this key and model.
  if (classification.throttle !== 'none') {
    call.admission.onThrottle(
      classification.throttle,
      classification.retryable ? retryAfterMs : undefined,
      ticket,
      outcome.retryAfterPrecise,
    );
  }
  const failure = new AttemptFailure(outcome, span, retry);
  if (!classification.retryable) return endNotRetryable(call, failure, outcome.response);
  throw failure;
}
