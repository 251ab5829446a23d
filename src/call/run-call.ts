/**
 * The gateway as an SDK middleware: it owns the retry loop (p-retry, with the SDK's own retries
 * off), takes a concurrency slot for each attempt, and records spans and metrics. The SDK still
 * builds its typed errors from the final response and keeps its whole surface.
 */
import type { Middleware, MiddlewareContext, MiddlewareNext } from '@anthropic-ai/sdk';
import type { Span } from '@opentelemetry/api';
import pRetry, { AbortError as StopRetrying } from 'p-retry';
import {
  attemptRequest,
  attemptTimeoutMs,
  attemptTimeoutReason,
  classifyConnectionError,
  isReplayable,
  readFailedResponse,
  type AttemptOutcome,
} from './attempt.js';
import { classifyFailure } from './classify.js';
import type { GatewayConfig } from './config.js';
import { decideRetry } from './delay.js';
import type { AttemptCost, ModelLimiter, Slot } from './limiter.js';
import { metricsEnabled, recordAttemptDuration, recordOperation, recordRetry } from './metrics.js';
import * as A from './semconv.js';
import { CallSpans, guard, usageAttributes, type AttemptSpan, type UsageLike } from './spans.js';
import { peekStream, trackedBody, type StreamEnd } from './stream.js';
import { readBuckets } from './headers.js';
import { checkBodySize } from './limits.js';
import { sleep } from './wait.js';
import type { RetryBudget } from './budget.js';

type APIRequest = Parameters<MiddlewareNext>[0];
type Options = NonNullable<MiddlewareContext['options']>;

/** Marks a gateway middleware, so a client is never wrapped twice. */
export const GATEWAY_MIDDLEWARE = Symbol.for('claude-otel-gateway.middleware');
/** Where the wrapped client passes a per-request `maxRetries` to the gateway. */
export const REQUEST_MAX_RETRIES = Symbol.for('claude-otel-gateway.maxRetries');

/** What the middleware needs from its gateway. */
export interface GatewayCore {
  readonly config: GatewayConfig;
  readonly budget: RetryBudget;
  limiterFor(authHeader: string | null, model: string): ModelLimiter;
  readonly captureContent: boolean;
}

/** Creates that may have taken effect when a connection dropped: never resent after one. */
const NON_IDEMPOTENT_ROUTES = [/^\/v1\/messages\/batches\/?$/, /^\/v1\/files\/?$/];

/** Thrown inside the retry loop for a failed attempt that may be retried. */
class AttemptFailure extends Error {
  /** How the gateway answered: the first answer wins. */
  answer: { delayMs: number; source: string } | { giveUp: string } | undefined;
  constructor(
    readonly outcome: Exclude<AttemptOutcome, { kind: 'response' }>,
    readonly span: AttemptSpan,
    readonly retry: number,
  ) {
    super(outcome.classification.reason);
  }
  /** Ends the attempt span with how the gateway answered the failure. */
  close(answer: { delayMs: number; source: string } | { giveUp: string }): void {
    if (this.answer) return;
    this.answer = answer;
    this.span.failed(this.outcome.classification.errorType, this.outcome.classification.reason, answer);
    this.span.end();
  }
}

/** The whole-call deadline passed. The message says "timed out" so the SDK raises its timeout error. */
class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
  constructor(ms: number) {
    super(`Claude gateway: call timed out after ${ms} ms (CLAUDE_GATEWAY_TIMEOUT_MS / timeoutMs)`);
  }
}

