/**
 * Rate-limit state per pool, i.e. per organization and model group (by default per API key and
 * model): request, input-token and output-token buckets, the acceleration mechanism and the
 * retry-after hold; plus the `anthropic-ratelimit-*` headers. Output tokens are reserved
 * (`max_tokens`) at admission and reconciled with the actual output when the response ends.
 * Times are simulated ms since the simulator's epoch (see `SimState.now()`).
 * @module
 */
import {
  accelerationAdmit,
  accelerationFinish,
  accelerationWait,
  createAcceleration,
  INFLIGHT_HINT_MS,
  type AccelerationState,
} from './acceleration.js';
import { createBucket, giveBack, msToFull, reconfigure, take, waitFor, type TokenBucket } from './buckets.js';
import type { PromptCache } from './prompt-cache.js';
import { intervalCapacity } from './options.js';
import type { AccelerationKind, PoolStats, SimulatorConfig } from './types.js';

/** Counters of one pool. */
export interface PoolCounters {
  admitted: number;
  refusals: Record<string, number>;
  inFlight: number;
  peakInFlight: number;
  reserved: number;
  refunded: number;
}

/** The limits of one organization and model group (or of one organization's model-less endpoints). */
export interface Pool {
  /** `"<organization>/<group>"`, as in `stats().pools`. */
  readonly label: string;
  readonly organization: string;
  readonly group: string;
  readonly requests: TokenBucket;
  readonly input: TokenBucket;
  readonly output: TokenBucket;
  /** The acceleration mechanism's state (none when the limit is off; unused by model-less pools). */
  accel: AccelerationState | undefined;
  /** Simulated time before which an attempt violates a retry-after we sent. */
  holdUntil: number;
  readonly counters: PoolCounters;
  /** The prompt cache of this organization and model group. */
  readonly cache: PromptCache;
}

/** Which limit refused an attempt. */
export type LimitReason = 'requests' | 'input_tokens' | 'output_tokens' | 'ramp';

/** The outcome of an admission check. */
export type Admission =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: LimitReason;
      /** For `ramp`: the mechanism. */
      readonly mechanism: AccelerationKind | undefined;
      /** Exact ms until every limit would admit it if nothing else happened (`Infinity` possible with `inflight`). */
      readonly waitMs: number;
      /** The wait to advise (finite): `waitMs`, with an `inflight` wait capped at {@link INFLIGHT_HINT_MS}. */
      readonly hintMs: number;
    };

/** What a Messages attempt needs from the token buckets. */
export interface TokenNeed {
  /** Input tokens of the prompt (taken). */
  input: number;
  /** Output tokens reserved (`max_tokens`); what the response does not use is given back by {@link Limits.finish}. */
  reserve: number;
}

