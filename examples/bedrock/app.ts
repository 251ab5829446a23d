/**
 * An Amazon Bedrock app (`@anthropic-ai/bedrock-sdk`) that knows nothing of the gateway. Run it
 * under the gateway with no code change:
 *
 *   node --import claude-otel-gateway/register examples/bedrock/app.ts
 *
 * The Bedrock SDK loads only `@anthropic-ai/sdk/client`, which `register` patches too. Its requests
 * are signed (SigV4) after the gateway sees them, so the gateway keys its limiters by the client's
 * region and credential (a hash of the access key id or credential source): two AWS accounts or
 * regions never share one.
 */
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';

// Region from AWS_REGION, credentials from the usual AWS chain (environment, profile, …).
const client = new AnthropicBedrock();

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
  JSON.stringify({ example: 'bedrock/app', calls, ok: calls - failed.length, failed: failed.length }),
);
