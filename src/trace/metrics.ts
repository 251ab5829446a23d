/**
 * The gateway's metrics, through the OpenTelemetry metrics API. Instruments are built from the
 * source's meter when first used and again whenever that meter changes (a provider registered or
 * set on the instrumentation later), and whether metrics are on is read from the instruments
 * themselves: the API's no-op meter hands out one shared no-op instrument.
 */
import {
  createNoopMeter,
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
} from '@opentelemetry/api';
import type { LimiterSnapshot } from '../admit/admission.js';
import { guard } from './guard.js';
import type { TelemetrySource } from './providers.js';
import * as A from './semconv.js';

interface Instruments {
  readonly meter: Meter;
  readonly operationDuration: Histogram;
  readonly tokenUsage: Histogram;
  readonly httpDuration: Histogram;
  readonly retries: Counter;
  readonly observe: Parameters<Meter['addBatchObservableCallback']>[0];
  readonly gauges: Parameters<Meter['addBatchObservableCallback']>[1];
}

const NOOP_HISTOGRAM = createNoopMeter().createHistogram('noop');

/** The metrics of one gateway: its calls' histograms and counters, and gauges over its limiters. */
export class GatewayMetrics {
  private current: Instruments | undefined;

  constructor(
    private readonly source: TelemetrySource,
    private readonly snapshots: () => Iterable<LimiterSnapshot>,
  ) {}

  /** The instruments of the source's current meter, or undefined when that meter is a no-op. */
  private instruments(): Instruments | undefined {
    const meter = guard('reading the meter', () => this.source.meter());
    if (!meter) return undefined;
    if (this.current?.meter === meter)
      return this.current.operationDuration === NOOP_HISTOGRAM ? undefined : this.current;
    this.close();
    const made = guard('creating instruments', () => this.build(meter));
    this.current = made;
    return made && made.operationDuration !== NOOP_HISTOGRAM ? made : undefined;
  }

  /** Whether a call should do the work of recording metrics. */
  get enabled(): boolean {
    return this.instruments() !== undefined;
  }

  private build(meter: Meter): Instruments {
    const operationDuration = meter.createHistogram(A.METRIC_GEN_AI_OPERATION_DURATION, {
      unit: 's',
      description: 'GenAI operation duration, all attempts and waits included.',
      advice: { explicitBucketBoundaries: A.DURATION_BUCKETS_S },
    });
    const tokenUsage = meter.createHistogram(A.METRIC_GEN_AI_TOKEN_USAGE, {
      unit: '{token}',
      description: 'Input and output tokens used.',
      advice: { explicitBucketBoundaries: A.TOKEN_BUCKETS },
    });
    const httpDuration = meter.createHistogram(A.METRIC_HTTP_CLIENT_REQUEST_DURATION, {
      unit: 's',
      description: 'Duration of each HTTP attempt.',
      advice: { explicitBucketBoundaries: A.HTTP_DURATION_BUCKETS_S },
    });
    const retries = meter.createCounter(A.METRIC_GATEWAY_RETRIES, {
      unit: '{retry}',
      description: 'Retries, by reason.',
    });
    const limit = meter.createObservableGauge(A.METRIC_GATEWAY_CONCURRENCY_LIMIT, {
      unit: '{request}',
      description: 'Current concurrency limit per model.',
    });
    const depth = meter.createObservableGauge(A.METRIC_GATEWAY_QUEUE_DEPTH, {
      unit: '{request}',
      description: 'Calls waiting for a slot per model.',
    });
    const remaining = meter.createObservableGauge(A.METRIC_GATEWAY_RATELIMIT_REMAINING, {
      description: 'Last-seen remaining rate-limit budget per model and bucket.',
    });
    const observe: Instruments['observe'] = (result) => {
      for (const s of this.snapshots()) {
        const attrs = { [A.ATTR_GATEWAY_MODEL_GROUP]: s.group };
        result.observe(limit, s.limit, attrs);
        result.observe(depth, s.queued, attrs);
        for (const [bucket, value] of Object.entries(s.remaining)) {
          result.observe(remaining, value, { ...attrs, [A.ATTR_GATEWAY_BUCKET]: bucket });
        }
      }
    };
    const gauges = [limit, depth, remaining];
    meter.addBatchObservableCallback(observe, gauges);
    return { meter, operationDuration, tokenUsage, httpDuration, retries, observe, gauges };
  }

  attemptDuration(seconds: number, attrs: Attributes): void {
    guard('recording an attempt duration', () => this.instruments()?.httpDuration.record(seconds, attrs));
  }

  retry(reason: string, model: string | undefined): void {
    guard('counting a retry', () =>
      this.instruments()?.retries.add(1, {
        [A.ATTR_GATEWAY_RETRY_REASON]: reason,
        ...(model ? { [A.ATTR_GEN_AI_REQUEST_MODEL]: model } : {}),
      }),
    );
  }

  operation(seconds: number, attrs: Attributes, usage: Attributes): void {
    guard('recording an operation', () => {
      const inst = this.instruments();
      if (!inst) return;
      inst.operationDuration.record(seconds, attrs);
      const input = usage[A.ATTR_GEN_AI_USAGE_INPUT_TOKENS];
      const output = usage[A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS];
      if (typeof input === 'number')
        inst.tokenUsage.record(input, { ...attrs, [A.ATTR_GEN_AI_TOKEN_TYPE]: 'input' });
      if (typeof output === 'number')
        inst.tokenUsage.record(output, { ...attrs, [A.ATTR_GEN_AI_TOKEN_TYPE]: 'output' });
    });
  }

  /** Stops reporting this gateway's gauges. */
  close(): void {
    const made = this.current;
    this.current = undefined;
    if (made)
      guard('removing the gauges callback', () =>
        made.meter.removeBatchObservableCallback(made.observe, made.gauges),
      );
  }
}
