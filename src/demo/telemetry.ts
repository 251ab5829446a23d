/**
 * The demo's OpenTelemetry: the NodeSDK, exporting over OTLP only when a collector answers (so a
 * run without one prints one plain sentence instead of export errors), plus an in-process span
 * processor that counts the gateway's attempt spans for the live view and the summary.
 * @module
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import * as A from '../trace/semconv.js';
import { tally } from '../util/tally.js';

export const DEMO_SERVICE_NAME = 'claude-otel-gateway-demo';

type Env = Record<string, string | undefined>;
type Protocol = 'http/protobuf' | 'http/json' | 'grpc';

/** Counts of the gateway's attempt spans (`POST /v1/messages`, one per HTTP attempt). */
export interface AttemptCounts {
  /** Attempt spans ended. */
  attempts: number;
  /** By `http.response.status_code`; `none` when no response came (reset, timeout). */
  byStatus: Record<string, number>;
  /** Failed attempts by `claude_gateway.retry.reason`, retried or not. */
  failedByReason: Record<string, number>;
  /** Failed attempts the gateway retried (a delay was chosen), by reason. */
  retriedByReason: Record<string, number>;
  /** Attempts that failed after HTTP 200: an `event: error` or a cut inside the stream. */
  midStream: number;
}

export function emptyCounts(): AttemptCounts {
  return { attempts: 0, byStatus: {}, failedByReason: {}, retriedByReason: {}, midStream: 0 };
}

/** A span processor that counts attempt spans as they end, by the names in semconv. */
export class AttemptCounter implements SpanProcessor {
  readonly counts: AttemptCounts = emptyCounts();

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const attrs = span.attributes;
    // Attempt spans are the gateway's CLIENT spans that carry the HTTP method; the logical span
    // (the SDK's or the gateway's own) does not.
    if (span.instrumentationScope.name !== A.SCOPE_NAME || attrs[A.ATTR_HTTP_REQUEST_METHOD] === undefined)
      return;
    const c = this.counts;
    c.attempts++;
    const status = attrs[A.ATTR_HTTP_RESPONSE_STATUS_CODE];
    tally(c.byStatus, status === undefined ? 'none' : String(status));
    const reason = attrs[A.ATTR_GATEWAY_RETRY_REASON];
    const streamEnd = attrs[A.ATTR_GATEWAY_STREAM_END];
    // After HTTP 200: an error event before content (failed, retried) or a stream that did not
    // complete (an error or a cut after content; the SDK cancels the body when it reads the error).
    if (status === 200 && (reason !== undefined || (streamEnd !== undefined && streamEnd !== 'completed')))
      c.midStream++;
    if (typeof reason !== 'string') return;
    tally(c.failedByReason, reason);
    if (attrs[A.ATTR_GATEWAY_RETRY_DELAY_MS] !== undefined) tally(c.retriedByReason, reason);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Where the OTLP exporters send traces, from the standard variables. */
export interface OtlpTarget {
  readonly protocol: Protocol;
  /** What to tell the user: the base endpoint. */
  readonly endpoint: string;
  /** The URL the traces go to (`…/v1/traces` over HTTP). */
  readonly tracesUrl: string;
}

export function otlpTarget(env: Env): OtlpTarget {
  const raw = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim();
  const protocol: Protocol = raw === 'grpc' || raw === 'http/json' ? raw : 'http/protobuf';
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = (
    env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() ||
    (protocol === 'grpc' ? 'http://localhost:4317' : 'http://localhost:4318')
  ).replace(/\/+$/, '');
  if (specific) return { protocol, endpoint: specific, tracesUrl: specific };
  return { protocol, endpoint: base, tracesUrl: protocol === 'grpc' ? base : `${base}/v1/traces` };
}

/** What answered at the OTLP endpoint. */
export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly why: string };

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || host.startsWith('127.');
}

/**
 * Asks whether a collector answers at `target`: over HTTP, an empty export (which a collector
 * accepts with 200); over gRPC, a TCP connect. Loopback gets ~300 ms, other hosts a little more.
 */
