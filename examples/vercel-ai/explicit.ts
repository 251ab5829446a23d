/**
 * The Vercel AI SDK with the gateway: `@ai-sdk/anthropic` never uses `@anthropic-ai/sdk` (so
 * `register` cannot see it); it calls `fetch`, and takes one. `createGatewayFetch()` is that fetch,
 * with the same table, waits, limits and spans, sharing limiters with `withGateway()` clients.
 *
 *   node examples/vercel-ai/explicit.ts
 *
 * `maxRetries: 0` on `generateText` / `streamText` turns the AI SDK's own retries off (2 by
 * default, which ignore the API's `x-should-retry`). Give `maxOutputTokens`: without it the AI SDK
 * asks for the model's maximum, which the gateway counts against your output-token budget.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { generateText } from 'ai';
import { createGatewayFetch } from 'claude-otel-gateway';

const otel = new NodeSDK({ serviceName: 'vercel-ai-example' });
otel.start();

const anthropic = createAnthropic({
  fetch: createGatewayFetch(),
  // ANTHROPIC_API_KEY; the base URL includes /v1 (ANTHROPIC_BASE_URL, else https://api.anthropic.com/v1).
  baseURL: process.env.ANTHROPIC_BASE_URL,
});

const calls = Number(process.env.CALLS ?? 100);
const results = await Promise.allSettled(
  Array.from({ length: calls }, (_, i) =>
    generateText({
      model: anthropic('claude-sonnet-4-5'),
      prompt: `Say hello to caller ${i}`,
      maxOutputTokens: 64,
      maxRetries: 0, // the AI SDK's own retries off: the gateway retries
    }),
  ),
);
const failed = results.filter((r) => r.status === 'rejected');
console.log(
  JSON.stringify({ example: 'vercel-ai/explicit', calls, ok: calls - failed.length, failed: failed.length }),
);
await otel.shutdown();
