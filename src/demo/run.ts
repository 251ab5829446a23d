/**
 * The burst: starts the simulator (unless `--real`), wraps an SDK client with the gateway, fires
 * every call at once (the gateway queues them), and gathers what the summary needs. No call's
 * failure escapes: each is caught and counted by error class.
 * @module
 */
import Anthropic from '@anthropic-ai/sdk';
import type { GatewayConfig } from '../config.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { startSimulator, type Simulator, type SimulatorStats } from '../sim/index.js';
import type { DemoOptions } from './args.js';
import type { LiveState, Observed, SummaryData } from './progress.js';
import type { AttemptCounts } from './telemetry.js';
import { tally } from '../util/tally.js';

/** How many times the demo starts a stream again after it failed past its first content. */
export const MAX_STREAM_RESTARTS = 2;
/** Per-attempt timeout: generous for the simulator (a message takes well under a second). */
const SIM_ATTEMPT_TIMEOUT_MS = 15_000;
const REAL_ATTEMPT_TIMEOUT_MS = 60_000;

export interface RunSetup {
  readonly options: DemoOptions;
  /** The live counts of attempt spans, and whether spans are made at all. */
  readonly counts: AttemptCounts;
  readonly counting: boolean;
  /** Environment for the gateway's settings and, with `--real`, the API key. */
  readonly env: Record<string, string | undefined>;
  /** Aborts the calls still running (Ctrl+C). */
  readonly signal: AbortSignal;
  /** Called every `sampleMs` with the live state, and once at the end. */
  onSample(live: LiveState): void;
  readonly sampleMs?: number;
  /** Called once before the calls start: the gateway's settings and the simulator's URL. */
  onStart?(info: { readonly config: GatewayConfig; readonly simulatorUrl: string | undefined }): void;
}

export type RunResult = Omit<SummaryData, 'telemetry'>;

/** The error class of a failed call, with the API's error code or a mid-stream type when known. */
export function errorLabel(error: unknown): string {
  if (error instanceof Anthropic.APIError) {
    const name = error.constructor.name;
    // The code, unless the class already names it (EnforcedSpendLimitReachedError).
    const code = error.errorCode;
    if (code && !name.toLowerCase().includes(code.replace(/_/g, ''))) return `${name} ${code}`;
    if (error.status === undefined && error.type) return `${name} ${error.type} (mid-stream)`;
    return name;
  }
  return error instanceof Error ? error.name : typeof error;
}

/** Whether call `i` of the burst is a stream: spread evenly, `share` of them. */
export function isStreamCall(i: number, share: number): boolean {
  return Math.floor((i + 1) * share) > Math.floor(i * share);
}

/** How many of `calls` calls are streams. */
export function countStreams(calls: number, share: number): number {
  let n = 0;
  for (let i = 0; i < calls; i++) if (isStreamCall(i, share)) n++;
  return n;
}

function observed(
  attempts: number,
  byStatus: Record<string, number>,
  rampLimit: number | undefined,
  midStream: number,
): Observed {
  return {
    attempts,
    status429: byStatus['429'] ?? 0,
    rampLimit: rampLimit ?? 0,
    status529: byStatus['529'] ?? 0,
    midStream,
  };
}

function fromSimulator(s: SimulatorStats): Observed {
  return observed(s.attempts, s.byStatus, s.byErrorCode.ramp_limit_exceeded, s.streamErrors + s.streamCuts);
}

function fromSpans(c: AttemptCounts): Observed {
  return observed(c.attempts, c.byStatus, c.failedByReason.ramp_limit, c.midStream);
}

function limiterTotals(gateway: Gateway): { inFlight: number; queued: number; limit: number } {
  let inFlight = 0;
  let queued = 0;
  let limit = 0;
  for (const l of gateway.limiters()) {
    inFlight += l.active;
    queued += l.queued;
    limit = Math.max(limit, l.limit);
  }
  return { inFlight, queued, limit };
}

/** Runs the burst. Rejects only for set-up failures (an invalid gateway setting, a port). */
export async function runBurst(setup: RunSetup): Promise<RunResult> {
  const { options } = setup;
  if (options.workers !== undefined && options.workers > 1 && !options.real) {
    const { runWorkers } = await import('./workers.js');
    return runWorkers(setup, options.workers);
  }
  const gateway = createGateway({}, setup.env);
  const sim: Simulator | undefined =
    options.real ? undefined : await startSimulator({ scenario: options.scenario });
  try {
    setup.onStart?.({ config: gateway.config, simulatorUrl: sim?.url });
    return await burst(setup, gateway, sim);
  } finally {
    await sim?.close();
  }
}

