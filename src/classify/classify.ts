/**
 * The one error-classification table: which failures the gateway retries, and what each tells
 * the limiter (its throttle kind). Pure: no I/O, no timers.
 *
 * Sources: the API's error docs (status codes and error types) and rate-limit docs (429 variants).
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { envelopeFields, shouldRetryHeader } from './error-envelope.js';

/** Why an attempt failed, as the gateway names it on spans and metrics (`claude_gateway.retry.reason`). */
export type FailureReason =
  | 'rate_limit' // 429 rate_limit_error: a request or token bucket is empty
  | 'ramp_limit' // 429 ramp_limit_exceeded: traffic rose too fast (acceleration limit)
  | 'spend_limit' // 429 with a spend-limit error_code: retrying fails until the period ends
  | 'overloaded' // 529 overloaded_error, or an `event: error` overloaded_error mid-stream
  | 'api_error' // 500 api_error
  | 'server_error' // other 5xx (502, 503, …)
  | 'outcome_unknown' // 503 change_outcome_unknown: the change may have been made; never resent
  | 'compaction_unavailable' // 529 compaction_unavailable: a compaction failed for a transient reason
  | 'timeout_error' // 504 timeout_error, 408
  | 'attempt_timeout' // no response within the per-attempt timeout
  | 'connection' // reset, refused, DNS, TLS: no HTTP response at all
  | 'invalid_request' // 400
  | 'authentication' // 401
  | 'billing' // 402
  | 'permission' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'request_too_large' // 413 (may be an HTML page from the edge)
  | 'client_error'; // any other 4xx

/**
 * What a failure tells the limiter: `rate`, a bucket is empty (429); `acceleration`, use grew too
 * fast (429 `ramp_limit_exceeded`); `overload`, the API is overloaded (529); `none`, nothing.
 */
export type Throttle = 'none' | 'rate' | 'acceleration' | 'overload';

export interface Classification {
  /** Whether another attempt can succeed where this one failed. */
  readonly retryable: boolean;
  readonly reason: FailureReason;
  readonly throttle: Throttle;
  /** The API's error type (`rate_limit_error`, …) or a client-side one, for `error.type`. */
  readonly errorType: string;
}

/** A failed attempt, reduced to what the table looks at. */
export interface FailureInfo {
  /** HTTP status; absent when no response arrived (or for a mid-stream error). */
  readonly status?: number | undefined;
  /** `error.type` from the error body. */
  readonly errorType?: string | undefined;
  /** `error.details.error_code` from the error body. */
  readonly errorCode?: string | undefined;
  /** The `x-should-retry` response header, which overrides the table when present. */
  readonly shouldRetry?: boolean | undefined;
  /** For failures without a response. `refused` never reached the server. */
  readonly connection?: 'refused' | 'reset' | 'timeout' | 'other' | undefined;
  /** False for creates the server may have acted on (batches.create, file upload). Default true. */
  readonly idempotent?: boolean | undefined;
}

/** Spend-limit error codes: the org is out of budget until the period ends; the caller must act. */
export const SPEND_LIMIT_CODES: ReadonlySet<string> = new Set([
  'enforced_spend_limit_reached',
  'contract_spend_limit_reached',
]);
export const RAMP_LIMIT_CODE = 'ramp_limit_exceeded';
/**
 * 503 `change_outcome_unknown`: the request's change may have taken effect (in part), so the
 * gateway never resends it, though it retries other 5xx; the caller decides (the API says the same
 * request finishes it).
 */
export const OUTCOME_UNKNOWN_CODE = 'change_outcome_unknown';
/** 529 `compaction_unavailable`: a compaction failed for a transient reason; retried, no cut. */
export const COMPACTION_UNAVAILABLE_CODE = 'compaction_unavailable';

interface Row {
  readonly reason: FailureReason;
  readonly retryable: boolean;
  readonly throttle: Throttle;
  readonly errorType: string;
}
const row = (
  reason: FailureReason,
  retryable: boolean,
  errorType: string,
  throttle: Throttle = 'none',
): Row => ({
  reason,
  retryable,
  throttle,
  errorType,
});

/** The table, by HTTP status. 429 is refined by error_code below. */
export const STATUS_TABLE: ReadonlyMap<number, Row> = new Map([
  [400, row('invalid_request', false, 'invalid_request_error')],
  [401, row('authentication', false, 'authentication_error')],
  [402, row('billing', false, 'billing_error')],
  [403, row('permission', false, 'permission_error')],
  [404, row('not_found', false, 'not_found_error')],
  [408, row('timeout_error', true, 'request_timeout')],
  // The API documents 409 as a conflict the caller must resolve; not retried.
  [409, row('conflict', false, 'conflict_error')],
  [413, row('request_too_large', false, 'request_too_large')],
  [429, row('rate_limit', true, 'rate_limit_error', 'rate')],
  [500, row('api_error', true, 'api_error')],
  [504, row('timeout_error', true, 'timeout_error')],
  [529, row('overloaded', true, 'overloaded_error', 'overload')],
]);