export function probeCollector(target: OtlpTarget, timeoutMs?: number): Promise<ProbeResult> {
  let url: URL;
  try {
    url = new URL(target.tracesUrl);
  } catch {
    return Promise.resolve({ ok: false, why: `${JSON.stringify(target.tracesUrl)} is not a URL` });
  }
  const wait = timeoutMs ?? (isLoopback(url.hostname) ? 300 : 1500);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise<ProbeResult>((resolve) => {
    if (target.protocol === 'grpc') {
      const socket = connect({ host, port });
      socket.setTimeout(wait, () => socket.destroy(new Error('timeout')));
      socket.once('connect', () => {
        socket.destroy();
        resolve({ ok: true });
      });
      socket.once('error', (e) => resolve({ ok: false, why: e.message }));
      return;
    }
    if (url.protocol !== 'http:') {
      // Not probed over TLS: trust the user's explicit https endpoint.
      resolve({ ok: true });
      return;
    }
    const json = target.protocol === 'http/json';
    const req = request(url, {
      method: 'POST',
      agent: false,
      timeout: wait,
      headers: { 'content-type': json ? 'application/json' : 'application/x-protobuf', connection: 'close' },
    });
    req.once('response', (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(
        status >= 200 && status < 300 ? { ok: true } : { ok: false, why: `it answered HTTP ${status}` },
      );
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${wait} ms`)));
    req.once('error', (e) => resolve({ ok: false, why: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(json ? '{}' : '');
  });
}

async function traceExporter(protocol: Protocol): Promise<SpanExporter> {
  // Each exporter reads the OTEL_EXPORTER_OTLP_* variables itself (endpoint, headers, timeout).
  switch (protocol) {
    case 'grpc':
      return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
    case 'http/json':
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
    default:
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  }
}

export interface Telemetry {
  /** Whether spans and metrics go to a collector. */
  readonly exporting: boolean;
  readonly target: OtlpTarget;
  readonly serviceName: string;
  /** Why nothing is exported, in one plain sentence; undefined when exporting. */
  readonly notice: string | undefined;
  /** The live counts of attempt spans. */
  readonly counts: AttemptCounts;
  /** Whether spans are made (and so counted): false under OTEL_SDK_DISABLED. */
  readonly counting: boolean;
  /** Flushes and stops the SDK; never rejects, gives up after `timeoutMs`. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** The service name the user chose through the standard variables, if any. */
export function serviceNameFromEnv(env: Env): string | undefined {
  const named = env.OTEL_SERVICE_NAME?.trim();
  if (named) return named;
  const attr = /(?:^|,)\s*service\.name\s*=\s*([^,]*)/.exec(env.OTEL_RESOURCE_ATTRIBUTES ?? '')?.[1]?.trim();
  return attr || undefined;
}

/** Starts the NodeSDK for the demo. */
export async function startTelemetry(env: Env = process.env): Promise<Telemetry> {
  const target = otlpTarget(env);
  const counter = new AttemptCounter();
  const fromEnv = serviceNameFromEnv(env);
  const serviceName = fromEnv ?? DEMO_SERVICE_NAME;
  const base = { exporting: false, counting: true, target, serviceName, counts: counter.counts } as const;

  if (/^(true|1)$/i.test(env.OTEL_SDK_DISABLED?.trim() ?? '')) {
    return {
      ...base,
      counting: false,
      notice: 'OTEL_SDK_DISABLED is set: no spans are made, so retries are counted from the simulator only.',
      shutdown: async () => {},
    };
  }
  const tracesOff = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim())
    .includes('none');
  const probe: ProbeResult =
    tracesOff ? { ok: false, why: 'OTEL_TRACES_EXPORTER=none' } : await probeCollector(target);
  const processors: SpanProcessor[] = [counter];
  if (probe.ok) {
    const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace');
    processors.push(new BatchSpanProcessor({ exporter: await traceExporter(target.protocol) }));
  }
  const sdk = new NodeSDK({
    ...(fromEnv === undefined ? { serviceName: DEMO_SERVICE_NAME } : {}),
    spanProcessors: processors,
    // Metrics from the OTEL_METRICS_EXPORTER default (OTLP) only when a collector answers.
    ...(probe.ok ? {} : { metricReaders: [] }),
    // The demo writes no logs.
    logRecordProcessors: [],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  const notice =
    probe.ok ? undefined
    : tracesOff ? 'OTEL_TRACES_EXPORTER=none: traces are not exported.'
    : `No OpenTelemetry collector at ${target.endpoint} — traces are not exported. Run \`docker compose up -d\` to see them in Jaeger.` +
      (probe.why.startsWith('it answered') ?
        ` (Something else is there: ${probe.why} to an OTLP export.)`
      : '');
  return {
    ...base,
    exporting: probe.ok,
    notice,
    shutdown(timeoutMs = 10_000) {
      stopping ??= new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        sdk
          .shutdown()
          .catch(() => {})
          .finally(() => {
            clearTimeout(timer);
            resolve();
          });
      });
      return stopping;
    },
  };
}
