/**
 * Rate-limit state per API key and model: request, input-token and output-token buckets, the
 * acceleration windows and the retry-after hold; plus the `anthropic-ratelimit-*` headers.
 * @module
 */
import { createRamp, rampAdmit, rampWait, type RampState } from './acceleration.js';
import { createBucket, msToFull, reconfigure, take, waitFor, type TokenBucket } from './buckets.js';
import type { SimulatorConfig } from './types.js';

/** The limits of one API key and model (or of one key's model-less endpoints). */
export interface Limiter {
  readonly requests: TokenBucket;
  readonly input: TokenBucket;
  readonly output: TokenBucket;
  ramp: RampState;
  /** Monotonic time before which an attempt violates a retry-after we sent. */
  holdUntil: number;
}

/** Which limit refused an attempt. */
export type LimitReason = 'requests' | 'input_tokens' | 'output_tokens' | 'ramp';

/** The outcome of an admission check. */
export type Admission = { readonly ok: true } | { readonly ok: false; readonly reason: LimitReason; readonly waitMs: number };

/** What a Messages attempt needs from the token buckets. */
export interface TokenNeed {
  /** Input tokens of the prompt. */
  input: number;
  /** Output tokens that must be available (`max_tokens`, the API's up-front estimate). */
  outputEstimate: number;
  /** Output tokens actually generated (taken from the bucket). */
  output: number;
}

const ADMITTED: Admission = Object.freeze({ ok: true });

/** RFC 3339 at whole seconds (rounded up), memoised for the current second. */
let lastSecond = -1;
let lastText = '';
export function rfc3339Ceil(wallMs: number): string {
  const second = Math.ceil(wallMs / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = new Date(second * 1000).toISOString().slice(0, 19) + 'Z';
  }
  return lastText;
}

/** All limiters of a simulator. Times are monotonic ms (`performance.now()`); `epoch` starts the acceleration windows. */
export class Limits {
  #byKey = new Map<string, Limiter>();
  #config: SimulatorConfig;
  #epoch: number;

  constructor(config: SimulatorConfig, epoch: number) {
    this.#config = config;
    this.#epoch = epoch;
  }

  /** The limiter of `apiKey` and `model`; `model` undefined is the key's shared one (models, count_tokens, invalid requests). */
  get(apiKey: string, model: string | undefined, now: number): Limiter {
    const id = model === undefined ? apiKey : `${apiKey}\u0000${model}`;
    let limiter = this.#byKey.get(id);
    if (!limiter) {
      const c = this.#config;
      limiter = {
        requests: createBucket(c.burst, c.requestsPerMinute, now),
        input: createBucket(c.inputTokensPerMinute, c.inputTokensPerMinute, now),
        output: createBucket(c.outputTokensPerMinute, c.outputTokensPerMinute, now),
        ramp: createRamp(),
        holdUntil: 0,
      };
      this.#byKey.set(id, limiter);
    }
    return limiter;
  }

  /**
   * Admits an attempt or says which limit refuses it and for how long. Without `need`, only the
   * request bucket applies (models, count_tokens). With it, the token buckets and the acceleration
   * limit apply too. When several refuse, the longest wait is reported. Nothing is taken from a
   * refused attempt.
   */
  admit(limiter: Limiter, now: number, need?: TokenNeed): Admission {
    let reason: LimitReason = 'requests';
    let wait = waitFor(limiter.requests, 1, now);
    const accel = this.#config.acceleration;
    if (need) {
      const inputWait = waitFor(limiter.input, need.input, now);
      if (inputWait > wait) [reason, wait] = ['input_tokens', inputWait];
      const outputWait = waitFor(limiter.output, need.outputEstimate, now);
      if (outputWait > wait) [reason, wait] = ['output_tokens', outputWait];
      if (accel) {
        const rampWaitMs = rampWait(limiter.ramp, accel, now - this.#epoch);
        if (rampWaitMs > 0 && rampWaitMs >= wait) [reason, wait] = ['ramp', rampWaitMs];
      }
    }
    if (wait > 0) return { ok: false, reason, waitMs: wait };
    take(limiter.requests, 1, now);
    if (need) {
      take(limiter.input, need.input, now);
      take(limiter.output, need.output, now);
      if (accel) rampAdmit(limiter.ramp, accel, now - this.#epoch);
    }
    return ADMITTED;
  }

  /** Appends the `anthropic-ratelimit-*` headers (name, value pairs) describing `limiter`. */
  headers(limiter: Limiter, now: number, wallNow: number, out: string[]): void {
    const c = this.#config;
    const requestsLeft = Math.max(0, Math.floor(limiter.requests.tokens));
    out.push(
      'anthropic-ratelimit-requests-limit', String(c.requestsPerMinute),
      'anthropic-ratelimit-requests-remaining', String(requestsLeft),
      'anthropic-ratelimit-requests-reset', rfc3339Ceil(wallNow + msToFull(limiter.requests, now)),
    );
    const input = tokenHeaders(limiter.input, c.inputTokensPerMinute, now, wallNow);
    const output = tokenHeaders(limiter.output, c.outputTokensPerMinute, now, wallNow);
    // `tokens-*`: the most restrictive of the two, i.e. the one with fewer tokens remaining.
    const tokens = output.remaining < input.remaining ? output : input;
    pushTokenHeaders(out, 'input-tokens', input);
    pushTokenHeaders(out, 'output-tokens', output);
    pushTokenHeaders(out, 'tokens', tokens);
  }

  /** Applies a new configuration: buckets keep what they earned (clamped); acceleration windows restart if that limit changed. */
  reconfigure(config: SimulatorConfig, now: number): void {
    const old = this.#config;
    this.#config = config;
    const rampChanged = JSON.stringify(old.acceleration) !== JSON.stringify(config.acceleration);
    for (const limiter of this.#byKey.values()) {
      reconfigure(limiter.requests, config.burst, config.requestsPerMinute, now);
      reconfigure(limiter.input, config.inputTokensPerMinute, config.inputTokensPerMinute, now);
      reconfigure(limiter.output, config.outputTokensPerMinute, config.outputTokensPerMinute, now);
      if (rampChanged) limiter.ramp = createRamp();
    }
  }

  /** Forgets every limiter; acceleration windows restart at `epoch`. */
  clear(epoch: number): void {
    this.#byKey.clear();
    this.#epoch = epoch;
  }
}

interface TokenHeaderValues {
  limit: number;
  remaining: number;
  reset: string;
}

function tokenHeaders(bucket: TokenBucket, limit: number, now: number, wallNow: number): TokenHeaderValues {
  // The API rounds token counts down to the thousand.
  const remaining = Math.max(0, Math.floor(bucket.tokens / 1000) * 1000);
  return { limit, remaining, reset: rfc3339Ceil(wallNow + msToFull(bucket, now)) };
}

const TOKEN_HEADER_NAMES = {
  'input-tokens': headerNames('input-tokens'),
  'output-tokens': headerNames('output-tokens'),
  tokens: headerNames('tokens'),
} as const;

function headerNames(name: string): readonly [string, string, string] {
  return [`anthropic-ratelimit-${name}-limit`, `anthropic-ratelimit-${name}-remaining`, `anthropic-ratelimit-${name}-reset`];
}

function pushTokenHeaders(out: string[], name: keyof typeof TOKEN_HEADER_NAMES, v: TokenHeaderValues): void {
  const [limit, remaining, reset] = TOKEN_HEADER_NAMES[name];
  out.push(limit, String(v.limit), remaining, String(v.remaining), reset, v.reset);
}
