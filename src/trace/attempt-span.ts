/** The CLIENT span of one HTTP attempt: status, request id and rate-limit headers, how it failed and
 * how the gateway answered. Methods never throw. */
import {
  context as otelContext,
  propagation,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { readHeaders } from '../attempt/rate-limit-headers.js';
import { guard } from './guard.js';
import * as A from './semconv.js';

/** How the gateway answered a failed attempt: a wait before the next one, or why there is none. */
export type RetryAnswer = { readonly delayMs: number; readonly source: string } | { readonly giveUp: string };

export class AttemptSpan {
  /** The context to send the attempt in: this span active, HTTP instrumentations suppressed so no
   * second span is made for the same request. */
  readonly context: Context;
  private ended = false;

  constructor(
    private readonly span: Span | undefined,
    parent: Context,
  ) {
    const ctx = span ? trace.setSpan(parent, span) : parent;
    this.context =
      span ? (guard('suppressing HTTP instrumentation', () => suppressTracing(ctx)) ?? ctx) : ctx;
  }

  /** Runs the attempt's request in {@link context}; directly when there is no span. */
  run<T>(send: () => T): T {
    return this.span ? otelContext.with(this.context, send) : send();
  }

  /** Writes this attempt's trace context into `headers`, so the server sees the attempt span. */
  inject(headers: Headers): void {
    if (!this.span) return;
    guard('injecting trace headers', () => {
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(otelContext.active(), this.span!), carrier);
      for (const [k, v] of Object.entries(carrier)) headers.set(k, v);
    });
  }

  /** Records the response's status, request id and rate-limit headers. */
  response(response: Response): void {
    const span = this.span;
    if (!span) return;
    guard('recording a response', () => {
      if (!span.isRecording()) return;
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
  failed(errorType: string, reason: string, answer?: RetryAnswer): void {
    const span = this.span;
    if (!span) return;
    guard('recording a failed attempt', () => {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute(A.ATTR_ERROR_TYPE, errorType);
      span.setAttribute(A.ATTR_GATEWAY_RETRY_REASON, reason);
      if (answer && 'delayMs' in answer) {
        span.setAttribute(A.ATTR_GATEWAY_RETRY_DELAY_MS, answer.delayMs);
        span.setAttribute(A.ATTR_GATEWAY_RETRY_DELAY_SOURCE, answer.source);
      } else if (answer) {
        span.setAttribute(A.ATTR_GATEWAY_GIVE_UP, answer.giveUp);
      }
    });
  }

  set(attrs: Attributes): void {
    if (this.span) guard('setting attempt attributes', () => this.span!.setAttributes(attrs));
  }

  /** Ends the span; idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.span) guard('ending an attempt span', () => this.span!.end());
  }
}
