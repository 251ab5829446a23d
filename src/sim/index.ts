/**
 * A local Claude API simulator: `POST /v1/messages` (JSON and SSE), `POST /v1/messages/count_tokens`
 * and `GET /v1/models`, with the API's error shapes and headers, token-bucket rate limits, an
 * acceleration limit, spend limits, overloads, faults and a latency model, all seeded and
 * scriptable. Point the real `@anthropic-ai/sdk` at it with `baseURL: sim.url`.
 *
 * ```ts
 * import Anthropic from '@anthropic-ai/sdk';
 * import { startSimulator } from 'claude-otel-gateway/sim';
 *
 * const sim = await startSimulator({ requestsPerMinute: 600, burst: 5 });
 * const client = new Anthropic({ apiKey: 'sk-sim', baseURL: sim.url });
 * await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] });
 * console.log(sim.stats());
 * await sim.close();
 * ```
 * @module
 */
import '../node-version.js'; // oxlint-disable-line import/no-unassigned-import -- first: fails at once on Node.js < 22.15
import { listen, shutdown } from './server.js';
import { SimState } from './state.js';
import type { RuntimeOptions, ScriptedOutcome, Simulator, SimulatorOptions } from './types.js';

export type * from './types.js';
export { scenarios, scenarioNames } from './scenarios.js';
export { DEFAULT_MODELS, DEFAULT_ORGANIZATION_ID, SimulatorOptionsError } from './options.js';
export { rampAdmissionBound } from './acceleration.js';
export { inflightMakespanBound } from './inflight.js';
export { rateMakespanBound } from './rate.js';
export { idealSchedule, type IdealSchedule, type IdealWorkload } from './bounds.js';

/**
 * Starts a simulator on 127.0.0.1 (port 0, the default, picks a free one).
 * @throws {SimulatorOptionsError} for an invalid option, naming it and the accepted values.
 */
export async function startSimulator(options?: SimulatorOptions): Promise<Simulator> {
  const state = new SimState(options);
  const { server, port } = await listen(state, state.config.port);
  state.bound(port);
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => (closed ??= shutdown(state, server)),
    stats: () => state.stats.snapshot(state.limits.stats()),
    reset: () => state.reset(),
    update: (patch: RuntimeOptions) => state.update(patch),
    enqueue: (...outcomes: ScriptedOutcome[]) => state.script.enqueue(outcomes),
    config: () => state.config,
  };
}
export { createFetchAudit, type FetchAudit } from './audit.js';
