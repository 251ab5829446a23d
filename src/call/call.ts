/**
 * One API call as the gateway runs it: what it is (model, route, cost, whether it may be resent),
 * what it has taken (its admission, its deadline), what it has done so far (attempts, waits), and
 * its one exit, {@link Call.finish}, which ends its telemetry and frees what it took.
 */
import type { Admission, AttemptCost } from '../admit/admission.js';
import { credentialId } from '../admit/limiter-key.js';
import type { QueuedCall, Slot } from './queued-call.js';
import { isIdempotent } from '../classify/routes.js';
import type { RetryBudget } from '../delay/budget.js';
import type { GatewayConfig } from '../config.js';
import { isReplayable } from '../attempt/send.js';
import type { Span } from '@opentelemetry/api';
import { requestSecret, type APIRequest } from '../gateway/sdk-seams.js';
import { CallTrace, usageAttributes, type UsageLike } from '../trace/call-trace.js';
import type { GatewayMetrics } from '../trace/metrics.js';
import type { TelemetrySource } from '../trace/providers.js';
import * as A from '../trace/semconv.js';
import { CallSignal } from './call-signal.js';
import { attemptCost } from './attempt-cost.js';
import { monotonicNow, toEpoch } from '../delay/clock.js';

/** What a call needs from its gateway. */
export interface GatewayCore {
  readonly config: GatewayConfig;
  readonly budget: RetryBudget;
  readonly captureContent: boolean;
  readonly telemetry: TelemetrySource;
  readonly metrics: GatewayMetrics;
  /** The gateway was closed: calls are refused. */
  readonly closed: boolean;
  /** The admission of a call by `credential` to `model`: per organization (once known) and group. */
  admissionFor(credential: string, model: string): Admission;
  /** Records the organization an answer to `credential` named (`anthropic-organization-id`). */
  learnOrganization(credential: string, organization: string | null): void;
}

/** The slot a call waited for before its request was built, and that wait: for the first attempt. */
export interface FirstSlot {
  readonly slot: Slot;
  /** When it joined the queue (`startedAt`), the limit and the queue depth then. */
  readonly queued: QueuedCall;
}

/** How a call ended, as its logical span and metrics record it. */
export interface CallEnd {
  /** `claude_gateway.outcome`: `success`, `error`, `retries_exhausted`, `timeout`, … */
  readonly outcome: string;
  readonly errorType?: string | undefined;
  readonly status?: number | undefined;
  readonly usage?: UsageLike | undefined;
  readonly firstChunkMs?: number | undefined;
  /** The summary is already on the span (set synchronously when the response was returned). */
  readonly summarized?: boolean;
}

