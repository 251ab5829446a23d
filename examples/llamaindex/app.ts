/**
 * A LlamaIndex app that knows nothing of the gateway. Run it under the gateway with no code change:
 *
 *   node --import claude-otel-gateway/register examples/llamaindex/app.ts
 *
 * `@llamaindex/anthropic` builds its client from its own copy of the SDK (0.58, which has no
 * middleware option: the gateway becomes that client's `fetch`). LlamaIndex has no retry layer of
 * its own; its `maxRetries` (10 by default) is the client's, and becomes the gateway's retry count.
 */
import { Anthropic } from '@llamaindex/anthropic';

const llm = new Anthropic({ model: 'claude-sonnet-4-5', maxTokens: 64, maxRetries: 3 });

// A burst of calls, all at once: the gateway queues them and ramps up.
const calls = Number(process.env.CALLS ?? 100);
const results = await Promise.allSettled(
  Array.from({ length: calls }, (_, i) =>
    llm.chat({ messages: [{ role: 'user', content: `Say hello to caller ${i}` }] }),
  ),
);
const failed = results.filter((r) => r.status === 'rejected');
console.log(
  JSON.stringify({ example: 'llamaindex/app', calls, ok: calls - failed.length, failed: failed.length }),
);
