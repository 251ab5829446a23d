/**
 * Public types of the Claude API simulator: options, scripted outcomes, statistics.
 * @module
 */

/** The `error.type` values the Claude API uses (see the API's "Errors" page). */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

/** HTTP statuses a scripted `error` outcome may use. */
export type ScriptedErrorStatus = 400 | 401 | 402 | 403 | 404 | 409 | 413 | 429 | 500 | 504 | 529;

/** The endpoints the simulator serves; `unknown` is any other path (answered with 404). */
export type Endpoint = 'messages' | 'count_tokens' | 'models' | 'unknown';

/**
 * The acceleration ("ramp") limit, fixed-window form: `acceleration: { windowMs, floor, factor }`
 * (or with `kind: 'windows'`). The real API's mechanism is undocumented ("a sharp increase in
 * usage", "ramp up gradually"); this is one guess among {@link AccelerationMechanism}s, chosen so
 * that a benchmark can derive a lower bound from it.
 *
 * Time since the simulator started (or was last `reset()`) is cut into windows of `windowMs`;
 * window `k` spans `[k·windowMs, (k+1)·windowMs)`. Per organization and model group (see
 * {@link RuntimeOptions.organizations}; by default one organization, per model), with `A(k)` the number
 * of attempts admitted in window `k` (admitted = passed every limit; an attempt refused by any
 * limit is not counted):
 *
 * ```
 * allowed(k) = max(floor, ⌊factor × A(k−1)⌋)        (A(k−1) = 0 when window k−1 had no traffic)
 * ```
 *
 * An attempt arriving in window `k` when `A(k) ≥ allowed(k)` gets 429 `rate_limit_error` with
 * `error.details.error_code: "ramp_limit_exceeded"` and `retry-after = max(1, ⌈(start of
 * window k+1 − now) / 1000⌉)` seconds. Consequences: from idle, at most
 * `floor × (factor^(n+1) − 1) / (factor − 1)` attempts are admitted in the first `n+1` windows
 * (`floor × (n+1)` when `factor = 1`, see `rampAdmissionBound`), while a steady rate never trips
 * it (`factor ≥ 1`).
 */
export interface AccelerationOptions {
  /** Optional tag of this form; without it an object with these three keys means fixed windows. */
  kind?: 'windows';
  /** Window length in milliseconds, an integer in [1, 3 600 000]. */
  windowMs: number;
  /** Attempts always allowed in a window whatever came before, an integer in [1, 1e9]. */
  floor: number;
  /** Growth allowed from one window to the next, a number in [1, 1000]. */
  factor: number;
}

/** Fixed windows, tagged: the same as {@link AccelerationOptions}. */
export type WindowsAccelerationOptions = AccelerationOptions & { kind: 'windows' };

/**
 * The acceleration limit as a cap on concurrency: `{ kind: 'inflight', initial, … }`.
 *
 * Per organization and model group, `n(t)` is the number of Messages attempts admitted by the
 * limits and not yet finished (the response fully sent, or the connection closed; attempts
 * forced by a script are not counted). A real-valued cap `c(t)` starts at `initial` and moves
 * continuously toward the target `T(n) = clamp(n / threshold, min, max)`:
 *
 * ```
 * c < T(n): c grows ×factorPerSec per second  (c(t+Δ) = min(T, c·factorPerSec^(Δ/1000)))
 * c > T(n): c falls ÷decayPerSec per second   (c(t+Δ) = max(T, c / decayPerSec^(Δ/1000)))
 * ```
 *
 * i.e. the cap grows while the client keeps at least `threshold` (default half) of it in use,
 * settles at `n / threshold` for a steady concurrency `n`, and decays back to `min` when idle.
 * An attempt is admitted iff `n + 1 ≤ c`; otherwise it gets 429 `rate_limit_error` with
 * `error_code: "ramp_limit_exceeded"`, `retry-after: 1` and (with `retryAfterMs`) `retry-after-ms`
 * = the time for the cap, growing at the current concurrency, to reach `n + 1`, at most 1000 ms
 * (slots free up whenever a response ends, which the server cannot foresee).
 *
 * From cold an ideal client keeping `⌊c⌋` in flight has `c(t) = min(max, initial·factorPerSec^(t/1000))`,
 * so N calls of service time S need at least `T` with `∫₀ᵀ c(t) dt ≥ N·S` (`inflightMakespanBound`);
 * `idealSchedule` gives the greedy schedule of a client that keeps the cap full.
 */
