/**
 * Metrics through the OpenTelemetry metrics API. Instruments are created from the global meter
 * provider when first used and again whenever the application registers a different provider, so
 * a provider registered after this library was imported still receives everything.
 */
import { metrics, type Attributes, type Counter, type Histogram, type MeterProvider } from '@opentelemetry/api';
import type { LimiterSnapshot } from './limiter.js';
import * as A from './semconv.js';
import { guard } from './spans.js';
import { VERSION } from './version.js';

interface Instruments {
  readonly provider: MeterProvider;
  readonly operationDuration: Histogram;
  readonly tokenUsage: Histogram;
  readonly httpDuration: Histogram;
  readonly retries: Counter;
}

/** Where the observable gauges read from: every limiter of every gateway alive. */
export type SnapshotSource = () => Iterable<LimiterSnapshot>;
const sources = new Set<SnapshotSource>();

let current: Instruments | undefined;

function instruments(): Instruments | undefined {
  const provider = metrics.getMeterProvider();
  if (current?.provider === provider) return current;
  return guard(() => {
    const meter = provider.getMeter(A.SCOPE_NAME, VERSION);
    const made: Instruments = {
      provider,
      operationDuration: meter.createHistogram(A.METRIC_GEN_AI_OPERATION_DURATION, {
        unit: 's',
        description: 'GenAI operation duration, all attempts and waits included.',
        advice: { explicitBucketBoundaries: A.DURATION_BUCKETS_S },
      }),
      tokenUsage: meter.createHistogram(A.METRIC_GEN_AI_TOKEN_USAGE, {
        unit: '{token}',
        description: 'Input and output tokens used.',
        advice: { explicitBucketBoundaries: A.TOKEN_BUCKETS },
      }),
      httpDuration: meter.createHistogram(A.METRIC_HTTP_CLIENT_REQUEST_DURATION, {
        unit: 's',
        description: 'Duration of each HTTP attempt.',
        advice: { explicitBucketBoundaries: A.HTTP_DURATION_BUCKETS_S },
      }),
      retries: meter.createCounter(A.METRIC_GATEWAY_RETRIES, { unit: '{retry}', description: 'Retries, by reason.' }),
    };
    const limit = meter.createObservableGauge(A.METRIC_GATEWAY_CONCURRENCY_LIMIT, { unit: '{request}', description: 'Current concurrency limit per model.' });
    const depth = meter.createObservableGauge(A.METRIC_GATEWAY_QUEUE_DEPTH, { unit: '{request}', description: 'Calls waiting for a slot per model.' });
    const remaining = meter.createObservableGauge(A.METRIC_GATEWAY_RATELIMIT_REMAINING, { description: 'Last-seen remaining rate-limit budget per model and bucket.' });
    meter.addBatchObservableCallback(
      (result) => {
        for (const source of sources) {
          for (const s of source()) {
            const attrs = { [A.ATTR_GEN_AI_REQUEST_MODEL]: s.model };
            result.observe(limit, s.limit, attrs);
            result.observe(depth, s.queued, attrs);
            for (const [bucket, value] of Object.entries(s.remaining)) {
              result.observe(remaining, value, { ...attrs, [A.ATTR_GATEWAY_BUCKET]: bucket });
            }
          }
        }
      },
      [limit, depth, remaining],
    );
    current = made;
    return made;
  });
}

/** Whether an application meter provider is registered (the API's default is a no-op one). */
export function metricsEnabled(): boolean {
  return guard(() => metrics.getMeterProvider().constructor.name !== 'NoopMeterProvider') ?? false;
}

/** Registers a gateway's limiters for the gauges; returns the unregister function. */
export function addSnapshotSource(source: SnapshotSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

export function recordAttemptDuration(seconds: number, attrs: Attributes): void {
  guard(() => instruments()?.httpDuration.record(seconds, attrs));
}

export function recordRetry(reason: string, model: string | undefined): void {
  guard(() => instruments()?.retries.add(1, { [A.ATTR_GATEWAY_RETRY_REASON]: reason, ...(model ? { [A.ATTR_GEN_AI_REQUEST_MODEL]: model } : {}) }));
}

export function recordOperation(seconds: number, attrs: Attributes, usage: Attributes): void {
  guard(() => {
    const inst = instruments();
    if (!inst) return;
    inst.operationDuration.record(seconds, attrs);
    const input = usage[A.ATTR_GEN_AI_USAGE_INPUT_TOKENS];
    const output = usage[A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS];
    if (typeof input === 'number') inst.tokenUsage.record(input, { ...attrs, [A.ATTR_GEN_AI_TOKEN_TYPE]: 'input' });
    if (typeof output === 'number') inst.tokenUsage.record(output, { ...attrs, [A.ATTR_GEN_AI_TOKEN_TYPE]: 'output' });
  });
}
