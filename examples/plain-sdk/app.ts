/**
 * A plain `@anthropic-ai/sdk` app that knows nothing of the gateway. Run it under the gateway with
 * no code change, and every client it constructs is retried, ramped and traced:
 *
 *   node --import claude-otel-gateway/register examples/plain-sdk/app.ts
 *
 * `register` starts the OpenTelemetry NodeSDK from the `OTEL_*` environment (OTLP to
 * localhost:4318 by default). The client's `maxRetries` (the SDK's default, 2, here) becomes the
 * gateway's retry count for its calls; the SDK itself no longer retries.
 */
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic(); // ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL

// A burst of calls, all at once: the gateway queues them and ramps up.
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
  JSON.stringify({ example: 'plain-sdk/app', calls, ok: calls - failed.length, failed: failed.length }),
);
