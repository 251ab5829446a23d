/**
 * LangChain with the gateway, the explicit way: `ChatAnthropic` builds its client through
 * `createClient`, so the client is your own SDK's, wrapped. The gateway takes a client of any SDK
 * version from 0.58, so this compiles without a cast whichever copy `@anthropic-ai/sdk` resolves
 * to. LangChain hands `createClient` the options of its own SDK copy (0.122, installed beside
 * yours), whose types differ from 1.x's: pass on the ones your client needs.
 *
 *   node examples/langchain/explicit.ts
 *
 * `maxRetries: 0` on `ChatAnthropic` turns LangChain's own retry layer off (6 retries by default,
 * which ignore the API's `x-should-retry`): with it on, every call the gateway gave up on would be
 * sent again, up to 7 times as many attempts.
 */
import Anthropic from '@anthropic-ai/sdk';
import { ChatAnthropic } from '@langchain/anthropic';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { withGateway } from 'claude-otel-gateway';

const otel = new NodeSDK({ serviceName: 'langchain-example' });
otel.start();

const model = new ChatAnthropic({
  model: 'claude-sonnet-4-5',
  maxTokens: 64,
  maxRetries: 0, // LangChain's own retries off: the gateway retries
  createClient: ({ apiKey, baseURL }) => withGateway(new Anthropic({ apiKey, baseURL })),
});

const calls = Number(process.env.CALLS ?? 100);
const results = await Promise.allSettled(
  Array.from({ length: calls }, (_, i) => model.invoke(`Say hello to caller ${i}`)),
);
const failed = results.filter((r) => r.status === 'rejected');
console.log(
  JSON.stringify({ example: 'langchain/explicit', calls, ok: calls - failed.length, failed: failed.length }),
);
await otel.shutdown();
