/**
 * The spans of one API call: the logical span (the SDK's own call span when it traces, otherwise
 * one the gateway starts), one CLIENT span per HTTP attempt, and the waits (`claude_gateway.queue`,
 * `claude_gateway.backoff`). Whether to trace at all is read from the logical span: a span that
 * does not record (no provider, or sampled out) turns every other span step off.
 */
import {
  context as otelContext,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { AttemptSpan } from './attempt-span.js';
import { guard } from './guard.js';
import type { TelemetrySource } from './providers.js';
import * as A from './semconv.js';

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
  /** When the call started (epoch ms), if before the span is made (it waited in the queue). */
  readonly startTime?: number | undefined;
}

/** What the gateway reads of a response body: its id, model, stop reason, content and usage. */
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

/** The gateway's summary of a call, set on the logical span. */
export interface CallSummary {
  readonly attempts: number;
  readonly totalDelayMs: number;
  readonly queueWaitMs: number;
  readonly outcome: string;
  readonly errorType?: string | undefined;
  readonly firstChunkMs?: number | undefined;
}

/** Parsed per URL once: a process calls a handful of endpoints. */
const servers = new Map<string, Attributes>();

function serverAttributes(url: string): Attributes {
  let attrs = servers.get(url);
  if (!attrs) {
    attrs =
      guard('parsing the server URL', () => {
        const u = new URL(url);
        return {
          [A.ATTR_SERVER_ADDRESS]: u.hostname,
          [A.ATTR_SERVER_PORT]:
            u.port ? Number(u.port)
            : u.protocol === 'http:' ? 80
            : 443,
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
    out[A.ATTR_GEN_AI_USAGE_INPUT_TOKENS] =
      u.input_tokens + num(u.cache_read_input_tokens) + num(u.cache_creation_input_tokens);
  }
  if (typeof u.output_tokens === 'number') out[A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = u.output_tokens;
  if (typeof u.cache_read_input_tokens === 'number')
    out[A.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = u.cache_read_input_tokens;
  if (typeof u.cache_creation_input_tokens === 'number') {
    out[A.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = u.cache_creation_input_tokens;
  }
  return out;
}

/** The telemetry of one API call. Methods never throw. */
export class CallTrace {
  /** The logical span, the parent of attempt and wait spans. */
  readonly logical: Span | undefined;
  /** Whether the gateway started (and so ends) the logical span. */
  readonly owned: boolean;
  /** Whether the logical span records: when it does not, every other span step is skipped. */
  readonly recording: boolean;
  private readonly parent: Context;
  private readonly server: Attributes;
  private ended = false;

  constructor(
    private readonly info: CallInfo,
    private readonly source: TelemetrySource,
  ) {
    this.server = serverAttributes(info.url);
    this.owned = !info.sdkSpan;
    this.logical =
      info.sdkSpan ??
      guard('starting the call span', () =>
        source.tracer().startSpan(`${info.operation} ${info.model ?? info.route}`, {
          kind: SpanKind.CLIENT,
          attributes: this.requestAttributes(),
          ...(info.startTime !== undefined ? { startTime: info.startTime } : {}),
        }),
      );
    this.recording =
      (this.logical && guard('reading isRecording', () => this.logical!.isRecording())) ?? false;
    const active = otelContext.active();
    this.parent = this.logical && this.recording ? trace.setSpan(active, this.logical) : active;
    if (info.captureContent && this.recording)
      guard('recording the input', () => this.recordInput(this.logical!));
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
    if (body.messages !== undefined)
      span.setAttribute(A.ATTR_GEN_AI_INPUT_MESSAGES, JSON.stringify(body.messages));
    if (body.system !== undefined)
      span.setAttribute(A.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, JSON.stringify(body.system));
  }

  /** A `claude_gateway.queue` span covering a wait for a slot, the hold and pacing. */
  queued(startedAt: number, endedAt: number, limit: number, depth: number): void {
    if (!this.recording || endedAt - startedAt < 1) return;
    guard('recording a queue span', () => {
      const span = this.source.tracer().startSpan(
        A.SPAN_QUEUE,
        {
          kind: SpanKind.INTERNAL,
          startTime: startedAt,
          attributes: { [A.ATTR_GATEWAY_CONCURRENCY_LIMIT]: limit, [A.ATTR_GATEWAY_QUEUE_DEPTH]: depth },
        },
        this.parent,
      );
      span.end(endedAt);
    });
  }

  /** Starts a `claude_gateway.backoff` span; the returned function ends it. */
  backoff(delayMs: number, source: string, reason: string): () => void {
    if (!this.recording) return () => {};
    const span = guard('starting a backoff span', () =>
      this.source.tracer().startSpan(
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
    return () => guard('ending a backoff span', () => span?.end());
  }

  /** Starts the span of attempt `retry` (0 = first). */
  attempt(retry: number): AttemptSpan {
    if (!this.recording) return new AttemptSpan(undefined, this.parent);
    const span = guard('starting an attempt span', () =>
      this.source.tracer().startSpan(
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
  summarize(summary: CallSummary): void {
    const span = this.logical;
    if (!span || !this.recording) return;
    guard('summarizing the call', () => {
      span.setAttributes({
        [A.ATTR_GATEWAY_ATTEMPTS]: summary.attempts,
        [A.ATTR_GATEWAY_RETRY_TOTAL_DELAY_MS]: summary.totalDelayMs,
        [A.ATTR_GATEWAY_QUEUE_WAIT_MS]: summary.queueWaitMs,
        [A.ATTR_GATEWAY_OUTCOME]: summary.outcome,
      });
      if (summary.firstChunkMs !== undefined)
        span.setAttribute(A.ATTR_GATEWAY_TIME_TO_FIRST_CHUNK_MS, summary.firstChunkMs);
      if (!this.owned) return;
      // The SDK sets its own span's status; the gateway's follows the same rule: an error only when
      // the call failed, never for attempts that were retried and then succeeded.
      if (summary.errorType) {
        span.setAttribute(A.ATTR_ERROR_TYPE, summary.errorType);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
    });
  }

  /** Response attributes for an owned logical span (the SDK sets them on its own). */
  response(data: UsageLike | undefined, status: number | undefined): void {
    const span = this.logical;
    if (!span || !this.owned || !this.recording) return;
    guard('recording the response', () => {
      if (status !== undefined) span.setAttribute(A.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (!data) return;
      if (typeof data.id === 'string') span.setAttribute(A.ATTR_GEN_AI_RESPONSE_ID, data.id);
      if (typeof data.model === 'string') span.setAttribute(A.ATTR_GEN_AI_RESPONSE_MODEL, data.model);
      if (typeof data.stop_reason === 'string')
        span.setAttribute(A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, [data.stop_reason]);
      span.setAttributes(usageAttributes(data));
      if (this.info.captureContent && data.content !== undefined) {
        span.setAttribute(
          A.ATTR_GEN_AI_OUTPUT_MESSAGES,
          JSON.stringify([{ role: 'assistant', content: data.content }]),
        );
      }
    });
  }

  /** Whether the gateway owns a logical span that records (and so wants the response's usage). */
  get ownsRecordingSpan(): boolean {
    return this.owned && this.recording;
  }

  /** Ends an owned logical span (the SDK ends its own); idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.owned && this.logical) guard('ending the call span', () => this.logical!.end());
  }
}
