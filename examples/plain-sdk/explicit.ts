/**
 * A plain `@anthropic-ai/sdk` app with the gateway, the explicit way: `withGateway()` returns the
 * same client, its calls retried by the gateway's table, ramped per key and model, and traced.
 *
 *   node examples/plain-sdk/explicit.ts
 *
 * Tracing is the application's usual OpenTelemetry set-up (here the NodeSDK, OTLP to
 * localhost:4318 by default); the gateway reports to whatever tracer provider is registered.
 */
import Anthropic from '@anthropic-ai/sdk';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { withGateway } from 'claude-otel-gateway';

const otel = new NodeSDK({ serviceName: 'plain-sdk-example' });
otel.start();

// `maxRetries` is the gateway's retry count for this client's calls; the SDK itself never retries.
const client = withGateway(new Anthropic({ maxRetries: 3 })); // ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL

const calls = Number(process.env.CALLS ?? 100);
const results = await Promise.allSettled(
  Array.from({ length: calls }, (_, i) =>
    client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: `Say hello to caller ${i}` }],
    }),
  ),
);
const failed = results.filter((r) => r.status === 'rejected');
console.log(
  JSON.stringify({
    example: 'plain-sdk/explicit',
    calls,
    ok: calls - failed.length,
    failed: failed.length,
    // The SDK's own typed errors, e.g. Anthropic.RateLimitError, after the gateway gave up.
    error: failed[0]?.reason?.constructor?.name,
  }),
);
await otel.shutdown();