/** Error types without a status (a mid-stream `event: error`), mapped like their status. */
const TYPE_TO_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

function classifyStatus(status: number, errorCode: string | undefined): Row {
  if (status === 429 && errorCode !== undefined) {
    if (SPEND_LIMIT_CODES.has(errorCode)) return row('spend_limit', false, 'rate_limit_error');
    if (errorCode === RAMP_LIMIT_CODE) return row('ramp_limit', true, 'rate_limit_error', 'acceleration');
  }
  // Other 503 codes (authorization_check_unavailable, cmek_context_unavailable, …) are transient.
  if (status === 503 && errorCode === OUTCOME_UNKNOWN_CODE) return row('outcome_unknown', false, '503');
  // Not an overload of the API: retried without cutting the ramp.
  if (status === 529 && errorCode === COMPACTION_UNAVAILABLE_CODE)
    return row('compaction_unavailable', true, 'overloaded_error');
  const known = STATUS_TABLE.get(status);
  if (known) return known;
  if (status >= 500) return row('server_error', true, String(status));
  return row('client_error', false, String(status));
}

function classifyInfo(info: FailureInfo): Classification {
  let base: Row;
  if (info.status !== undefined) {
    base = classifyStatus(info.status, info.errorCode);
    // The body's own type wins for error.type when the API sent one.
    if (info.errorType) base = { ...base, errorType: info.errorType };
  } else if (info.errorType !== undefined) {
    const status = TYPE_TO_STATUS[info.errorType];
    base =
      status !== undefined ?
        { ...classifyStatus(status, info.errorCode), errorType: info.errorType }
      : row('client_error', false, info.errorType);
  } else if (info.connection === 'timeout') {
    base = row('attempt_timeout', true, 'client_timeout_error');
  } else {
    base = row('connection', true, 'connection_error');
  }
  let retryable = base.retryable;
  if (info.shouldRetry !== undefined) retryable = info.shouldRetry;
  // A create that is not idempotent may have been carried out when the connection dropped or timed
  // out after sending; a refused connection never reached the server, so it is safe to resend.
  if (info.idempotent === false && info.status === undefined && info.connection !== 'refused') {
    retryable = false;
  }
  return { reason: base.reason, throttle: base.throttle, errorType: base.errorType, retryable };
}

/** The SDK error classes the table tells apart, by name: they are the same in every SDK version. */
type SdkErrorKind = 'APIConnectionTimeoutError' | 'APIConnectionError' | 'APIError';
const SDK_ERROR_KINDS: ReadonlySet<string> = new Set<SdkErrorKind>([
  'APIConnectionTimeoutError',
  'APIConnectionError',
  'APIError',
]);

/**
 * Which SDK error class `error` is an instance of, in this package's copy of the SDK or another's
 * (a framework's nested 0.x): by `instanceof`, else by the class names along its prototype chain.
 */
function sdkErrorKind(error: unknown): SdkErrorKind | undefined {
  if (error instanceof APIConnectionTimeoutError) return 'APIConnectionTimeoutError';
  if (error instanceof APIConnectionError) return 'APIConnectionError';
  if (error instanceof APIError) return 'APIError';
  if (!(error instanceof Error)) return undefined;
  for (let proto: unknown = Object.getPrototypeOf(error); proto; proto = Object.getPrototypeOf(proto)) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && SDK_ERROR_KINDS.has(name)) return name as SdkErrorKind;
  }
  return undefined;
}

/**
 * Classifies a failure by the gateway's table. Accepts an SDK error (`Anthropic.APIError` and its
 * subclasses, `APIConnectionError`, `APIConnectionTimeoutError`, from any SDK version) or a
 * {@link FailureInfo}.
 *
 * @example
 * ```ts
 * try { await client.messages.create(params) } catch (err) {
 *   const { retryable, reason } = classifyError(err); // e.g. false, 'spend_limit'
 * }
 * ```
 */
export function classifyError(error: unknown): Classification {
  const kind = sdkErrorKind(error);
  if (kind === 'APIConnectionTimeoutError') return classifyInfo({ connection: 'timeout' });
  if (kind === 'APIConnectionError') return classifyInfo({ connection: 'other' });
  if (kind === 'APIError') {
    const sdk = error as {
      status?: unknown;
      headers?: unknown;
      error?: unknown;
      type?: unknown;
      errorCode?: unknown;
    };
    const body = envelopeFields(sdk.error);
    return classifyInfo({
      status: typeof sdk.status === 'number' ? sdk.status : undefined,
      errorType: typeof sdk.type === 'string' ? sdk.type : body.errorType,
      errorCode: typeof sdk.errorCode === 'string' ? sdk.errorCode : body.errorCode,
      shouldRetry: shouldRetryHeader(
        typeof (sdk.headers as Headers | undefined)?.get === 'function' ?
          (sdk.headers as Headers)
        : undefined,
      ),
    });
  }
  if (error !== null && typeof error === 'object' && !(error instanceof Error)) {
    return classifyInfo(error as FailureInfo);
  }
  return classifyInfo({ connection: 'other' });
}

export { classifyInfo as classifyFailure };
