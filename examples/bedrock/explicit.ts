/**
 * Amazon Bedrock with the gateway, the explicit way: `withGateway()` takes an `AnthropicBedrock`
 * client like any other. The gateway keys its limiters by the client's region and credential (a
 * hash of the access key id or credential source, never the secret): two AWS accounts or regions
 * never share one, and a `retry-after` from one does not hold the other.
 *
 *   node examples/bedrock/explicit.ts
 */
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { withGateway } from 'claude-otel-gateway';

const otel = new NodeSDK({ serviceName: 'bedrock-example' });
otel.start();

// Region from AWS_REGION, credentials from the usual AWS chain (environment, profile, …).
const client = withGateway(new AnthropicBedrock({ maxRetries: 3 }));

const calls = Number(process.env.CALLS ?? 100);
const results = await Promise.allSettled(
  Array.from({ length: calls }, (_, i) =>
    client.messages.create({
      model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      max_tokens: 64,
      messages: [{ role: 'user', content: `Say hello to caller ${i}` }],
    }),
  ),
);
const failed = results.filter((r) => r.status === 'rejected');
console.log(
  JSON.stringify({ example: 'bedrock/explicit', calls, ok: calls - failed.length, failed: failed.length }),
);
await otel.shutdown();