export interface InflightAccelerationOptions {
  kind: 'inflight';
  /** The cap from cold (and after `reset()` or a change of this option), an integer in [1, 1e9]. */
  initial: number;
  /** The cap never falls below this (idle decay stops here), an integer in [1, initial]. Default `initial`. */
  min?: number;
  /** The cap never grows past this, an integer in [initial, 1e9]. Default 1e9. */
  max?: number;
  /** Growth factor per second while the cap is below its target, a number in [1, 1000]. Default 2. */
  factorPerSec?: number;
  /** Decay factor per second while the cap is above its target, a number in [1, 1000]. Default 2. */
  decayPerSec?: number;
  /** Share of the cap that must be in use for it to grow, a number in [0.01, 0.5]. Default 0.5. */
  threshold?: number;
}

/**
 * The acceleration limit as a sliding-window rate cap: `{ kind: 'rate', initial, growthPerSec, … }`.
 *
 * Per organization and model group, `m(t)` is the number of Messages attempts admitted (by the
 * limits) in the trailing window `(t − windowMs, t]`. A real-valued cap `c(t)` starts at `initial`
 * and moves linearly toward the target `T(m) = clamp(m / threshold, min, max)`:
 *
 * ```
 * c < T(m): c grows by growthPerSec per second   (additive)
 * c > T(m): c falls by shrinkPerSec per second
 * ```
 *
 * i.e. the cap grows while the trailing window is at least `threshold` (default half) full,
 * settles at `m / threshold` for a steady rate and shrinks back to `min` when idle. An attempt is
 * admitted iff `m + 1 ≤ c`; otherwise 429 `ramp_limit_exceeded` with `retry-after` the time until
 * it would be admitted if nothing else arrived (an old admission sliding out, or the cap growing),
 * whole seconds, at least 1.
 *
 * From cold, admissions in the `k`-th window `[k·W, (k+1)·W)` are at most
 * `⌊min(max, initial + growthPerSec·(k+1)·W/1000)⌋`, which gives `rateMakespanBound`;
 * `idealSchedule` gives the greedy schedule of a client that keeps the cap full.
 */
export interface RateAccelerationOptions {
  kind: 'rate';
  /** The cap from cold, attempts per window, an integer in [1, 1e9]. */
  initial: number;
  /** Additive growth of the cap per second while below its target, a number in [0, 1e9]. */
  growthPerSec: number;
  /** Length of the trailing window in ms, an integer in [1, 3 600 000]. Default 1000. */
  windowMs?: number;
  /** Additive decrease of the cap per second while above its target, a number in [0, 1e9]. Default `growthPerSec`. */
  shrinkPerSec?: number;
  /** The cap never falls below this, an integer in [1, initial]. Default `initial`. */
  min?: number;
  /** The cap never grows past this, an integer in [initial, 1e9]. Default 1e9. */
  max?: number;
  /** Share of the cap that must be used in the trailing window for it to grow, a number in [0.01, 0.5]. Default 0.5. */
  threshold?: number;
}

/** No acceleration limit, tagged: the same as `acceleration: false`. */
export interface NoAccelerationOptions {
  kind: 'none';
}

/** The acceleration mechanisms the simulator offers (see each for its model). */
export type AccelerationMechanism =
  AccelerationOptions | InflightAccelerationOptions | RateAccelerationOptions;

/** The `acceleration` option: `false` / `{ kind: 'none' }` (off), or a mechanism. */
export type AccelerationSetting = false | NoAccelerationOptions | AccelerationMechanism;

/** A mechanism with every default filled in, as {@link SimulatorConfig.acceleration} shows it. */
export type ResolvedAcceleration =
  | Readonly<AccelerationOptions>
  | Readonly<Required<InflightAccelerationOptions>>
  | Readonly<Required<RateAccelerationOptions>>;

/** Which acceleration mechanism refused an attempt. */
export type AccelerationKind = 'windows' | 'inflight' | 'rate';

/** Output tokens generated per message: uniform integer in `[min, max]` (seeded), then capped by `max_tokens`. */
export interface OutputTokensRange {
  /** An integer in [1, 1 000 000]. */
  min: number;
  /** An integer in [min, 1 000 000]. */
  max: number;
}

