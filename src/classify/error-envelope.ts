/**
 * The one reader of the API's error envelope (`{"type":"error","error":{"type","message",
 * "details":{"error_code"}}}`) and of the `x-should-retry` header, for a failed response and for an
 * SDK error alike.
 */

/** What the classification table reads from an error answer. */
export interface ErrorFields {
  /** `error.type`, e.g. `rate_limit_error`. */
  readonly errorType: string | undefined;
  /** `error.details.error_code`, e.g. `ramp_limit_exceeded`. */
  readonly errorCode: string | undefined;
}

interface Envelope {
  error?: { type?: unknown; details?: { error_code?: unknown } | null } | null;
}

/** The error type and code of a parsed error body (anything else gives `undefined`s). */
export function envelopeFields(body: unknown): ErrorFields {
  const error = body !== null && typeof body === 'object' ? (body as Envelope).error : undefined;
  const type = error?.type;
  const code = error?.details?.error_code;
  return {
    errorType: typeof type === 'string' ? type : undefined,
    errorCode: typeof code === 'string' ? code : undefined,
  };
}

/** The error type and code of an error body's text (the edge's HTML 413 page gives none). */
export function parseEnvelope(text: string): ErrorFields {
  try {
    return envelopeFields(JSON.parse(text));
  } catch {
    return { errorType: undefined, errorCode: undefined };
  }
}

/** The `x-should-retry` header: `true`, `false`, or `undefined` when absent or anything else. */
export function shouldRetryHeader(
  headers: { get(name: string): string | null } | undefined | null,
): boolean | undefined {
  const value = headers?.get('x-should-retry');
  return (
    value === 'true' ? true
    : value === 'false' ? false
    : undefined
  );
}