function operationName(path: string): string {
  if (path === '/v1/messages') return 'chat';
  return path.replace(/^\/v1\//, '').replace(/\//g, '.');
}

function bodyObject(body: unknown): Record<string, unknown> | undefined {
  return body !== null && typeof body === 'object' && !isReplayableBinary(body) ? (body as Record<string, unknown>) : undefined;
}
function isReplayableBinary(body: object): boolean {
  return body instanceof FormData || body instanceof Blob || ArrayBuffer.isView(body) || body instanceof ArrayBuffer;
}

function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Creates the gateway middleware. `clientTimeoutMs` is the SDK's per-attempt timeout. */
export function createMiddleware(core: GatewayCore, clientTimeoutMs: number): Middleware {
  const middleware: Middleware = (request, next, ctx) => {
    if (!ctx.options) return next(request); // credential exchanges: not an API call
    checkBodySize(ctx.options.path, request.body);
    return runCall(core, request, next, ctx, ctx.options, clientTimeoutMs);
  };
  Object.defineProperty(middleware, GATEWAY_MIDDLEWARE, { value: true });
  return middleware;
}

async function runCall(
  core: GatewayCore,
  request: APIRequest,
  next: MiddlewareNext,
  ctx: MiddlewareContext,
  options: Options,
  clientTimeoutMs: number,
): Promise<Response> {
  const { config } = core;
  const started = Date.now();
  const startedHr = performance.now();
  const body = bodyObject(options.body);
  const model = typeof body?.model === 'string' ? body.model : undefined;
  const limiter = core.limiterFor(request.headers.get('authorization') ?? request.headers.get('x-api-key'), model ?? '*');
  const method = (request.method ?? options.method).toUpperCase();
  const sdkCall = (options as { __span?: { span: Span; route?: string } }).__span;
  const route = sdkCall?.route ?? options.path;
  const operation = operationName(options.path);
  const spans = new CallSpans({
    method,
    route,
    operation,
    model,
    body,
    url: request.url,
    sdkSpan: sdkCall?.span,
    captureContent: core.captureContent,
  });
  const baseAttrs = {
    [A.ATTR_GEN_AI_OPERATION_NAME]: operation,
    [A.ATTR_GEN_AI_PROVIDER_NAME]: A.GEN_AI_PROVIDER_ANTHROPIC,
    ...(model ? { [A.ATTR_GEN_AI_REQUEST_MODEL]: model } : {}),
  };

  // One controller for the call: the user's abort and the deadline both end it. Forwarded by hand
  // (AbortSignal.any costs more per call), and the listener on the user's signal, which may serve
  // many calls, is removed when the call ends.
  const userSignal = options.signal ?? undefined;
  const callCtl = new AbortController();
  const callSignal = callCtl.signal;
  const onUserAbort = () => callCtl.abort(userSignal!.reason);
  if (userSignal?.aborted) onUserAbort();
  else userSignal?.addEventListener('abort', onUserAbort, { once: true });
  const deadline = config.timeoutMs > 0 ? started + config.timeoutMs : Infinity;
  const deadlineTimer =
    config.timeoutMs > 0 ? setTimeout(() => callCtl.abort(new DeadlineExceeded(config.timeoutMs)), config.timeoutMs) : undefined;
  const idempotent = method !== 'POST' || !NON_IDEMPOTENT_ROUTES.some((r) => r.test(options.path));
  const requested = (options as { [REQUEST_MAX_RETRIES]?: number })[REQUEST_MAX_RETRIES];
  const maxRetries = !isReplayable(request.body) ? 0 : (requested ?? config.maxRetries);
  const cost: AttemptCost = {
    requests: 1,
    inputTokens: typeof request.body === 'string' ? Math.ceil(request.body.length / 4) : 0,
  };
  const sdkTimeoutMs = options.timeout ?? clientTimeoutMs;
  const stream = options.stream === true;
  const metricsOn = metricsEnabled();

  let attempts = 0;
  let totalDelayMs = 0;
  let queueWaitMs = 0;
  core.budget.recordCall(started);

  // The summary goes on the logical span synchronously: the SDK may end its own span as soon as
  // the response is read. Usage, metrics and the end of an owned span may follow later.
  const summarize = (outcome: string, errorType?: string, firstChunkMs?: number) =>
    spans.summarize({ attempts, totalDelayMs, queueWaitMs, outcome, errorType, firstChunkMs });
  const complete = (errorType?: string, usage?: UsageLike, status?: number) => {
    spans.response(usage, status);
    if (metricsOn) recordOperation((performance.now() - startedHr) / 1000, errorType ? { ...baseAttrs, [A.ATTR_ERROR_TYPE]: errorType } : baseAttrs, usageAttributes(usage));
    spans.end();
  };

  /** Ends a call on a failure the table does not retry: the SDK raises its typed error from `response`. */
  const notRetryable = (failure: AttemptFailure, response: Response): Response => {
    const { errorType } = failure.outcome.classification;
    failure.close({ giveUp: 'not_retryable' });
    summarize('error', errorType);
    complete(errorType, undefined, response.status);
    return response;
  };

  const runAttempt = async (attemptNumber: number): Promise<Response> => {
    const retry = attemptNumber - 1;
    const queuedAt = Date.now();
    const slot = await limiter.acquire(cost, callSignal);
    queueWaitMs += slot.waitedMs;
    spans.queued(queuedAt, queuedAt + slot.waitedMs, slot.limitAtQueue, slot.queueDepthAtQueue);
    attempts++;
    const span = spans.attempt(retry);
    const { request: req, controller: attemptCtl } = attemptRequest(request, retry, callSignal);
    span.inject(req.headers);
    const sentAt = performance.now();
    const timeoutMs = attemptTimeoutMs(sdkTimeoutMs);
    const timer = setTimeout(() => attemptCtl.abort(attemptTimeoutReason(timeoutMs)), timeoutMs);
    const recordDuration = (status?: number, errorType?: string) => {
      if (!metricsOn) return;
      const attrs: Record<string, string | number> = { [A.ATTR_HTTP_REQUEST_METHOD]: method };
      if (status) attrs[A.ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
      if (errorType) attrs[A.ATTR_ERROR_TYPE] = errorType;
      recordAttemptDuration((performance.now() - sentAt) / 1000, attrs);
    };
    let response: Response;
    try {
      response = await span.run(() => next(req));
    } catch (error) {
      clearTimeout(timer);
      slot.release();
      const classification = classifyConnectionError(error, idempotent);
      recordDuration(undefined, classification.errorType);
      if (callSignal.aborted) {
        span.end();
        throw error; // p-retry rejects with the signal's reason
      }
      const failure = new AttemptFailure({ kind: 'failed-connection', error, classification }, span, retry);
      if (!classification.retryable) {
        failure.close({ giveUp: 'not_retryable' });
        throw new StopRetrying(error instanceof Error ? error : new Error(String(error)));
      }
      throw failure;
    }
    clearTimeout(timer); // headers arrived: the SDK's timeout covers no more than that either
    recordDuration(response.status);
    span.response(response);
    guard(() => limiter.observe(readBuckets(response.headers), slot));

    if (response.ok) return succeed(response, slot, span, sentAt, retry);

    const outcome = await readFailedResponse(response, Date.now());
    slot.release();
    const { classification, retryAfterMs } = outcome;
    // Do not send what the server already said will fail: a retry-after holds this key and model.
    if (classification.throttle !== 'none') limiter.onThrottle(classification.throttle, classification.retryable ? retryAfterMs : undefined, slot.dispatchedAt);
    const failure = new AttemptFailure(outcome, span, retry);
    if (!classification.retryable) return notRetryable(failure, outcome.response);
    throw failure;
  };

  const succeed = async (response: Response, slot: Slot, span: AttemptSpan, sentAt: number, retry: number): Promise<Response> => {
    if (!stream || !response.body) {
      slot.release();
      limiter.onSuccess();
      span.end();
      summarize('success');
      const status = response.status;
      // Usage is needed for token metrics and for a logical span the gateway owns; the SDK parses
      // the body anyway, so read a clone only then.
      if (!spans.ownsRecordingSpan && !metricsOn) {
        complete(undefined, undefined, status);
        return response;
      }
      void ctx
        .parse<UsageLike>(response)
        .then((data) => complete(undefined, typeof data === 'object' && data ? data : undefined, status))
        .catch(() => complete(undefined, undefined, status));
      return response;
    }
    const reader = response.body.getReader();
    let peeked;
    try {
      peeked = await peekStream(reader);
    } catch (error) {
      slot.release();
      if (callSignal.aborted) {
        span.end();
        throw error;
      }
      throw new AttemptFailure({ kind: 'failed-connection', error, classification: classifyConnectionError(error, idempotent) }, span, retry);
    }
    if (peeked.ended && !peeked.complete) {
      // Cut before any content: nothing reached the consumer, so it is safe to send again.
      slot.release();
      const error = new Error('stream ended before any content');
      throw new AttemptFailure({ kind: 'failed-connection', error, classification: classifyConnectionError(error, idempotent) }, span, retry);
    }
    if (peeked.errorBeforeContent !== undefined) {
      // An `event: error` before any content: nothing reached the consumer, so retry it.
      void reader.cancel().catch(() => {});
      slot.release();
      const classification = classifyFailure({ errorType: peeked.errorBeforeContent });
      if (classification.throttle !== 'none') limiter.onThrottle(classification.throttle);
      const replay = new Response(concat(peeked.chunks), { status: response.status, headers: response.headers });
      const failure = new AttemptFailure({ kind: 'failed-response', response: replay, classification, retryAfterMs: undefined }, span, retry);
      if (!classification.retryable) return notRetryable(failure, replay);
      throw failure;
    }
    limiter.onSuccess();
    let firstChunkMs: number | undefined;
    const markFirst = () => {
      firstChunkMs = Math.round(performance.now() - sentAt);
      span.set({ [A.ATTR_GATEWAY_TIME_TO_FIRST_CHUNK_MS]: firstChunkMs });
    };
    if (peeked.sawContent) markFirst();
    summarize('success', undefined, firstChunkMs);
    const onEnd = (how: StreamEnd, error?: unknown) => {
      slot.release();
      span.set({ [A.ATTR_GATEWAY_STREAM_END]: how });
      const failed = how === 'failed' || how === 'cut';
      const errorType = failed ? ((error as { type?: string } | undefined)?.type ?? 'stream_error') : undefined;
      if (failed) span.failed(errorType!, how === 'cut' ? 'connection' : 'stream');
      span.end();
      summarize(failed ? 'stream_error' : how === 'canceled' ? 'canceled' : 'success', errorType, firstChunkMs);
      complete(errorType, undefined, response.status);
    };
    return new Response(trackedBody(peeked, reader, onEnd, markFirst), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };

  try {
    return await pRetry(runAttempt, {
      retries: maxRetries,
      // The gateway computes its own delays (retry-after first, full jitter) and waits in
      // shouldRetry; p-retry schedules no timer of its own.
      minTimeout: 0,
      signal: callSignal,
      shouldRetry: async ({ error }) => {
        if (!(error instanceof AttemptFailure)) return false;
        const { classification } = error.outcome;
        const retryAfterMs = error.outcome.kind === 'failed-response' ? error.outcome.retryAfterMs : undefined;
        const now = Date.now();
        const decision = decideRetry({ classification, retryAfterMs, retry: error.retry + 1, now, deadline }, config);
        if (!decision.retry) {
          error.close({ giveUp: decision.why });
          return false;
        }
        if (!core.budget.tryRetry(now)) {
          error.close({ giveUp: 'retry_budget' });
          return false;
        }
        error.close({ delayMs: decision.delayMs, source: decision.source });
        if (metricsOn) recordRetry(classification.reason, model);
        const endBackoff = spans.backoff(decision.delayMs, decision.source, classification.reason);
        try {
          await sleep(decision.delayMs, callSignal);
        } finally {
          endBackoff();
        }
        totalDelayMs += decision.delayMs;
        return true;
      },
    });
  } catch (error) {
    if (error instanceof AttemptFailure) {
      error.close({ giveUp: 'retries_exhausted' });
      const outcome = error.outcome;
      const status = outcome.kind === 'failed-response' ? outcome.response.status : undefined;
      const answer = error.answer;
      summarize(answer && 'giveUp' in answer && answer.giveUp !== 'not_retryable' ? answer.giveUp : 'error', outcome.classification.errorType);
      complete(outcome.classification.errorType, undefined, status);
      if (outcome.kind === 'failed-response') return outcome.response;
      throw outcome.error;
    }
    if (userSignal?.aborted) {
      summarize('aborted');
      complete();
      throw error;
    }
    if (callSignal.aborted) {
      summarize('timeout', 'client_timeout_error');
      complete('client_timeout_error');
      throw callSignal.reason;
    }
    const errorType = classifyConnectionError(error, idempotent).errorType;
    summarize('error', errorType);
    complete(errorType);
    throw error;
  } finally {
    clearTimeout(deadlineTimer);
    userSignal?.removeEventListener('abort', onUserAbort);
  }
}
