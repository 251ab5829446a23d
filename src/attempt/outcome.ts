/**
 * What an attempt's failure was, reduced to what the classification table needs: a failed
 * response (its error envelope, `x-should-retry`, `retry-after`) or a connection that failed.
 */
import { classifyFailure, type Classification, type FailureInfo } from '../classify/classify.js';
import { parseEnvelope, shouldRetryHeader } from '../classify/error-envelope.js';
import { readRetryAfter } from '../delay/retry-after.js';

/** A failed attempt. */
export type AttemptFailureOutcome =
  | {
      readonly kind: 'failed-response';
      /** A replayable copy of the error response, for the SDK to build its typed error from. */
      readonly response: Response;
      readonly classification: Classification;
      readonly retryAfterMs: number | undefined;
      /** The wait is `retry-after-ms`'s, to the millisecond (not whole seconds rounded up). */
      readonly retryAfterPrecise?: boolean;
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

/** How much of an error body the gateway reads to classify it (the API's envelope is far smaller). */
export const ERROR_BODY_PEEK_BYTES = 64 * 1024;

/** The first `limit` bytes of `response`'s body as text; the rest is left unread. */
async function headText(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  try {
    while (read < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      read += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body that fails or is cut mid-way: classify what arrived.
  } finally {
    void reader.cancel().catch(() => {});
  }
  return text;
}

/**
 * Reads the start of an error response (the API's error envelope, or the edge's HTML page for 413)
 * and classifies it. The SDK gets an untouched clone, to build its typed error from whatever the
 * status (a `Response` rebuilt from a status over 599 would throw).
 */
export async function readFailedResponse(
  response: Response,
  now: number,
): Promise<Extract<AttemptFailureOutcome, { kind: 'failed-response' }>> {
  const copy = response.clone();
  const retryAfter = readRetryAfter(response.headers, now);
  const text = await headText(response, ERROR_BODY_PEEK_BYTES);
  const classification = classifyFailure({
    status: response.status,
    ...parseEnvelope(text),
    shouldRetry: shouldRetryHeader(response.headers),
  });
  return {
    kind: 'failed-response',
    response: copy,
    classification,
    retryAfterMs: retryAfter?.ms,
    retryAfterPrecise: retryAfter?.precise,
  };
}
