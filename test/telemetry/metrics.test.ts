/** Metrics through the OpenTelemetry metrics API, read with a real SDK MeterProvider. */
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { gatewayClient, PARAMS, sim } from '../helpers.js';

class TestReader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

async function collect(reader: TestReader): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect();
  const out = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics)
    for (const m of scope.metrics) out.set(m.descriptor.name, m);
  return out;
}

describe('metrics', () => {
  it('records operation duration, token usage, per-attempt durations, retries by reason and the limiter gauges', async () => {
    // Registered after the library was imported: instruments must still reach it.
    const reader = new TestReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    const s = await sim();
    s.enqueue(
      { kind: 'error', status: 429, retryAfterMs: 20, retryAfterSec: 1 },
      { kind: 'error', status: 529 },
    );
    const { client } = gatewayClient(s, { concurrencyInitial: 3 });
    await client.messages.create(PARAMS);
    await new Promise((r) => setTimeout(r, 20)); // usage is read from a clone of the body
    const m = await collect(reader);

    const op = m.get('gen_ai.client.operation.duration')!;
    expect(op.descriptor.unit).toBe('s');
    expect(op.dataPoints[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': PARAMS.model,
    });
    const usage = m.get('gen_ai.client.token.usage')!;
    expect(usage.dataPoints.map((d) => d.attributes['gen_ai.token.type']).sort()).toEqual([
      'input',
      'output',
    ]);
    const http = m.get('http.client.request.duration')!;
    expect(http.dataPoints.map((d) => d.attributes['http.response.status_code']).sort()).toEqual([
      200, 429, 529,
    ]);
    const retries = m.get('claude_gateway.retries')!;
    expect(
      retries.dataPoints.map((d) => [d.attributes['claude_gateway.retry.reason'], d.value]).sort(),
    ).toEqual([
      ['overloaded', 1],
      ['rate_limit', 1],
    ]);
    const limit = m.get('claude_gateway.concurrency.limit')!;
    expect(
      limit.dataPoints.find((d) => d.attributes['claude_gateway.model_group'] === 'sonnet')!.value,
    ).toBeLessThan(3);
    expect(m.get('claude_gateway.queue.depth')).toBeDefined();
    const remaining = m.get('claude_gateway.ratelimit.remaining')!;
    expect(
      remaining.dataPoints.some((d) => d.attributes['claude_gateway.ratelimit.bucket'] === 'requests'),
    ).toBe(true);
  });
});