/** A period, relative to simulator start (or the last `reset()`), with its own 529 rate. */
export interface OverloadWindow {
  /** Start, ms after start (inclusive). */
  startMs: number;
  /** End, ms after start (exclusive); greater than `startMs`. */
  endMs: number;
  /** Probability in [0, 1] that an admitted Messages attempt gets 529 during the window; replaces `overloadRate`. */
  rate: number;
}

/**
 * Probabilities of faults for admitted Messages attempts, drawn with one uniform number per
 * attempt over consecutive intervals in this key order, so their sum must be ≤ 1. The stream
 * faults apply only to `stream: true` requests (a non-streaming request whose draw lands in a
 * stream fault's interval simply succeeds).
 */
export interface ErrorRates {
  /** 500 `api_error`. */
  api_error?: number;
  /** 504 `timeout_error`. */
  timeout_error?: number;
  /** The connection is reset (TCP RST) before any response. */
  reset?: number;
  /** No response ever comes; the request hangs until the client gives up or `close()`. */
  hang?: number;
  /** HTTP 200, then `event: error` (overloaded_error) as the first event. */
  streamErrorBeforeContent?: number;
  /** HTTP 200, some `content_block_delta`s, then `event: error` (overloaded_error). */
  streamErrorAfterContent?: number;
  /** HTTP 200, some events, then the connection is ended before `message_stop`. */
  streamCut?: number;
}

/** The simulated model's speed. */
export interface LatencyOptions {
  /** Time to first token in ms, in [0, 600 000]. */
  ttftMs: number;
  /** Time per output token in ms, in [0, 60 000]. */
  msPerToken: number;
}

/** `false`, or which spend limit every Messages request hits (429 with that `error_code`, no `retry-after`). */
export type SpendLimit = false | 'enforced' | 'contract';

/** Options that {@link Simulator.update} may change while the simulator runs. */
export interface RuntimeOptions {
  /** Requests per minute per organization and model group (token bucket refill rate). Default 100 000. */
  requestsPerMinute?: number;
  /**
   * Request bucket capacity. Default one second's worth: `max(1, round(requestsPerMinute / 60))`.
   * Ignored when `requestIntervalMs` is set.
   */
  burst?: number;
  /**
   * Enforce the request limit over intervals of this many ms, as the API's docs warn it may be
   * ("60 RPM may be enforced as 1 request per second"): the request bucket's capacity becomes
   * `max(1, ⌊requestsPerMinute × requestIntervalMs / 60 000⌋)`, overriding `burst`. An integer in
   * [1, 60 000]. Default unset (capacity `burst`).
   */
  requestIntervalMs?: number;
  /**
   * The same for the input- and output-token buckets: capacity `max(1, ⌊perMinute ×
   * tokenIntervalMs / 60 000⌋)` instead of one minute's worth. An integer in [1, 60 000]. Default unset.
   */
  tokenIntervalMs?: number;
  /** Input tokens per minute per organization and model group; the bucket holds one minute's worth. Default 1e9 (effectively unlimited). */
  inputTokensPerMinute?: number;
  /**
   * Output tokens per minute per organization and model group; the bucket holds one minute's worth.
   * `max_tokens` is reserved from it when a Messages attempt is admitted (429 when it does not fit)
   * and `max_tokens − actual output` is given back when the response ends (sent, streamed, cut,
   * failed or abandoned). Default 1e9 (effectively unlimited).
   */
  outputTokensPerMinute?: number;
  /** The acceleration limit: a mechanism, or `false` / `{ kind: 'none' }` (default: off). */
  acceleration?: AccelerationSetting;
  /**
   * Organization of each API key: limits (buckets, acceleration, retry-after holds) are pooled per
   * organization and model group, and `anthropic-organization-id` names the caller's organization.
   * The key `'*'` maps every key not listed. A key not listed (and no `'*'`) belongs to the default
   * organization, `organizationId`, as on the real API where keys of one organization share its
   * limits. Default `{}`.
   * Replaced as a whole by `update()`.
   */
  organizations?: Readonly<Record<string, string>>;
  /**
   * Model group of each model id: models of one group share one set of limits within an
   * organization (as a family of models does on the real API). A model not listed is a group of its
   * own, named by its id. Default `{}`. Replaced as a whole by `update()`.
   */
  modelGroups?: Readonly<Record<string, string>>;
  /** Probability in [0, 1] of 529 `overloaded_error` for an admitted Messages attempt. Default 0. */
  overloadRate?: number;
  /** Timed overload windows. Default none. */
  overloadWindows?: readonly OverloadWindow[];
  /** Fault probabilities. Default all 0. Merged key by key over the scenario's (and, in `update()`, over the current ones). */
  errorRates?: ErrorRates;
  /** Spend limit hit by every Messages request. Default `false`. */
  spendLimit?: SpendLimit;
  /** Latency model. Default `{ ttftMs: 20, msPerToken: 1 }`. Merged key by key. */
  latency?: Partial<LatencyOptions>;
  /**
   * Output tokens generated per message, capped by the request's `max_tokens` (`stop_reason:
   * "max_tokens"` when capped): a number, or `{ min, max }` for a uniform draw (seeded, one draw per
   * message). Default 16.
   */
  outputTokens?: number | OutputTokensRange;
  /** Known model ids; others get 404 `not_found_error`. Default {@link DEFAULT_MODELS}. */
  models?: readonly string[];
  /** Largest accepted request body in bytes; larger gets 413. Default 32 MiB (the Messages API limit). */
  maxBodyBytes?: number;
  /**
   * Also send `retry-after-ms` (the precise wait in ms) beside `retry-after`. A test aid that the SDK
   * and the gateway honour; the real API does not send it. Default `false`.
   */
  retryAfterMs?: boolean;
}

