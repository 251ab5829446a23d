/**
 * What an attempt's failure was, reduced to what the classification table needs: a failed
 * response (its error envelope, `x-should-retry`, `retry-after`) or a connection that failed.
 */
import { classifyFailure, type Classification, type FailureInfo } from '../classify/classify.js';
import { parseEnvelope, shouldRetryHeader } from '../classify/error-envelope.js';
import { parseRetryAfter } from '../delay/retry-after.js';

/** A failed attempt. */
export type AttemptFailureOutcome =
  | {
      readonly kind: 'failed-response';
      /** A replayable copy of the error response, for the SDK to build its typed error from. */
      readonly response: Response;
      readonly classification: Classification;
      readonly retryAfterMs: number | undefined;
    }
  | { readonly kind: 'failed-connection'; readonly error: unknown; readonly classification: Classification };

function connectionKind(error: unknown): FailureInfo['connection'] {
  const seen = new Set<unknown>();
  let e: unknown = error;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const { name, code } = e as { name?: string; code?: string };
    if (name === 'AbortError' || name === 'TimeoutError') return 'timeout';
    if (code === 'ECONNREFUSED') return 'refused';
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
    e = (e as { cause?: unknown }).cause;
  }
  return 'other';
}

export function classifyConnectionError(error: unknown, idempotent: boolean): Classification {
  return classifyFailure({ connection: connectionKind(error), idempotent });
}

/**
 * Reads an error response (small: the API's error envelope, or the edge's HTML page for 413) and
 * classifies it. The returned response is a fresh copy, since this one's body is consumed.
 */
export async function readFailedResponse(
  response: Response,
  now: number,
): Promise<Extract<AttemptFailureOutcome, { kind: 'failed-response' }>> {
  const text = await response.text().catch(() => '');
  const classification = classifyFailure({
    status: response.status,
    ...parseEnvelope(text),
    shouldRetry: shouldRetryHeader(response.headers),
  });
  return {
    kind: 'failed-response',
    response: new Response(text, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    }),
    classification,
    retryAfterMs: parseRetryAfter(response.headers, now),
  };
}
