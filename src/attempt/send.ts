/**
 * One HTTP attempt through the rest of the SDK's middleware chain: a live abort signal for it, the
 * retry-count header, and the outcome reduced to what the classification table needs.
 */
import type { APIRequest } from '../gateway/sdk-seams.js';

/** The header the SDK uses to tell the server which retry an attempt is. */
export const RETRY_COUNT_HEADER = 'x-stainless-retry-count';

/**
 * The request for attempt `retry` (0 = first), sent on `signal` linked to the SDK's own. The SDK
 * shares one abort controller across a call's inner fetches, and its per-attempt timer aborts that
 * controller for good (after which a stream read on it reports a user abort): the gateway times
 * each attempt out itself, just before the SDK's timer, so the SDK's never fires.
 */
export function attemptRequest(
  request: APIRequest,
  retry: number,
  callSignal: AbortSignal,
): { request: APIRequest; controller: AbortController } {
  // The attempt's own controller follows the call (user abort, deadline) and the SDK's shared one
  // (a consumer that breaks out of a stream aborts that). Plain listeners: both sources live no
  // longer than the call, and they cost a tenth of AbortSignal.any.
  const controller = new AbortController();
  const abort = function (this: AbortSignal) {
    controller.abort(this.reason);
  };
  const shared = request.signal;
  // A shared signal already aborted was aborted by an SDK timer of an earlier attempt: ignore it.
  if (shared && !shared.aborted) shared.addEventListener('abort', abort);
  if (callSignal.aborted) controller.abort(callSignal.reason);
  else callSignal.addEventListener('abort', abort);
  const headers = retry === 0 ? request.headers : new Headers(request.headers);
  if (retry > 0) headers.set(RETRY_COUNT_HEADER, String(retry));
  return { request: { ...request, headers, signal: controller.signal }, controller };
}

/** How much earlier than the SDK's timer the gateway's per-attempt timeout fires. */
export function attemptTimeoutMs(sdkTimeoutMs: number): number {
  return Math.max(1, sdkTimeoutMs - Math.min(100, Math.max(1, Math.floor(sdkTimeoutMs / 20))));
}

/** The reason an attempt is aborted on its timeout: a `TimeoutError` whose message the SDK reads as
 * a timeout (`APIConnectionTimeoutError`) should it be the call's last failure. */
export function attemptTimeoutReason(ms: number): DOMException {
  return new DOMException(`Attempt timed out after ${ms} ms`, 'TimeoutError');
}

/** Whether the request body can be sent again (a one-shot stream cannot). */
export function isReplayable(body: unknown): boolean {
  return (
    body == null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof FormData ||
    body instanceof URLSearchParams
  );
}