/** The stats key of a refusal. */
export function refusalKey(reason: LimitReason, mechanism: AccelerationKind | undefined): string {
  return reason === 'ramp' ? `ramp:${mechanism ?? 'windows'}` : reason;
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

function tokenCapacity(config: SimulatorConfig, perMinute: number): number {
  return config.tokenIntervalMs === undefined ?
      perMinute
    : intervalCapacity(perMinute, config.tokenIntervalMs);
}

function lookup(map: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** All pools of a simulator. */
export class Limits {
  #pools = new Map<string, Pool>();
  #config: SimulatorConfig;

  constructor(config: SimulatorConfig) {
    this.#config = config;
  }

  /** The organization `apiKey` belongs to by `organizations` (its own `'*'` fallback included), if any. */
  #organization(apiKey: string): string | undefined {
    const orgs = this.#config.organizations;
    return lookup(orgs, apiKey) ?? lookup(orgs, '*');
  }

  /** The `anthropic-organization-id` for a caller (`organizationId` for a key not mapped, or no key). */
  organizationOf(apiKey: string | undefined): string {
    return (apiKey === undefined ? undefined : this.#organization(apiKey)) ?? this.#config.organizationId;
  }

  /**
   * The pool of `apiKey` and `model`; `model` undefined is the organization's model-less pool
   * (models, count_tokens, invalid requests). A key outside `organizations` belongs to the default
   * organization (`organizationId`), as its `anthropic-organization-id` says: the API pools limits
   * per organization, not per key.
   */
  get(apiKey: string, model: string | undefined, now: number): Pool {
    const org = this.organizationOf(apiKey);
    const owner = `o\u0000${org}`;
    const group = model === undefined ? undefined : (lookup(this.#config.modelGroups, model) ?? model);
    const id = group === undefined ? owner : `${owner}\u0000${group}`;
    let pool = this.#pools.get(id);
    if (!pool) {
      const c = this.#config;
      const organization = org;
      const groupLabel = group ?? '*';
      pool = {
        label: `${organization}/${groupLabel}`,
        organization,
        group: groupLabel,
        requests: createBucket(c.burst, c.requestsPerMinute, now),
        input: createBucket(tokenCapacity(c, c.inputTokensPerMinute), c.inputTokensPerMinute, now),
        output: createBucket(tokenCapacity(c, c.outputTokensPerMinute), c.outputTokensPerMinute, now),
        accel: c.acceleration ? createAcceleration(c.acceleration, now) : undefined,
        holdUntil: 0,
        counters: { admitted: 0, refusals: {}, inFlight: 0, peakInFlight: 0, reserved: 0, refunded: 0 },
        cache: new Map(),
      };
      this.#pools.set(id, pool);
    }
    return pool;
  }

  /**
   * Admits an attempt or says which limit refuses it and for how long. Without `need`, only the
   * request bucket applies (models, count_tokens). With it, the token buckets and the acceleration
   * limit apply too, and an admitted attempt is in flight until {@link finish}. When several
   * refuse, the longest wait is reported (the acceleration limit on a tie). Nothing is taken from
   * a refused attempt.
   */
  admit(pool: Pool, now: number, need?: TokenNeed): Admission {
    let reason: LimitReason = 'requests';
    let wait = waitFor(pool.requests, 1, now);
    let hint = wait;
    let mechanism: AccelerationKind | undefined;
    if (need) {
      const inputWait = waitFor(pool.input, need.input, now);
      if (inputWait > wait) [reason, wait] = ['input_tokens', inputWait];
      const outputWait = waitFor(pool.output, need.reserve, now);
      if (outputWait > wait) [reason, wait] = ['output_tokens', outputWait];
      hint = wait;
      if (pool.accel) {
        const accelWait = accelerationWait(pool.accel, now);
        if (accelWait > 0 && accelWait >= wait)
          [reason, wait, mechanism] = ['ramp', accelWait, pool.accel.kind];
        hint = Math.max(
          hint,
          pool.accel.kind === 'inflight' ? Math.min(accelWait, INFLIGHT_HINT_MS) : accelWait,
        );
      }
    }
    if (wait > 0) return { ok: false, reason, mechanism, waitMs: wait, hintMs: hint };
    take(pool.requests, 1, now);
    const k = pool.counters;
    k.admitted++;
    if (need) {
      take(pool.input, need.input, now);
      take(pool.output, need.reserve, now);
      k.reserved += need.reserve;
      if (pool.accel) accelerationAdmit(pool.accel, now);
      if (++k.inFlight > k.peakInFlight) k.peakInFlight = k.inFlight;
    }
    return ADMITTED;
  }

  /**
   * An attempt admitted with a {@link TokenNeed} ended at `now` having produced `produced` output
   * tokens: gives back `reserved − produced` output tokens (up to the bucket's capacity) and
   * frees its in-flight slot.
   */
  finish(pool: Pool, now: number, reserved: number, produced: number): number {
    const refund = Math.max(0, reserved - produced);
    if (refund > 0) giveBack(pool.output, refund, now);
    const k = pool.counters;
    k.refunded += refund;
    k.inFlight = Math.max(0, k.inFlight - 1);
    if (pool.accel) accelerationFinish(pool.accel, now);
    return refund;
  }

  /** Appends the `anthropic-ratelimit-*` headers (name, value pairs) describing `pool`, in real time (see `timeScale`). */
  headers(pool: Pool, now: number, wallNow: number, out: string[]): void {
    const c = this.#config;
    const k = c.timeScale;
    const requestsLeft = Math.max(0, Math.floor(pool.requests.tokens));
    out.push(
      'anthropic-ratelimit-requests-limit',
      String(wireLimit(c.requestsPerMinute, k)),
      'anthropic-ratelimit-requests-remaining',
      String(requestsLeft),
      'anthropic-ratelimit-requests-reset',
      rfc3339Ceil(wallNow + msToFull(pool.requests, now) / k),
    );
    const input = tokenHeaders(pool.input, wireLimit(c.inputTokensPerMinute, k), now, wallNow, k);
    const output = tokenHeaders(pool.output, wireLimit(c.outputTokensPerMinute, k), now, wallNow, k);
    // `tokens-*`: the most restrictive of the two, i.e. the one with fewer tokens remaining.
    const tokens = output.remaining < input.remaining ? output : input;
    pushTokenHeaders(out, 'input-tokens', input);
    pushTokenHeaders(out, 'output-tokens', output);
    pushTokenHeaders(out, 'tokens', tokens);
  }

  /**
   * Applies a new configuration: buckets keep what they earned (clamped); an acceleration
   * mechanism restarts from cold if that option changed (an `inflight` cap knowing what is in
   * flight). Pools already created keep their organization and group.
   */
  reconfigure(config: SimulatorConfig, now: number): void {
    const old = this.#config;
    this.#config = config;
    const rampChanged = JSON.stringify(old.acceleration) !== JSON.stringify(config.acceleration);
    for (const pool of this.#pools.values()) {
      reconfigure(pool.requests, config.burst, config.requestsPerMinute, now);
      reconfigure(
        pool.input,
        tokenCapacity(config, config.inputTokensPerMinute),
        config.inputTokensPerMinute,
        now,
      );
      reconfigure(
        pool.output,
        tokenCapacity(config, config.outputTokensPerMinute),
        config.outputTokensPerMinute,
        now,
      );
      if (rampChanged)
        pool.accel =
          config.acceleration ?
            createAcceleration(config.acceleration, now, pool.counters.inFlight)
          : undefined;
    }
  }

  /** Forgets every pool (attempts still running finish into the forgotten ones). */
  clear(): void {
    this.#pools.clear();
  }

  /** The per-pool statistics. */
  stats(): Record<string, PoolStats> {
    const out: Record<string, PoolStats> = {};
    for (const pool of this.#pools.values()) {
      const k = pool.counters;
      out[pool.label] = {
        organization: pool.organization,
        group: pool.group,
        admitted: k.admitted,
        refusals: { ...k.refusals },
        inFlight: k.inFlight,
        peakInFlight: k.peakInFlight,
        outputTokens: { reserved: k.reserved, refunded: k.refunded },
      };
    }
    return out;
  }
}

/** A per-minute limit as the wire states it: per real minute. */
function wireLimit(perMinute: number, timeScale: number): number {
  return timeScale === 1 ? perMinute : Math.round(perMinute * timeScale);
}

interface TokenHeaderValues {
  limit: number;
  remaining: number;
  reset: string;
}

function tokenHeaders(
  bucket: TokenBucket,
  limit: number,
  now: number,
  wallNow: number,
  timeScale: number,
): TokenHeaderValues {
  // The API rounds token counts down to the thousand.
  const remaining = Math.max(0, Math.floor(bucket.tokens / 1000) * 1000);
  return { limit, remaining, reset: rfc3339Ceil(wallNow + msToFull(bucket, now) / timeScale) };
}

const TOKEN_HEADER_NAMES = {
  'input-tokens': headerNames('input-tokens'),
  'output-tokens': headerNames('output-tokens'),
  tokens: headerNames('tokens'),
} as const;

function headerNames(name: string): readonly [string, string, string] {
  return [
    `anthropic-ratelimit-${name}-limit`,
    `anthropic-ratelimit-${name}-remaining`,
    `anthropic-ratelimit-${name}-reset`,
  ];
}

function pushTokenHeaders(out: string[], name: keyof typeof TOKEN_HEADER_NAMES, v: TokenHeaderValues): void {
  const [limit, remaining, reset] = TOKEN_HEADER_NAMES[name];
  out.push(limit, String(v.limit), remaining, String(v.remaining), reset, v.reset);
}
