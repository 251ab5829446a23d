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

/** Attribute names by header name: a handful, seen on every response. */
const ratelimitKeys = new Map<string, readonly [string, boolean]>();

/** `requests-remaining` → [`anthropic.ratelimit.requests.remaining`, numeric]. */
function ratelimitAttribute(name: string): readonly [string, boolean] {
  let known = ratelimitKeys.get(name);
  if (!known) {
    const cut = name.lastIndexOf('-');
    const field = name.slice(cut + 1);
    known = [
      `${A.ATTR_ANTHROPIC_RATELIMIT_PREFIX}.${name.slice(0, cut).replace('-', '_')}.${field}`,
      field !== 'reset',
    ];
    if (ratelimitKeys.size < 64) ratelimitKeys.set(name, known);
  }
  return known;
}

/** Writes trace headers straight into a request's `Headers`. */
const HEADERS_SETTER = { set: (headers: Headers, key: string, value: string) => headers.set(key, value) };

export class AttemptSpan {
  /** The context to send the attempt in: this span active, HTTP instrumentations suppressed so no
   * second span is made for the same request. */
  readonly context: Context;
  /** This span active, not suppressed: what the propagator writes into the request (a propagator
   * writes nothing from a suppressed context). */
  private readonly traced: Context;
  private ended = false;

  constructor(
    private readonly span: Span | undefined,
    parent: Context,
  ) {
    this.traced = span ? trace.setSpan(parent, span) : parent;
    const ctx = this.traced;
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
    guard('injecting trace headers', () => propagation.inject(this.traced, headers, HEADERS_SETTER));
  }

  /** Records which shared store admitted the attempt and how long its transactions took (not
   * recorded for this process's memory, the default: nothing to say). */
  store(served: string, waitedMs: number): void {
    const span = this.span;
    if (!span || served === 'memory') return;
    guard('recording the store', () => {
      span.setAttribute(A.ATTR_GATEWAY_STORE, served);
      span.setAttribute(A.ATTR_GATEWAY_STORE_WAIT_MS, Math.round(waitedMs * 10) / 10);
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
        const [key, numeric] = ratelimitAttribute(name);
        span.setAttribute(key, numeric ? Number(value) : value);
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