/** Options of {@link startSimulator}. Every option is validated; see {@link SimulatorOptionsError}. */
export interface SimulatorOptions extends RuntimeOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** PRNG seed, an integer in [0, 2^32 − 1]. Default 1. Same seed and same request sequence ⇒ same outcomes and ids. */
  seed?: number;
  /** A named preset (see `scenarios`); options given explicitly override it. Default `none`. */
  scenario?: ScenarioName;
  /** Scripted outcomes consumed before normal behaviour (see {@link ScriptedOutcome}). */
  script?: readonly ScriptedOutcome[] | ScriptFunction;
  /** Value of the `anthropic-organization-id` header (for keys not mapped by `organizations`). */
  organizationId?: string;
  /**
   * Runs the simulated API `timeScale` times faster than real time, a number in [0.01, 1000];
   * default 1. Every nominal duration (latency, stream pacing, acceleration windows and growth,
   * overload windows, scripted delays, bucket refill) is simulated time: a real ms is `timeScale`
   * simulated ms, so a workload of minutes runs in seconds with the same relative behaviour.
   *
   * The wire stays in real time, so a client that reads headers sees an API whose rates are
   * `timeScale` times higher and whose latencies are that much shorter: `retry-after` is the
   * real wait in whole seconds (ceil, at least 1: with a large scale prefer `retryAfterMs`),
   * `retry-after-ms` the precise real wait, `anthropic-ratelimit-*-limit` the refill per real
   * minute (`perMinute × timeScale`, rounded), `-remaining` the bucket's content (unscaled) and
   * `-reset` the real wall-clock time of full refill. Scripted `retryAfterSec` / `retryAfterMs`
   * are sent as given (and held as real time). Statistics count simulated tokens and attempts.
   */
  timeScale?: number;
}

/** Names of the built-in scenarios. */
export type ScenarioName =
  | 'none'
  | 'burst'
  | 'overload'
  | 'flaky'
  | 'stream-faults'
  | 'spend-limit'
  | 'demo'
  | 'ramp-inflight'
  | 'ramp-rate';

/** A named preset of {@link RuntimeOptions}. */
export interface Scenario {
  /** What the scenario provokes. */
  readonly description: string;
  /** The options it sets. */
  readonly options: Readonly<RuntimeOptions>;
}

/** Which endpoint a queued outcome applies to; `any` matches every endpoint. Default `messages`. */
export type ScriptTarget = Endpoint | 'any';

interface ScriptedBase {
  /** For queued outcomes: the endpoint whose next attempt consumes it. Default `messages`. Ignored for outcomes returned by a script function. */
  endpoint?: ScriptTarget;
}

/** Succeed normally (auth and validation still apply) bypassing spend, rate and acceleration limits and random faults. */
export interface ScriptedOk extends ScriptedBase {
  kind: 'ok';
}

