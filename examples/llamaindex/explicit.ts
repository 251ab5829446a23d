/**
 * LlamaIndex with the gateway, the explicit way: wrap the client its session holds. The session's
 * client is LlamaIndex's own copy of the SDK (0.58, no middleware option), so the gateway becomes
 * its `fetch`; the SDK's 60 s timeout then applies to each attempt, not to the time a call waits in
 * the gateway's queue.
 *
 *   node examples/llamaindex/explicit.ts
 *
 * LlamaIndex has no retry layer of its own: its `maxRetries` (10 by default) is the client's, and
 * becomes the gateway's retry count for these calls.
 */
import { Anthropic } from '@llamaindex/anthropic';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { withGateway } from 'claude-otel-gateway';

const otel = new NodeSDK({ serviceName: 'llamaindex-example' });
otel.start();

const llm = new Anthropic({ model: 'claude-sonnet-4-5', maxTokens: 64, maxRetries: 3 });
llm.session.anthropic = withGateway(llm.session.anthropic);

const calls = Number(process.env.CALLS ?? 100);
const results = await Promise.allSettled(
  Array.from({ length: calls }, (_, i) =>
    llm.chat({ messages: [{ role: 'user', content: `Say hello to caller ${i}` }] }),
  ),
);
const failed = results.filter((r) => r.status === 'rejected');
console.log(
  JSON.stringify({ example: 'llamaindex/explicit', calls, ok: calls - failed.length, failed: failed.length }),
);
await otel.shutdown();
