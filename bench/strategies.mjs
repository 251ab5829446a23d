// The ways of calling the API that the benchmark compares, all with the same SDK version. Each is
// `create(simUrl, fetch, keys) => { call(params, signal, client), limitTrace?() }`: `fetch` is the
// audited fetch every attempt goes through, `keys` the API keys of the clients (one client per
// key; `client` indexes them). `call` resolves with the output tokens the message reported when it
// is complete (a stream read to its end) and rejects when the strategy gives up.
import Anthropic from '@anthropic-ai/sdk';
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import { createGateway } from './.dist/index.js';
import { gatewayInternals } from './internals.mjs';

/**
 * The fixed concurrency of the hand-written strategies: 16 is what a user tuning by hand picks for
 * 50 ms calls at 200 requests/s (Little's law: 200/s × 50 ms = 10 in flight, next power of two); 64
 * is the same user's pick for seconds-long calls. Constants, as in an application.
 */
export const FIXED_CONCURRENCY = 16;
export const WIDE_CONCURRENCY = 64;

/** Sends one call and, for a stream, reads it to the end. Resolves with its output tokens. */
async function once(client, params, signal, headers) {
  const result = await client.messages.create(params, { signal, headers });
  if (!params.stream) return result.usage?.output_tokens;
  let output;
  for await (const event of result) {
    if (event.type === 'message_delta') output = event.usage?.output_tokens ?? output;
  }
  return output;
}

/** The environment without CLAUDE_GATEWAY_* variables, so the gateway runs at its defaults. */
export function defaultsEnv(env = process.env) {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('CLAUDE_GATEWAY_')));
}

/** The SDK with 8 retries behind one pLimit(n) shared by every client. */
function sdkPlimit(n) {
  return {
    label: `SDK + pLimit(${n})`,
    summary: `SDK with maxRetries 8 (its own backoff, retry-after honoured per call) behind one pLimit(${n}) shared by the process's clients`,
    create(simUrl, fetch, keys) {
      const clients = keys.map((apiKey) => new Anthropic({ apiKey, baseURL: simUrl, fetch, maxRetries: 8 }));
      const limit = pLimit(n);
      return {
        call: (params, signal, client = 0, headers) =>
          limit(() => {
            signal?.throwIfAborted();
            return once(clients[client], params, signal, headers);
          }),
        limitTrace: () => ({ limit: n, active: limit.activeCount, queued: limit.pendingCount }),
      };
    },
  };
}

export const strategies = {
  /** The SDK's defaults: 2 retries (honouring retry-after), every call sent at once. */
  'sdk-default': {
    label: 'SDK defaults',
    summary:
      'new Anthropic() as is: maxRetries 2 (retry-after honoured per call), Promise.all over every call, unbounded concurrency',
    create(simUrl, fetch, keys) {
      const clients = keys.map((apiKey) => new Anthropic({ apiKey, baseURL: simUrl, fetch }));
      return {
        call: (params, signal, client = 0, headers) => once(clients[client], params, signal, headers),
      };
    },
  },
  /** What users write by hand: more SDK retries and a fixed p-limit. */
  'sdk-plimit': sdkPlimit(FIXED_CONCURRENCY),
  'sdk-plimit64': sdkPlimit(WIDE_CONCURRENCY),
  /** Naive p-retry + p-limit: the SDK's retries off, exponential backoff that ignores retry-after. */
  naive: {
    label: 'p-retry + p-limit',
    summary: `SDK maxRetries 0; pLimit(${FIXED_CONCURRENCY}) around pRetry({ retries: 8, randomize: true }) (1 s × 2^n × U[1,2), retry-after ignored) retrying 429, 5xx and connection errors; the slot is held through the backoff`,
    create(simUrl, fetch, keys) {
      const clients = keys.map((apiKey) => new Anthropic({ apiKey, baseURL: simUrl, fetch, maxRetries: 0 }));
      const limit = pLimit(FIXED_CONCURRENCY);
      const retryable = (error) =>
        error instanceof Anthropic.APIConnectionError ||
        (error instanceof Anthropic.APIError && (error.status === 429 || (error.status ?? 0) >= 500));
      return {
        call: (params, signal, client = 0, headers) =>
          limit(() => {
            signal?.throwIfAborted();
            return pRetry(() => once(clients[client], params, signal, headers), {
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
  /** The gateway at its default settings: one gateway for every client of the process. */
  gateway: {
    label: 'gateway',
    summary:
      'createGateway() at default settings (CLAUDE_GATEWAY_* cleared); one gateway .wrap()s every client of the process (one per API key)',
    create(simUrl, fetch, keys) {
      const gateway = createGateway({}, defaultsEnv());
      const clients = keys.map((apiKey) => gateway.wrap(new Anthropic({ apiKey, baseURL: simUrl, fetch })));
      const internals = gatewayInternals();
      return {
        call: (params, signal, client = 0, headers) => once(clients[client], params, signal, headers),
        limitTrace: () => {
          const ls = gateway.limiters();
          if (!ls.length) return undefined;
          const sum = (k) => ls.reduce((a, l) => a + l[k], 0);
          return {
            limit: sum('limit'),
            active: sum('active'),
            queued: sum('queued'),
            holdUntil: Math.max(...ls.map((l) => l.holdUntil)),
            limiters: ls.length,
            ...internals.sample(),
          };
        },
        close: () => gateway.close(),
      };
    },
  },
};

/** The strategies of the matrix (sdk-default and naive stay available with --strategies). */
export const MATRIX_STRATEGIES = ['gateway', 'sdk-plimit', 'sdk-plimit64'];
export const BASELINES = ['sdk-plimit', 'sdk-plimit64'];
export const STRATEGY_NAMES = Object.keys(strategies);
