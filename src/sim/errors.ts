/**
 * Error bodies exactly as the Claude API sends them:
 * `{"type":"error","error":{"type":…,"message":…[,"details":{"error_code":…}]},"request_id":"req_…"}`.
 * @module
 */
import type { ApiErrorType, ScriptedErrorStatus } from './types.js';

/** The API's error type for each status (see the API's "Errors" page). */
export const STATUS_ERROR_TYPES: Readonly<Record<ScriptedErrorStatus, ApiErrorType>> = Object.freeze({
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
});

/** The status the API uses for each error type. */
export const ERROR_TYPE_STATUS: Readonly<Record<ApiErrorType, ScriptedErrorStatus>> = Object.freeze(
  Object.fromEntries(
    Object.entries(STATUS_ERROR_TYPES).map(([status, type]) => [type, Number(status)]),
  ) as Record<ApiErrorType, ScriptedErrorStatus>,
);

/** A default message for each error type. */
export const DEFAULT_MESSAGES: Readonly<Record<ApiErrorType, string>> = Object.freeze({
  invalid_request_error: 'Invalid request.',
  authentication_error: 'invalid x-api-key',
  billing_error: 'Your credit balance is too low to access the Anthropic API.',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'Not found.',
  conflict_error: 'The request conflicts with the current state of the resource.',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'Number of requests has exceeded your rate limit. Please try again later.',
  api_error: 'Internal server error',
  timeout_error: 'Request timed out. Please try again.',
  overloaded_error: 'Overloaded',
});

/** Messages of the errors the simulator raises itself. */
export const MESSAGES = Object.freeze({
  missingKey: 'x-api-key header is required',
  invalidJson: 'There was an error parsing the body of your request: it is not valid JSON.',
  notObject: 'The request body must be a JSON object.',
  unknownPath: 'Not found',
  rateLimit: (what: string, limit: number) =>
    `This request would exceed your organization's rate limit of ${limit} ${what} per minute. ` +
    'Please reduce the prompt length or the maximum tokens requested, or try again later. ' +
    'See the response headers for current usage.',
  ramp: 'Your request rate increased too quickly. Please ramp up your traffic gradually and try again later.',
  enforcedSpend:
    'You have reached your specified API usage limits. You will regain access when the period ends.',
  contractSpend:
    'Your organization has reached the spend limit of its contract. You will regain access when the period ends.',
});

/** The JSON of an error body. */
export function errorBody(
  type: ApiErrorType | string,
  message: string,
  requestId: string,
  errorCode?: string,
): string {
  const error: Record<string, unknown> = { type, message };
  if (errorCode !== undefined) error.details = { error_code: errorCode };
  return JSON.stringify({ type: 'error', error, request_id: requestId });
}

/** The `event: error` data of a failed stream (no request id, like the API). */
export function streamErrorData(type: ApiErrorType, message = DEFAULT_MESSAGES[type]): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

/**
 * The 413 page. The real 413 comes from the edge in front of the API servers, so it is not the
 * API's JSON: the SDK surfaces it as a `ContentTooLargeError` whose message is this text.
 */
export const TOO_LARGE_HTML =
  '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n' +
  '<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>edge</center>\r\n</body>\r\n</html>\r\n';