/** The demo's client: the gateway in front of the SDK, against the simulator or the real API. */
function demoClient(setup: RunSetup, gateway: Gateway, sim: Simulator | undefined): Anthropic {
  const { options } = setup;
  return gateway.wrap(
    new Anthropic({
      apiKey: options.real ? setup.env.ANTHROPIC_API_KEY! : 'sk-sim-demo',
      authToken: null,
      ...(sim ? { baseURL: sim.url } : {}),
      timeout: sim ? SIM_ATTEMPT_TIMEOUT_MS : REAL_ATTEMPT_TIMEOUT_MS,
    }),
  );
}

type Params = Parameters<Anthropic['messages']['stream']>[0];
type CallParams = Anthropic.MessageCreateParamsNonStreaming;

/** Call `i` of a burst: one short question each. */
export function demoParams(model: string, maxTokens: number, i: number): CallParams {
  return {
    model,
    max_tokens: maxTokens,
    messages: [
      { role: 'user' as const, content: `Call ${i + 1}: in one sentence, why do API clients retry?` },
    ],
  };
}

/** A burst's calls as they settle: successes with their latency, failures by kind, aborts. */
export class BurstTally {
  readonly failures: Record<string, number> = {};
  readonly latenciesMs: number[] = [];
  ok = 0;
  failed = 0;
  aborted = 0;
  streamRestarts = 0;

  get done(): number {
    return this.ok + this.failed + this.aborted;
  }

  /** Makes call `i` (a stream for its share of the calls) and counts how it ended. */
  async call(client: Anthropic, params: CallParams, streamShare: number, signal: AbortSignal, i: number) {
    const callStarted = performance.now();
    try {
      if (isStreamCall(i, streamShare))
        await streamWithRestarts(client, params, signal, () => this.streamRestarts++);
      else await client.messages.create(params, { signal });
      this.ok++;
      this.latenciesMs.push(performance.now() - callStarted);
    } catch (error) {
      // After Ctrl+C every failure is the abort (APIUserAbortError, or AnthropicError from a stream).
      if (signal.aborted) this.aborted++;
      else {
        this.failed++;
        tally(this.failures, errorLabel(error));
      }
    }
  }
}

/**
 * Streams one message to its end. Content that already reached this consumer cannot be retried by
 * the gateway (the consumer would see it twice); the app can start the stream again, as this does.
 */
export async function streamWithRestarts(
  client: Anthropic,
  params: Params,
  signal: AbortSignal,
  onRestart: () => void,
) {
  for (let restart = 0; ; restart++) {
    const s = client.messages.stream(params, { signal });
    let sawContent = false;
    s.on('streamEvent', (event) => {
      if (event.type === 'content_block_delta') sawContent = true;
    });
    try {
      return await s.finalMessage();
    } catch (error) {
      if (!sawContent || restart >= MAX_STREAM_RESTARTS || signal.aborted) throw error;
      onRestart();
    }
  }
}

async function burst(setup: RunSetup, gateway: Gateway, sim: Simulator | undefined): Promise<RunResult> {
  const { options, signal } = setup;
  const client = demoClient(setup, gateway, sim);

  const t = new BurstTally();
  let peakLimit = 0;

  const started = performance.now();
  const live = (): LiveState => {
    const totals = limiterTotals(gateway);
    peakLimit = Math.max(peakLimit, totals.limit);
    const spans = setup.counting || !sim ? fromSpans(setup.counts) : fromSimulator(sim.stats());
    return {
      elapsedMs: performance.now() - started,
      total: options.calls,
      done: t.done,
      failed: t.failed,
      ...totals,
      retries: setup.counts.retriedByReason,
      status429: spans.status429,
      status529: spans.status529,
    };
  };
  const sampler = setInterval(() => setup.onSample(live()), setup.sampleMs ?? 100);

  const maxTokens = options.real ? 64 : 256;
  const one = (i: number) =>
    t.call(client, demoParams(options.model, maxTokens, i), options.streamShare, signal, i);
  try {
    await Promise.all(Array.from({ length: options.calls }, (_, i) => one(i)));
  } finally {
    clearInterval(sampler);
  }
  const makespanMs = performance.now() - started;
  setup.onSample(live());
  const simStats = sim?.stats();

  return {
    against: sim ? `simulator, scenario ${options.scenario}` : `the Claude API at ${client.baseURL}`,
    model: options.model,
    calls: options.calls,
    streams: countStreams(options.calls, options.streamShare),
    ok: t.ok,
    failed: t.failed,
    aborted: t.aborted,
    failures: t.failures,
    streamRestarts: t.streamRestarts,
    makespanMs,
    peakLimit,
    latenciesMs: t.latenciesMs,
    retries: { ...setup.counts.retriedByReason },
    gateway: setup.counting ? fromSpans(setup.counts) : undefined,
    simulator: simStats ? fromSimulator(simStats) : undefined,
  };
}
