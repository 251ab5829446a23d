/**
 * Where the gateway's tracer and meter come from: the providers an
 * `AnthropicGatewayInstrumentation` was given (`setTracerProvider`, `setMeterProvider`), or else the
 * global ones. Both are looked up when used, never at import, so a provider registered after this
 * library was loaded still applies.
 */
import {
  metrics,
  trace,
  type Meter,
  type MeterProvider,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { VERSION } from '../version.js';
import { SCOPE_NAME } from './semconv.js';

export interface TelemetrySource {
  tracer(): Tracer;
  meter(): Meter;
}

let lastProvider: MeterProvider | undefined;
let lastMeter: Meter | undefined;
let lastTracerProvider: TracerProvider | undefined;
let lastTracer: Tracer | undefined;

/** The global tracer and meter providers. */
export const GLOBAL_TELEMETRY: TelemetrySource = {
  tracer: () => {
    // Cached per provider, as the meter is: the global one is a proxy whose tracers follow the
    // provider registered behind it, and a new proxy replaces it when the API is reset.
    const provider = trace.getTracerProvider();
    if (provider !== lastTracerProvider || !lastTracer) {
      lastTracerProvider = provider;
      lastTracer = provider.getTracer(SCOPE_NAME, VERSION);
    }
    return lastTracer;
  },
  meter: () => {
    // The meter is cached per provider: a lookup per record would cost more than the record.
    const provider = metrics.getMeterProvider();
    if (provider !== lastProvider || !lastMeter) {
      lastProvider = provider;
      lastMeter = provider.getMeter(SCOPE_NAME, VERSION);
    }
    return lastMeter;
  },
};