function operationName(path: string): string {
  if (path === '/v1/messages') return 'chat';
  return path.replace(/^\/v1\//, '').replace(/\//g, '.');
}

function isBinary(body: object): boolean {
  return (
    body instanceof FormData ||
    body instanceof Blob ||
    ArrayBuffer.isView(body) ||
    body instanceof ArrayBuffer
  );
}

/**
 * A call as the gateway receives it, whichever way it came in (the SDK's middleware or the fetch
 * adapter).
 */
export interface CallInput {
  /** The request as it would be sent: URL, method, headers, body. */
  readonly request: APIRequest;
  /** The API path, e.g. `/v1/messages`, and the route to name spans after. */
  readonly path: string;
  readonly route: string;
  /** The request body as an object (for the model, `max_tokens`, `stream`), when JSON. */
  readonly body: Record<string, unknown> | undefined;
  /** The caller's abort signal. */
  readonly signal: AbortSignal | undefined;
  /** The per-attempt timeout (the SDK's `timeout`). */
  readonly attemptTimeoutMs: number;
  /** A `maxRetries` the caller asked for, for this call or its client. */
  readonly maxRetries: number | undefined;
  /** The SDK's own span of the call, when it traces it. */
  readonly sdkSpan: Span | undefined;
  /**
   * Who the call is made as, when the client knows better than its auth header (a cloud client's
   * account and region: its requests are signed after the gateway sees them).
   */
  readonly credential?: string | undefined;
  /** The call's wait for its first slot, when it waited before its request was built. */
  readonly queued?: QueuedCall | undefined;
  /** Parses a clone of a response as the client would. */
  parse(response: Response): Promise<unknown>;
}

/** The body of `options` as an object, when it is one (not a stream, form or binary). */
export function bodyObject(body: unknown): Record<string, unknown> | undefined {
  return body !== null && typeof body === 'object' && !isBinary(body) ?
      (body as Record<string, unknown>)
    : undefined;
}

export class Call {
  readonly model: string | undefined;
  /** Who the call is made as: a hash of its credential, never the secret. */
  readonly credential: string;
  /**
   * Whether the answers name the organization to key limits by: not for a cloud client, whose
   * accounts a forwarded `anthropic-organization-id` would merge into one limiter.
   */
  readonly learnsOrganization: boolean;
  readonly method: string;
  readonly request: APIRequest;
  /** The admission of its key+model (the one its limiter was merged into, from its next attempt). */
  admission: Admission;
  readonly trace: CallTrace;
  readonly signal: CallSignal;
  readonly maxRetries: number;
  readonly cost: AttemptCost;
  readonly idempotent: boolean;
  readonly stream: boolean;
  /** The per-attempt timeout. */
  readonly attemptTimeoutMs: number;
  /** Whether metrics are recorded for this call (read once, from the instruments). */
  readonly metricsOn: boolean;
  readonly parse: (response: Response) => Promise<unknown>;
  /** When the call started: monotonic ms (its wait in the queue counts), and epoch ms. */
  readonly startedAt: number;
  /** The slot its first attempt waited for before the request was built, until that attempt takes it. */
  private firstSlot: FirstSlot | undefined;
  /** The wait before the request was built, until an attempt records it. */
  private queued: QueuedCall | undefined;
  private readonly baseAttrs: Record<string, string>;
  attempts = 0;
  /** Failures that spent one of the call's retries, and 429 refusals that did not (see freeRefusal). */
  retriesConsumed = 0;
  freeRefusals = 0;
  totalDelayMs = 0;
  queueWaitMs = 0;
  private finished = false;

  constructor(
    readonly core: GatewayCore,
    input: CallInput,
  ) {
    const { config } = core;
    const { request, body, queued } = input;
    const started = queued?.startedAt ?? monotonicNow();
    this.startedAt = started;
    this.request = request;
    this.parse = input.parse;
    this.attemptTimeoutMs = input.attemptTimeoutMs;
    this.model = typeof body?.model === 'string' ? body.model : undefined;
    this.learnsOrganization = input.credential === undefined;
    // A call that waited keeps the key+model it waited under.
    this.credential = queued?.credential ?? input.credential ?? credentialId(requestSecret(request.headers));
    this.admission = queued?.admission ?? core.admissionFor(this.credential, this.model ?? '*');
    const slot = queued?.claim(this.admission);
    this.firstSlot = slot && { slot, queued: queued! };
    this.method = (request.method ?? 'POST').toUpperCase();
    const operation = operationName(input.path);
    this.trace = new CallTrace(
      {
        method: this.method,
        route: input.route,
        operation,
        model: this.model,
        body,
        url: request.url,
        sdkSpan: input.sdkSpan,
        captureContent: core.captureContent,
        startTime: queued && toEpoch(queued.startedAt),
      },
      core.telemetry,
    );
    this.baseAttrs = {
      [A.ATTR_GEN_AI_OPERATION_NAME]: operation,
      [A.ATTR_GEN_AI_PROVIDER_NAME]: A.GEN_AI_PROVIDER_ANTHROPIC,
      ...(this.model ? { [A.ATTR_GEN_AI_REQUEST_MODEL]: this.model } : {}),
    };
    this.signal = new CallSignal(input.signal, config.timeoutMs, started);
    this.idempotent = isIdempotent(this.method, input.path);
    this.maxRetries = !isReplayable(request.body) ? 0 : (input.maxRetries ?? config.maxRetries);
    this.cost = attemptCost(input.path, request.body, body);
    this.stream = body?.stream === true;
    this.metricsOn = core.metrics.enabled;
    core.budget.recordCall(started);
    this.queued = queued;
  }
  /** The slot the first attempt waited for, once (see {@link CallInput.queued}). */
  takeFirstSlot(): FirstSlot | undefined {
    const slot = this.firstSlot;
    this.firstSlot = undefined;
    this.queued = undefined; // its wait is the first attempt's to record
    return slot;
  }

  /** Sets the gateway's summary on the logical span. Synchronous: the SDK may end its own span as
   * soon as the response is read. */
  summarize(outcome: string, errorType?: string, firstChunkMs?: number): void {
    this.trace.summarize({
      attempts: this.attempts,
      totalDelayMs: this.totalDelayMs,
      queueWaitMs: this.queueWaitMs,
      outcome,
      errorType,
      firstChunkMs,
    });
  }

  /** The call's one exit: records how it ended, ends its telemetry and frees its deadline; idempotent. */
  finish(end: CallEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.signal.dispose();
    this.firstSlot?.slot.free(); // a call that ended before its first attempt took the slot
    const queued = this.queued;
    if (queued) {
      // It ended in the queue (its deadline, an abort) or before its first attempt: its wait.
      this.queueWaitMs = monotonicNow() - this.startedAt;
      this.trace.queued(toEpoch(this.startedAt), Date.now(), queued.limitAtQueue, queued.queueDepthAtQueue);
    }
    if (!end.summarized) this.summarize(end.outcome, end.errorType, end.firstChunkMs);
    this.trace.response(end.usage, end.status);
    if (this.metricsOn) {
      const attrs =
        end.errorType ? { ...this.baseAttrs, [A.ATTR_ERROR_TYPE]: end.errorType } : this.baseAttrs;
      this.core.metrics.operation(
        (monotonicNow() - this.startedAt) / 1000,
        attrs,
        usageAttributes(end.usage),
      );
    }
    this.trace.end();
  }
}
