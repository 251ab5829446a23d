/**
 * Where the gateway's tracer and meter come from: the providers an
 * `AnthropicGatewayInstrumentation` was given (`setTracerProvider`, `setMeterProvider`), or else the
 * global ones. Both are looked up when used, never at import, so a provider registered after this
 * library was loaded still applies.
 */
import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { VERSION } from '../version.js';
import { SCOPE_NAME } from './semconv.js';

export interface TelemetrySource {
  tracer(): Tracer;
  meter(): Meter;
}

/**
 * `make(provider)` once per provider: a lookup per span or record would cost more than it. The
 * global tracer provider is a proxy whose tracers follow the provider registered behind it; a new
 * proxy (or a new global meter provider) replaces it when one is registered after a reset.
 */
function perProvider<P, T>(current: () => P, make: (provider: P) => T): () => T {
  let last: P | undefined;
  let made: T | undefined;
  return () => {
    const provider = current();
    if (provider !== last || made === undefined) {
      last = provider;
      made = make(provider);
    }
    return made;
  };
}

/** The global tracer and meter providers. */
export const GLOBAL_TELEMETRY: TelemetrySource = {
  tracer: perProvider(
    () => trace.getTracerProvider(),
    (provider) => provider.getTracer(SCOPE_NAME, VERSION),
  ),
  meter: perProvider(
    () => metrics.getMeterProvider(),
    (provider) => provider.getMeter(SCOPE_NAME, VERSION),
  ),
};
