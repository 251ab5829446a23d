/**
 * A Google Cloud Vertex AI app (`@anthropic-ai/vertex-sdk`) that knows nothing of the gateway. Run
 * it under the gateway with no code change:
 *
 *   node --import claude-otel-gateway/register examples/vertex/app.ts
 *
 * The Vertex SDK loads only `@anthropic-ai/sdk/client`, which `register` patches too. Its requests
 * get their Google token after the gateway sees them, so the gateway keys its limiters by the
 * client's project and region (and its service account, when the auth client names one).
 */
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';

// Region from CLOUD_ML_REGION, project from ANTHROPIC_VERTEX_PROJECT_ID, credentials from Google's
// Application Default Credentials.
const client = new AnthropicVertex();

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
  JSON.stringify({ example: 'vertex/app', calls, ok: calls - failed.length, failed: failed.length }),
);