/** Answer at once with an API error (before auth and validation). */
export interface ScriptedError extends ScriptedBase {
  kind: 'error';
  status: ScriptedErrorStatus;
  /** `error.type`; default the API's type for `status`. */
  errorType?: ApiErrorType;
  /** Sent as `error.details.error_code`, e.g. `ramp_limit_exceeded`. */
  errorCode?: string;
  /** `error.message`; default a message fitting the type. */
  message?: string;
  /** Sends `retry-after: <n>` (non-negative integer seconds). */
  retryAfterSec?: number;
  /** Sends `retry-after-ms: <n>` (non-negative ms). */
  retryAfterMs?: number;
  /** Sends `x-should-retry: true|false`, which the SDK obeys. */
  shouldRetry?: boolean;
}

/** Reset the connection (TCP RST) without a response. */
export interface ScriptedReset extends ScriptedBase {
  kind: 'reset';
}

/** Never respond; the request hangs until the client gives up or the simulator closes. */
export interface ScriptedHang extends ScriptedBase {
  kind: 'hang';
}

/**
 * For a streaming request: HTTP 200, then `event: error` after `afterDeltas` content deltas
 * (0: as the first event). For a non-streaming request: the same error as a JSON response
 * (529 for `overloaded_error`). Bypasses limits and random faults like `ok`.
 */
export interface ScriptedStreamError extends ScriptedBase {
  kind: 'stream-error';
  /** Content deltas sent before the error, an integer ≥ 0 (capped at the message's delta count). */
  afterDeltas: number;
  /** Default `overloaded_error`. */
  errorType?: ApiErrorType;
}

/**
 * For a streaming request: HTTP 200, then the connection is ended after `afterDeltas` content
 * deltas (0: right after the headers), never sending `message_stop`. For a non-streaming request:
 * a connection reset. Bypasses limits and random faults like `ok`.
 */
export interface ScriptedStreamCut extends ScriptedBase {
  kind: 'stream-cut';
  /** Content deltas sent before the cut, an integer ≥ 0 (capped at the message's delta count). */
  afterDeltas: number;
}

/** Wait `ms`, then behave normally (limits and faults apply, judged at the end of the wait). */
export interface ScriptedDelay extends ScriptedBase {
  kind: 'delay';
  /** Milliseconds of simulated time (real ms × `timeScale`), in [0, 600 000]. */
  ms: number;
}

/** One scripted outcome for one attempt. */
export type ScriptedOutcome =
  | ScriptedOk
  | ScriptedError
  | ScriptedReset
  | ScriptedHang
  | ScriptedStreamError
  | ScriptedStreamCut
  | ScriptedDelay;

/** What a script function learns about an attempt. Never includes the API key. */
export interface AttemptInfo {
  /** 0-based arrival index of this attempt since start (or the last `reset()`). */
  readonly attempt: number;
  readonly method: string;
  /** Path without the query string, e.g. `/v1/messages`. */
  readonly path: string;
  readonly endpoint: Endpoint;
  /** `model` from the body, when it is a string. */
  readonly model: string | undefined;
  /** `stream === true` in the body. */
  readonly stream: boolean;
  /** From `x-stainless-retry-count` (0 when absent or invalid). */
  readonly retryCount: number;
  /** The parsed JSON body; `undefined` when there is none or it is not valid JSON. */
  readonly body: unknown;
}

/** Decides an attempt's outcome; `undefined` means normal behaviour. Consulted after the queue. */
export type ScriptFunction = (info: AttemptInfo) => ScriptedOutcome | undefined;

