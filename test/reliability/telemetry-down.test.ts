/** Telemetry never breaks the application: a span processor or exporter that throws, or a dead
 * collector, neither fails nor slows a call. */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { SimpleSpanProcessor, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { gatewayClient, PARAMS, sim } from '../helpers.js';

const boom = () => {
  throw new Error('telemetry is broken');
};
const throwingProcessor: SpanProcessor = {
  onStart: boom,
  onEnd: boom,
  forceFlush: async () => boom(),
  shutdown: async () => {},
};
const throwingExporter = { export: boom, shutdown: async () => {} };

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(
  new TracerProvider({
    spanProcessors: [throwingProcessor, new SimpleSpanProcessor({ exporter: throwingExporter as never })],
  }),
);

describe('telemetry down', () => {
  it('calls with retries, streams and failures still behave exactly as without telemetry', async () => {
    const s = await sim();
    s.enqueue(
      { kind: 'error', status: 429, retryAfterMs: 10, retryAfterSec: 1 },
      { kind: 'stream-error', afterDeltas: 0 },
    );
    const { client } = gatewayClient(s);
    expect((await client.messages.create(PARAMS)).type).toBe('message');
    const final = await client.messages.stream(PARAMS).finalMessage();
    expect(final.type).toBe('message');
    s.enqueue({ kind: 'error', status: 400 });
    await expect(client.messages.create(PARAMS)).rejects.toMatchObject({ status: 400 });
    expect(s.stats().attempts).toBe(5);
  });
});
