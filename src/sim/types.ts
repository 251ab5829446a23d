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
 * The acceleration ("ramp") limit, a fixed-window model chosen so that a benchmark can derive
 * a lower bound from it.
 *
 * Time since the simulator started (or was last `reset()`) is cut into windows of `windowMs`;
 * window `k` spans `[k·windowMs, (k+1)·windowMs)`. Per API key and model, with `A(k)` the number
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
 * (`floor × (n+1)` when `factor = 1`), while a steady rate never trips it (`factor ≥ 1`).
 */
export interface AccelerationOptions {
  /** Window length in milliseconds, an integer in [1, 3 600 000]. */
  windowMs: number;
  /** Attempts always allowed in a window whatever came before, an integer in [1, 1e9]. */
  floor: number;
  /** Growth allowed from one window to the next, a number in [1, 1000]. */
  factor: number;
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
  /** Requests per minute per API key and model (token bucket refill rate). Default 100 000. */
  requestsPerMinute?: number;
  /** Request bucket capacity. Default one second's worth: `max(1, round(requestsPerMinute / 60))`. */
  burst?: number;
  /** Input tokens per minute per API key and model; the bucket holds one minute's worth. Default 1e9 (effectively unlimited). */
  inputTokensPerMinute?: number;
  /** Output tokens per minute per API key and model; the bucket holds one minute's worth. Default 1e9 (effectively unlimited). */
  outputTokensPerMinute?: number;
  /** The acceleration limit, or `false` (default). */
  acceleration?: false | AccelerationOptions;
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
  /** Output tokens generated per message (capped by the request's `max_tokens`). Default 16. */
  outputTokens?: number;
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
  /** Value of the `anthropic-organization-id` header. */
  organizationId?: string;
}

/** Names of the built-in scenarios. */
export type ScenarioName = 'none' | 'burst' | 'overload' | 'flaky' | 'stream-faults' | 'spend-limit' | 'demo';

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
  /** Milliseconds, in [0, 600 000]. */
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
   * Attempts (new or retried) for an API key and model that arrived before a wait this simulator
   * asked for in a response to that key and model had passed: the `retry-after-ms` value when the
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
}

/** The resolved configuration in force (see {@link Simulator.config}). */
export interface SimulatorConfig {
  readonly port: number;
  readonly seed: number;
  readonly scenario: ScenarioName;
  readonly organizationId: string;
  readonly requestsPerMinute: number;
  readonly burst: number;
  readonly inputTokensPerMinute: number;
  readonly outputTokensPerMinute: number;
  readonly acceleration: false | Readonly<AccelerationOptions>;
  readonly overloadRate: number;
  readonly overloadWindows: readonly Readonly<OverloadWindow>[];
  readonly errorRates: Readonly<Required<ErrorRates>>;
  readonly spendLimit: SpendLimit;
  readonly latency: Readonly<LatencyOptions>;
  readonly outputTokens: number;
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
