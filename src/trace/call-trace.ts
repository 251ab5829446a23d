/**
 * Spans for one API call: the logical span (the SDK's own call span when it traces, otherwise one
 * the gateway starts), one CLIENT span per HTTP attempt, and the waits (`claude_gateway.queue`,
 * `claude_gateway.backoff`). Every step runs under {@link guard}: telemetry never throws into a call.
 */
import {
  context as otelContext,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { readHeaders } from './headers.js';
import * as A from './semconv.js';
import { VERSION } from './version.js';

/** Runs a telemetry step; what it throws is dropped, so a broken exporter never fails a call. */
export function guard<T>(step: () => T): T | undefined {
  try {
    return step();
  } catch {
    return undefined;
  }
}

/** Tracer taken when used, never at import: a provider registered later must still apply. */
function tracer() {
  return trace.getTracer(A.SCOPE_NAME, VERSION);
}

/** Whether the application registered a tracer provider (the API's default delegates to a no-op). */
export function tracingEnabled(): boolean {
  return (
    guard(() => {
      const provider = trace.getTracerProvider() as { getDelegate?: () => object };
      const delegate = provider.getDelegate?.() ?? provider;
      return delegate.constructor.name !== 'NoopTracerProvider';
    }) ?? true
  );
}

/** Request parameters copied to the logical span: [attribute, body field]. */
const REQUEST_PARAMS: ReadonlyArray<readonly [string, string]> = [
  [A.ATTR_GEN_AI_REQUEST_MODEL, 'model'],
  [A.ATTR_GEN_AI_REQUEST_MAX_TOKENS, 'max_tokens'],
  [A.ATTR_GEN_AI_REQUEST_TEMPERATURE, 'temperature'],
  [A.ATTR_GEN_AI_REQUEST_TOP_P, 'top_p'],
  [A.ATTR_GEN_AI_REQUEST_TOP_K, 'top_k'],
  [A.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES, 'stop_sequences'],
];

export interface CallInfo {
  readonly method: string;
  /** Endpoint route, e.g. `/v1/messages`. */
  readonly route: string;
  readonly operation: string;
  readonly model: string | undefined;
  readonly body: Record<string, unknown> | undefined;
  readonly url: string;
  /** The SDK's call span when the SDK traces this call. */
  readonly sdkSpan: Span | undefined;
  readonly captureContent: boolean;
}

export interface UsageLike {
  id?: unknown;
  model?: unknown;
  stop_reason?: unknown;
  content?: unknown;
  usage?: {
    input_tokens?: unknown;
    output_tokens?: unknown;
    cache_read_input_tokens?: unknown;
    cache_creation_input_tokens?: unknown;
  };
}

/** Parsed per URL once: a process calls a handful of endpoints. */
const servers = new Map<string, Attributes>();

function serverAttributes(url: string): Attributes {
  let attrs = servers.get(url);
  if (!attrs) {
    attrs = guard(() => {
      const u = new URL(url);
      return {
        [A.ATTR_SERVER_ADDRESS]: u.hostname,
        [A.ATTR_SERVER_PORT]: u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443,
      };
    }) ?? {};
    if (servers.size < 256) servers.set(url, attrs);
  }
  return attrs;
}

/** GenAI input-token usage for Anthropic counts cache reads and writes in (semconv). */
export function usageAttributes(data: UsageLike | undefined): Attributes {
  const u = data?.usage;
  if (!u) return {};
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const out: Attributes = {};
  if (typeof u.input_tokens === 'number') {
    out[A.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = u.input_tokens + num(u.cache_read_input_tokens) + num(u.cache_creation_input_tokens);
  }
  if (typeof u.output_tokens === 'number') out[A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = u.output_tokens;
  if (typeof u.cache_read_input_tokens === 'number') out[A.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = u.cache_read_input_tokens;
  if (typeof u.cache_creation_input_tokens === 'number') {
    out[A.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = u.cache_creation_input_tokens;
  }
  return out;
}

/** The telemetry of one API call. Methods never throw. */
export class CallSpans {
  /** The logical span, the parent of attempt and wait spans. */
  readonly logical: Span | undefined;
  /** Whether the gateway started (and so ends) the logical span. */
  readonly owned: boolean;
  /** False when no tracer provider is registered: every span step is skipped. */
  private readonly enabled: boolean;
  private readonly parent: Context;
  private readonly server: Attributes;

  constructor(private readonly info: CallInfo) {
    this.server = serverAttributes(info.url);
    this.owned = !info.sdkSpan;
    this.enabled = !!info.sdkSpan || tracingEnabled();
    this.logical =
      info.sdkSpan ??
      (!this.enabled ? undefined : guard(() =>
        tracer().startSpan(`${info.operation} ${info.model ?? info.route}`, {
          kind: SpanKind.CLIENT,
          attributes: this.requestAttributes(),
        }),
      ));
    const active = otelContext.active();
    this.parent = this.logical ? trace.setSpan(active, this.logical) : active;
    if (info.captureContent && this.logical) guard(() => this.recordInput(this.logical!));
  }

  private requestAttributes(): Attributes {
    const attrs: Attributes = {
      [A.ATTR_GEN_AI_OPERATION_NAME]: this.info.operation,
      [A.ATTR_GEN_AI_PROVIDER_NAME]: A.GEN_AI_PROVIDER_ANTHROPIC,
      [A.ATTR_HTTP_ROUTE]: this.info.route,
      ...this.server,
    };
    const body = this.info.body;
    if (body) {
      for (const [attr, field] of REQUEST_PARAMS) {
        const v = body[field];
        if (typeof v === 'number' || typeof v === 'string') attrs[attr] = v;
        else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) attrs[attr] = v as string[];
      }
    }
    return attrs;
  }

  private recordInput(span: Span): void {
    const body = this.info.body;
    if (!body) return;
    if (body.messages !== undefined) span.setAttribute(A.ATTR_GEN_AI_INPUT_MESSAGES, JSON.stringify(body.messages));
    if (body.system !== undefined) span.setAttribute(A.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, JSON.stringify(body.system));
  }

  /** A `claude_gateway.queue` span covering a wait for a slot, the hold and pacing. */
  queued(startedAt: number, endedAt: number, limit: number, depth: number): void {
    if (!this.enabled || endedAt - startedAt < 1) return;
    guard(() => {
      const span = tracer().startSpan(
        A.SPAN_QUEUE,
        { kind: SpanKind.INTERNAL, startTime: startedAt, attributes: { [A.ATTR_GATEWAY_CONCURRENCY_LIMIT]: limit, [A.ATTR_GATEWAY_QUEUE_DEPTH]: depth } },
        this.parent,
      );
      span.end(endedAt);
    });
  }

  /** Starts a `claude_gateway.backoff` span; the returned function ends it. */
  backoff(delayMs: number, source: string, reason: string): () => void {
    if (!this.enabled) return () => {};
    const span = guard(() =>
      tracer().startSpan(
        A.SPAN_BACKOFF,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            [A.ATTR_GATEWAY_RETRY_DELAY_MS]: delayMs,
            [A.ATTR_GATEWAY_RETRY_DELAY_SOURCE]: source,
            [A.ATTR_GATEWAY_RETRY_REASON]: reason,
          },
        },
        this.parent,
      ),
    );
    return () => guard(() => span?.end());
  }

  /** Starts the span of attempt `retry` (0 = first) and returns it with the context to send in. */
  attempt(retry: number): AttemptSpan {
    if (!this.enabled) return new AttemptSpan(undefined, this.parent);
    const span = guard(() =>
      tracer().startSpan(
        `${this.info.method} ${this.info.route}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            [A.ATTR_HTTP_REQUEST_METHOD]: this.info.method,
            [A.ATTR_HTTP_ROUTE]: this.info.route,
            ...this.server,
            ...(retry > 0 ? { [A.ATTR_HTTP_REQUEST_RESEND_COUNT]: retry } : {}),
          },
        },
        this.parent,
      ),
    );
    return new AttemptSpan(span, this.parent);
  }

  /** Sets the gateway's summary on the logical span, and the outcome. */
  summarize(attrs: {
    attempts: number;
    totalDelayMs: number;
    queueWaitMs: number;
    outcome: string;
    errorType?: string | undefined;
    firstChunkMs?: number | undefined;
  }): void {
    const span = this.logical;
    if (!span) return;
    guard(() => {
      span.setAttributes({
        [A.ATTR_GATEWAY_ATTEMPTS]: attrs.attempts,
        [A.ATTR_GATEWAY_RETRY_TOTAL_DELAY_MS]: attrs.totalDelayMs,
        [A.ATTR_GATEWAY_QUEUE_WAIT_MS]: attrs.queueWaitMs,
        [A.ATTR_GATEWAY_OUTCOME]: attrs.outcome,
      });
      if (attrs.firstChunkMs !== undefined) span.setAttribute(A.ATTR_GATEWAY_TIME_TO_FIRST_CHUNK_MS, attrs.firstChunkMs);
      if (!this.owned) return;
      // The SDK sets its own span's status; the gateway's follows the same rule: an error only when
      // the call failed, never for attempts that were retried and then succeeded.
      if (attrs.errorType) {
        span.setAttribute(A.ATTR_ERROR_TYPE, attrs.errorType);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
    });
  }

  /** Response attributes for an owned logical span (the SDK sets them on its own). */
  response(data: UsageLike | undefined, status: number | undefined): void {
    const span = this.logical;
    if (!span || !this.owned) return;
    guard(() => {
      if (status !== undefined) span.setAttribute(A.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (!data) return;
      if (typeof data.id === 'string') span.setAttribute(A.ATTR_GEN_AI_RESPONSE_ID, data.id);
      if (typeof data.model === 'string') span.setAttribute(A.ATTR_GEN_AI_RESPONSE_MODEL, data.model);
      if (typeof data.stop_reason === 'string') span.setAttribute(A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, [data.stop_reason]);
      span.setAttributes(usageAttributes(data));
      if (this.info.captureContent && data.content !== undefined) {
        span.setAttribute(A.ATTR_GEN_AI_OUTPUT_MESSAGES, JSON.stringify([{ role: 'assistant', content: data.content }]));
      }
    });
  }

  /** Whether the gateway owns a logical span that records (and so wants the response's usage). */
  get ownsRecordingSpan(): boolean {
    return this.owned && !!this.logical && (guard(() => this.logical!.isRecording()) ?? false);
  }

  /** Ends an owned logical span; the SDK ends its own. */
  end(): void {
    if (this.owned) guard(() => this.logical?.end());
  }
}

/** The CLIENT span of one HTTP attempt. */
export class AttemptSpan {
  /** The context to send the attempt in: this span active, HTTP instrumentations suppressed so no
   * second span is made for the same request. */
  readonly context: Context;

  constructor(
    private readonly span: Span | undefined,
    parent: Context,
  ) {
    const ctx = span ? trace.setSpan(parent, span) : parent;
    this.context = span ? (guard(() => suppressTracing(ctx)) ?? ctx) : ctx;
  }

  /** Runs the attempt's request in {@link context}; directly when there is no span. */
  run<T>(send: () => T): T {
    return this.span ? otelContext.with(this.context, send) : send();
  }

  /** Writes this attempt's trace context into `headers`, so the server sees the attempt span. */
  inject(headers: Headers): void {
    if (!this.span) return;
    guard(() => {
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(otelContext.active(), this.span!), carrier);
      for (const [k, v] of Object.entries(carrier)) headers.set(k, v);
    });
  }

  /** Records the response's status, request id and rate-limit headers. */
  response(response: Response): void {
    const span = this.span;
    if (!span?.isRecording()) return;
    guard(() => {
      span.setAttribute(A.ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      const headers = readHeaders(response.headers);
      if (headers.requestId) span.setAttribute(A.ATTR_ANTHROPIC_REQUEST_ID, headers.requestId);
      for (const [name, value] of headers.ratelimit) {
        // `requests-remaining` → `anthropic.ratelimit.requests.remaining`
        const cut = name.lastIndexOf('-');
        const field = name.slice(cut + 1);
        const key = `${A.ATTR_ANTHROPIC_RATELIMIT_PREFIX}.${name.slice(0, cut).replace('-', '_')}.${field}`;
        span.setAttribute(key, field === 'reset' ? value : Number(value));
      }
    });
  }

  /** Marks the attempt failed with `errorType`, and how the gateway answered it. */
  failed(errorType: string, reason: string, retry?: { delayMs: number; source: string } | { giveUp: string }): void {
    const span = this.span;
    if (!span) return;
    guard(() => {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute(A.ATTR_ERROR_TYPE, errorType);
      span.setAttribute(A.ATTR_GATEWAY_RETRY_REASON, reason);
      if (retry && 'delayMs' in retry) {
        span.setAttribute(A.ATTR_GATEWAY_RETRY_DELAY_MS, retry.delayMs);
        span.setAttribute(A.ATTR_GATEWAY_RETRY_DELAY_SOURCE, retry.source);
      } else if (retry) {
        span.setAttribute(A.ATTR_GATEWAY_GIVE_UP, retry.giveUp);
      }
    });
  }

  set(attrs: Attributes): void {
    guard(() => this.span?.setAttributes(attrs));
  }

  end(): void {
    guard(() => this.span?.end());
  }
}
