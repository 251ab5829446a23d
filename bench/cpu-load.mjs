// What bench/overhead.mjs and bench/profile.mjs measure CPU against: a TracerProvider with an
// in-memory exporter (registered with the AsyncLocalStorage context manager and the W3C propagator
// when tracing is on, so the SDK's own call spans are there too), a fault-free simulator in a child
// process with no limits and no latency (only the client's own work is left), and K calls kept
// `inFlight` at a time.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BatchSpanProcessor, InMemorySpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import Anthropic from '@anthropic-ai/sdk';
import { createGateway } from './.dist/index.js';
import { spawnSimulator } from './sim-process.mjs';
import { defaultsEnv } from './strategies.mjs';

/** The tracer provider and its exporter; registered globally when `tracing`. */
export function tracingSetup(tracing) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] });
  if (tracing) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  }
  return { exporter, provider };
}

/** A simulator that admits everything at once. */
export function spawnUnlimitedSimulator() {
  return spawnSimulator({
    seed: 1,
    requestsPerMinute: 1_000_000_000,
    burst: 1_000_000,
    latency: { ttftMs: 0, msPerToken: 0 },
  });
}

/** Two clients of the simulator at `url` for the profilers: the bare SDK, and one `wrapped` by a
 * `gateway` at its defaults; neither retries on its own. */
export function profiledClients(url) {
  const bare = new Anthropic({ apiKey: 'sk-bench', baseURL: url, maxRetries: 0 });
  const gateway = createGateway({}, defaultsEnv());
  const wrapped = gateway.wrap(new Anthropic({ apiKey: 'sk-bench', baseURL: url, maxRetries: 0 }));
  return { bare, gateway, wrapped };
}

/** Makes `k` calls of `params` through `client`, `inFlight` at a time. */
export async function callsInFlight(client, params, k, inFlight) {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < k) {
        next++;
        await client.messages.create(params);
      }
    }),
  );
}
