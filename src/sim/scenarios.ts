import type { Scenario, ScenarioName } from './types.js';

/**
 * Named presets. A scenario sets {@link RuntimeOptions}; options given explicitly to
 * `startSimulator` (or on the CLI) override it, `errorRates` and `latency` key by key.
 * Times in overload windows are relative to the simulator's start.
 */
export const scenarios: Readonly<Record<ScenarioName, Scenario>> = Object.freeze({
  none: {
    description: 'Fault-free, effectively unlimited: every valid request succeeds.',
    options: {},
  },
  burst: {
    description:
      'A tight request limit (1200 RPM, burst 20) plus an acceleration limit (1 s windows, floor 5, ×2): a sudden burst gets 429s, ramp_limit_exceeded among them.',
    options: {
      requestsPerMinute: 1200,
      burst: 20,
      acceleration: { windowMs: 1000, floor: 5, factor: 2 },
    },
  },
  overload: {
    description: 'Overloaded from 1 s to 11 s after start (90% of attempts get 529), 2% before and after.',
    options: {
      overloadRate: 0.02,
      overloadWindows: [{ startMs: 1000, endMs: 11_000, rate: 0.9 }],
    },
  },
  flaky: {
    description: 'Occasional 500s (2%), 504s (1%), connection resets (1%) and hung responses (0.2%).',
    options: {
      errorRates: { api_error: 0.02, timeout_error: 0.01, reset: 0.01, hang: 0.002 },
    },
  },
  'stream-faults': {
    description:
      'Streams fail: event: error before content (5%), after some content (5%), or the connection is cut before message_stop (3%).',
    options: {
      errorRates: { streamErrorBeforeContent: 0.05, streamErrorAfterContent: 0.05, streamCut: 0.03 },
    },
  },
  'spend-limit': {
    description: 'Every Messages request gets 429 enforced_spend_limit_reached, without retry-after.',
    options: { spendLimit: 'enforced' },
  },
  demo: {
    description:
      'For the demo (~30–60 s of modest traffic): 600 RPM with burst 10, an acceleration limit (1 s windows, floor 4, ×2), an overload window 8–12 s in (60% 529s), 1% 500s, 2% stream errors before content (retried unseen) and 3% after content, and model-like latency (150 ms TTFT, 4 ms/token, 48 tokens).',
    options: {
      requestsPerMinute: 600,
      burst: 10,
      acceleration: { windowMs: 1000, floor: 4, factor: 2 },
      overloadWindows: [{ startMs: 8000, endMs: 12_000, rate: 0.6 }],
      errorRates: { api_error: 0.01, streamErrorBeforeContent: 0.02, streamErrorAfterContent: 0.03 },
      latency: { ttftMs: 150, msPerToken: 4 },
      outputTokens: 48,
    },
  },
  'ramp-inflight': {
    description:
      'An acceleration limit on concurrency: at most 8 requests in flight from cold, the cap doubling per second while at least half used (up to 512) and halving per second when idle; model-like latency (300 ms TTFT, 10 ms/token, 20–200 output tokens).',
    options: {
      acceleration: { kind: 'inflight', initial: 8, max: 512 },
      latency: { ttftMs: 300, msPerToken: 10 },
      outputTokens: { min: 20, max: 200 },
    },
  },
  'ramp-rate': {
    description:
      'An acceleration limit on the rate: at most 10 requests in any trailing second from cold, the cap growing by 10 per second while at least half used and shrinking as fast when idle; 6000 RPM enforced per second; model-like latency (300 ms TTFT, 10 ms/token, 20–200 output tokens).',
    options: {
      requestsPerMinute: 6000,
      requestIntervalMs: 1000,
      acceleration: { kind: 'rate', initial: 10, growthPerSec: 10 },
      latency: { ttftMs: 300, msPerToken: 10 },
      outputTokens: { min: 20, max: 200 },
    },
  },
} satisfies Record<ScenarioName, Scenario>);

/** The scenario names, in documentation order. */
export const scenarioNames = Object.keys(scenarios) as ScenarioName[];
