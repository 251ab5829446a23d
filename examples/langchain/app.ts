/**
 * A LangChain app that knows nothing of the gateway. Run it under the gateway with no code change:
 *
 *   node --import claude-otel-gateway/register examples/langchain/app.ts
 *
 * `register` adopts the client `@langchain/anthropic` builds from its own copy of the SDK (0.122,
 * installed beside yours). The one setting that matters is LangChain's: `maxRetries: 0` turns its
 * own retry layer off (6 retries by default, each a fresh call, on top of the client's), so the
 * gateway's retries are the only ones.
 */
import { ChatAnthropic } from '@langchain/anthropic';

const model = new ChatAnthropic({
  model: 'claude-sonnet-4-5',
  maxTokens: 64,
  maxRetries: 0, // LangChain's own retries off: the gateway retries
  // The API key and base URL come from ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL.
});

// A burst of calls, all at once: the gateway queues them and ramps up.
const calls = Number(process.env.CALLS ?? 100);
const results = await Promise.allSettled(
  Array.from({ length: calls }, (_, i) => model.invoke(`Say hello to caller ${i}`)),
);
const failed = results.filter((r) => r.status === 'rejected');
console.log(
  JSON.stringify({ example: 'langchain/app', calls, ok: calls - failed.length, failed: failed.length }),
);
