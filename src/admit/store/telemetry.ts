/**
 * The shared store's metrics: each operation's duration by outcome, and the fallbacks to local
 * state. Through the global meter, looked up when used (a provider registered later applies);
 * telemetry never throws into a call.
 */
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { GLOBAL_TELEMETRY } from '../../trace/providers.js';
import { guard } from '../../trace/guard.js';
import * as A from '../../trace/semconv.js';

export type StoreOperation = 'transaction' | 'renew' | 'release' | 'ping';
export type StoreOutcome = 'ok' | 'conflict' | 'timeout' | 'error';

let instruments: { meter: Meter; duration: Histogram; fallbacks: Counter } | undefined;

function current() {
  const meter = GLOBAL_TELEMETRY.meter();
  if (instruments?.meter !== meter) {
    instruments = {
      meter,
      duration: meter.createHistogram(A.METRIC_GATEWAY_STORE_DURATION, {
        unit: 's',
        description: 'Duration of each shared-store operation (one Redis round trip).',
        advice: { explicitBucketBoundaries: A.HTTP_DURATION_BUCKETS_S },
      }),
      fallbacks: meter.createCounter(A.METRIC_GATEWAY_STORE_FALLBACKS, {
        unit: '{fallback}',
        description: 'Times the gateway fell back to local state because the shared store failed.',
      }),
    };
  }
  return instruments;
}

export function recordOperation(operation: StoreOperation, outcome: StoreOutcome, ms: number): void {
  guard('recording a store operation', () =>
    current().duration.record(ms / 1000, {
      [A.ATTR_GATEWAY_STORE]: 'redis',
      [A.ATTR_GATEWAY_STORE_OPERATION]: operation,
      [A.ATTR_GATEWAY_STORE_OUTCOME]: outcome,
    }),
  );
}

export function recordFallback(outcome: StoreOutcome): void {
  guard('counting a store fallback', () =>
    current().fallbacks.add(1, { [A.ATTR_GATEWAY_STORE]: 'redis', [A.ATTR_GATEWAY_STORE_OUTCOME]: outcome }),
  );
}
