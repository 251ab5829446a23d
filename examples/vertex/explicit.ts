/**
 * Google Cloud Vertex AI with the gateway, the explicit way: `withGateway()` takes an
 * `AnthropicVertex` client like any other, and keys its limiters by the client's project and
 * region (and its service account, when the auth client names one).
 *
 *   node examples/vertex/explicit.ts
 */
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { withGateway } from 'claude-otel-gateway';

const otel = new NodeSDK({ serviceName: 'vertex-example' });
otel.start();

// Region from CLOUD_ML_REGION, project from ANTHROPIC_VERTEX_PROJECT_ID, credentials from Google's
// Application Default Credentials.
const client = withGateway(new AnthropicVertex({ maxRetries: 3 }));

const calls = Number(process.env.CALLS ?? 100);
const results = await Promise.allSettled(
  Array.from({ length: calls }, (_, i) =>
    client.messages.create({
      model: 'claude-sonnet-4-5@20250929',
      max_tokens: 64,
      messages: [{ role: 'user', content: `Say hello to caller ${i}` }],
    }),
  ),
);
const failed = results.filter((r) => r.status === 'rejected');
console.log(
  JSON.stringify({ example: 'vertex/explicit', calls, ok: calls - failed.length, failed: failed.length }),
);
await otel.shutdown();
