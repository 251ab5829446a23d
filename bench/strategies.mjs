// The four ways of calling the API that the benchmark compares, all with the same SDK version.
// Each is `(simUrl, fetch) => { call(params, signal), limiters?() }`; `fetch` is the audited fetch
// every attempt goes through. `call` resolves when the message is complete (a stream read to its
// end) and rejects when the strategy gives up.
import Anthropic from '@anthropic-ai/sdk';
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import { createGateway } from '../dist/index.js';

const API_KEY = 'sk-bench-key';

/**
 * The fixed concurrency of the hand-written strategies. Chosen the way a user tunes it by hand for
 * the benchmark's main API profile: Little's law gives r × S = 200/s × 50 ms = 10 calls in flight
 * to reach the rate limit; 16 is the next power of two, with headroom. It stays 16 in every
 * scenario, as a constant in an application would.
 */
export const FIXED_CONCURRENCY = 16;

/** Sends one call and, for a stream, reads it to the end. */
async function once(client, params, signal) {
  const result = await client.messages.create(params, { signal });
  if (params.stream) for await (const _event of result);
  return result;
}

/** The environment without CLAUDE_GATEWAY_* variables, so the gateway runs at its defaults. */
export function defaultsEnv(env = process.env) {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('CLAUDE_GATEWAY_')));
}

export const strategies = {
  /** The SDK's defaults: 2 retries (honouring retry-after), every call sent at once. */
  'sdk-default': {
    label: 'SDK defaults',
    summary:
      'new Anthropic() as is: maxRetries 2 (retry-after honoured per call), Promise.all over every call, unbounded concurrency',
    create(simUrl, fetch) {
      const client = new Anthropic({ apiKey: API_KEY, baseURL: simUrl, fetch });
      return { call: (params, signal) => once(client, params, signal) };
    },
  },
  /** What users write by hand: more SDK retries and a fixed p-limit. */
  'sdk-plimit': {
    label: 'SDK + p-limit',
    summary: `SDK with maxRetries 8 (its own backoff, retry-after honoured per call) behind pLimit(${FIXED_CONCURRENCY})`,
    create(simUrl, fetch) {
      const client = new Anthropic({ apiKey: API_KEY, baseURL: simUrl, fetch, maxRetries: 8 });
      const limit = pLimit(FIXED_CONCURRENCY);
      return {
        call: (params, signal) =>
          limit(() => {
            signal?.throwIfAborted();
            return once(client, params, signal);
          }),
        limitTrace: () => ({
          limit: FIXED_CONCURRENCY,
          active: limit.activeCount,
          queued: limit.pendingCount,
        }),
      };
    },
  },
  /** Naive p-retry + p-limit: the SDK's retries off, exponential backoff that ignores retry-after. */
  naive: {
    label: 'p-retry + p-limit',
    summary: `SDK maxRetries 0; pLimit(${FIXED_CONCURRENCY}) around pRetry({ retries: 8, randomize: true }) (1 s × 2^n × U[1,2), retry-after ignored) retrying 429, 5xx and connection errors; the slot is held through the backoff`,
    create(simUrl, fetch) {
      const client = new Anthropic({ apiKey: API_KEY, baseURL: simUrl, fetch, maxRetries: 0 });
      const limit = pLimit(FIXED_CONCURRENCY);
      const retryable = (error) =>
        error instanceof Anthropic.APIConnectionError ||
        (error instanceof Anthropic.APIError && (error.status === 429 || (error.status ?? 0) >= 500));
      return {
        call: (params, signal) =>
          limit(() => {
            signal?.throwIfAborted();
            return pRetry(() => once(client, params, signal), {
              retries: 8,
              randomize: true,
              signal,
              shouldRetry: ({ error }) => retryable(error),
            });
          }),
        limitTrace: () => ({
          limit: FIXED_CONCURRENCY,
          active: limit.activeCount,
          queued: limit.pendingCount,
        }),
      };
    },
  },
  /** The gateway at its default settings. */
  gateway: {
    label: 'gateway',
    summary: 'createGateway() at default settings (CLAUDE_GATEWAY_* cleared) .wrap(new Anthropic())',
    create(simUrl, fetch) {
      const gateway = createGateway({}, defaultsEnv());
      const client = gateway.wrap(new Anthropic({ apiKey: API_KEY, baseURL: simUrl, fetch }));
      return {
        call: (params, signal) => once(client, params, signal),
        limitTrace: () => {
          const [l] = gateway.limiters();
          return l ?
              { limit: l.limit, active: l.active, queued: l.queued, holdUntil: l.holdUntil }
            : undefined;
        },
      };
    },
  },
};

export const STRATEGY_NAMES = Object.keys(strategies);