/** What happened so far (since start or the last `reset()`). */
export interface SimulatorStats {
  /** Wall-clock ms since the epoch when counting started. */
  startedAt: number;
  /** HTTP requests received, all endpoints. */
  attempts: number;
  /** Attempts with retry count 0 (first attempts of a logical request). */
  logicalRequests: number;
  /** Responses by HTTP status (`"200"`, `"429"`…). Resets and hangs have none. */
  byStatus: Record<string, number>;
  /** Error bodies sent, by `error.type`, including mid-stream `event: error`s. */
  byErrorType: Record<string, number>;
  /** Error bodies sent, by `error.details.error_code`. */
  byErrorCode: Record<string, number>;
  resets: number;
  hangs: number;
  streamErrors: number;
  streamCuts: number;
  /** Attempts whose outcome came from the script queue or function. */
  scripted: number;
  /** Requests currently being handled (arrived, connection not yet done). */
  inFlight: number;
  peakInFlight: number;
  /**
   * Attempts (new or retried) for an organization and model group (by default: an API key and
   * model) that arrived before a wait this simulator asked for in a response to that pool had passed: the `retry-after-ms` value when the
   * response had one, else `retry-after` seconds, counted from when the response was sent. An
   * attempt already on its way when the 429 left counts too.
   */
  retryAfterViolations: number;
  /**
   * Attempts per logical request, derived from `x-stainless-retry-count`: with `c(n)` the number
   * of attempts carrying retry count `n`, `histogram[k] = c(k−1) − c(k)` requests took exactly
   * `k` attempts (requests still retrying count at their attempts so far); `mean = attempts /
   * logicalRequests`.
   */
  attemptsPerRequest: { mean: number; histogram: Record<string, number> };
  /** Input and output tokens of the messages completed or started (streams). */
  tokens: { input: number; output: number };
  /**
   * 429s by the limit that refused: `requests`, `input_tokens`, `output_tokens`,
   * `ramp:windows`, `ramp:inflight`, `ramp:rate` (the acceleration mechanism), `spend_limit`.
   * When several limits refuse, the one with the longest wait is counted.
   */
  refusals: Record<string, number>;
  /** Output tokens reserved (`max_tokens` of admitted Messages attempts) and given back when they ended, all pools. */
  outputTokens: { reserved: number; refunded: number };
  /** Per pool of limits, keyed `"<organization>/<group>"` (see {@link PoolStats}). */
  pools: Record<string, PoolStats>;
}

/** What happened in one pool of limits (one organization and model group). */
export interface PoolStats {
  /** The organization id (`organizationId` for an API key not mapped by `organizations`). */
  organization: string;
  /** The model group; `*` for the pool of model-less requests (models, count_tokens, invalid Messages bodies). */
  group: string;
  /** Attempts admitted by the limits. */
  admitted: number;
  /** 429s sent for this pool, by reason (as {@link SimulatorStats.refusals}). */
  refusals: Record<string, number>;
  /** Messages attempts admitted by the limits and not yet finished (what the `inflight` mechanism caps). */
  inFlight: number;
  peakInFlight: number;
  /** Output tokens reserved and given back. */
  outputTokens: { reserved: number; refunded: number };
}

/** The resolved configuration in force (see {@link Simulator.config}). */
export interface SimulatorConfig {
  readonly port: number;
  readonly seed: number;
  readonly scenario: ScenarioName;
  readonly organizationId: string;
  readonly requestsPerMinute: number;
  readonly inputTokensPerMinute: number;
  readonly outputTokensPerMinute: number;
  /** The request bucket's capacity in force (derived from `requestIntervalMs` when set). */
  readonly burst: number;
  readonly requestIntervalMs: number | undefined;
  readonly tokenIntervalMs: number | undefined;
  readonly acceleration: false | ResolvedAcceleration;
  readonly organizations: Readonly<Record<string, string>>;
  readonly modelGroups: Readonly<Record<string, string>>;
  readonly timeScale: number;
  readonly overloadRate: number;
  readonly overloadWindows: readonly Readonly<OverloadWindow>[];
  readonly errorRates: Readonly<Required<ErrorRates>>;
  readonly spendLimit: SpendLimit;
  readonly latency: Readonly<LatencyOptions>;
  readonly outputTokens: number | Readonly<OutputTokensRange>;
  readonly models: readonly string[];
  readonly maxBodyBytes: number;
  readonly retryAfterMs: boolean;
}

/** A running simulator. */
export interface Simulator {
  /** `http://127.0.0.1:PORT`, no trailing slash: use as the SDK's `baseURL`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and destroys every open connection, hung ones included. */
  close(): Promise<void>;
  /** A snapshot of the statistics. */
  stats(): SimulatorStats;
  /** Back to the starting state with the current options: clears statistics, buckets, windows, retry-after holds and the queue, re-seeds the PRNG and restarts the clock for overload windows. */
  reset(): void;
  /** Changes limits and faults at runtime (validated like the options; `errorRates` and `latency` merge key by key). */
  update(patch: RuntimeOptions): void;
  /** Appends scripted outcomes to the queue (validated). */
  enqueue(...outcomes: ScriptedOutcome[]): void;
  /** The configuration in force. */
  config(): SimulatorConfig;
}
