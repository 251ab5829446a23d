/**
 * One process of `npm start -- --workers N`: its own gateway (settings, and Redis when
 * CLAUDE_GATEWAY_REDIS_URL is set, from the environment, as in an application), calling the
 * simulator its parent started. IPC with the parent (`workers.ts`): gets a {@link WorkerTask},
 * sends a {@link WorkerSample} every 100 ms and a {@link WorkerResult} at the end, then exits.
 * @module
 */
import Anthropic from '@anthropic-ai/sdk';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { BurstTally, demoParams } from './run.js';
import type { WorkerMessage, WorkerTask } from './workers.js';

const SIM_ATTEMPT_TIMEOUT_MS = 15_000;

/** This process's limiters now: in flight, queued, the limit, and who serves them. */
function limiterTotals(gateway: Gateway) {
  const t = { inFlight: 0, queued: 0, limit: 0, store: 'memory', processes: 1 };
  for (const l of gateway.limiters()) {
    t.inFlight += l.active;
    t.queued += l.queued;
    t.limit = Math.max(t.limit, l.limit);
    t.store = l.store ?? t.store;
    t.processes = Math.max(t.processes, l.processes ?? 1);
  }
  return t;
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

async function run(task: WorkerTask): Promise<void> {
  const gateway = createGateway({}, process.env);
  const client = gateway.wrap(
    new Anthropic({
      apiKey: 'sk-sim-demo',
      authToken: null,
      baseURL: task.simulatorUrl,
      timeout: SIM_ATTEMPT_TIMEOUT_MS,
    }),
  );
  const controller = new AbortController();
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'abort') controller.abort();
  });
  const t = new BurstTally();
  let peakLimit = 0;
  const started = performance.now();
  const sample = () => {
    const now = limiterTotals(gateway);
    peakLimit = Math.max(peakLimit, now.limit);
    send({ type: 'sample', done: t.done, failed: t.failed, ...now });
  };
  const sampler = setInterval(sample, 100);
  const { signal } = controller;
  await Promise.all(
    task.indices.map((i) => t.call(client, demoParams(task.model, 256, i), task.streamShare, signal, i)),
  );
  clearInterval(sampler);
  sample();
  const last = gateway.limiters()[0];
  send({
    type: 'result',
    ok: t.ok,
    failed: t.failed,
    aborted: t.aborted,
    failures: t.failures,
    streamRestarts: t.streamRestarts,
    latenciesMs: t.latenciesMs,
    makespanMs: performance.now() - started,
    peakLimit,
    store: last?.store ?? 'memory',
    processes: last?.processes ?? 1,
  });
  await gateway.close();
}

process.once('message', (task: WorkerTask) => {
  run(task).then(
    () => process.disconnect?.(),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
      process.disconnect?.();
    },
  );
});
process.on('disconnect', () => process.exit());
