/** With an HTTP client instrumentation active (undici, which traces global fetch), each attempt
 * still has exactly one span: the gateway's. */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { describe, expect, it } from 'vitest';
import { gatewayClient, PARAMS, sim, tracing, until } from '../helpers.js';

const { spans } = tracing();
registerInstrumentations({ instrumentations: [new UndiciInstrumentation()] });

describe('HTTP client instrumentation active', () => {
  it('traces a plain fetch (the control), but adds no second span to a gateway attempt', async () => {
    const s = await sim();
    await fetch(`${s.url}/v1/models`, { headers: { 'x-api-key': 'sk-control' } });
    await until(() => spans().length === 1);
    expect(spans()[0]!.name).toBe('GET'); // undici's span: the instrumentation works

    s.enqueue({ kind: 'error', status: 529 });
    const { client } = gatewayClient(s);
    await client.messages.create(PARAMS);
    await until(() => spans().some((x) => x.name === 'anthropic.messages.create'));
    const names = spans()
      .map((x) => x.name)
      .sort();
    expect(names.filter((n) => n === 'POST /v1/messages')).toHaveLength(2);
    expect(names.filter((n) => n === 'POST')).toHaveLength(0);
  });
});
