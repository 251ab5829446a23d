/**
 * A streamed (SSE) success: peek up to the first content, so an error or a cut before any content
 * is retried without the consumer seeing it; otherwise hand the SDK a body that replays the peek
 * and holds the slot and the spans until the consumer's read ends.
 */
import { APIConnectionError, APIConnectionTimeoutError } from '@anthropic-ai/sdk';
import { bodyReadError, concat, IdleWatch } from '../attempt/body-watch.js';
import { withBody } from '../attempt/rebuild.js';
import { IdleTimeoutError } from '../errors.js';
import { classifyFailure } from '../classify/classify.js';
import { classifyConnectionError } from '../attempt/outcome.js';
import { peekStream, trackedBody, type StreamEnd } from '../attempt/stream.js';
import * as A from '../trace/semconv.js';
import { AttemptFailure } from './attempt-failure.js';
import type { Call } from './call.js';
import { endNotRetryable, type InFlight } from './run-attempt.js';

export async function receiveStream(call: Call, attempt: InFlight, response: Response): Promise<Response> {
  const { ticket, span, retry, sentAt } = attempt;
  const connectionFailure = (error: unknown) =>
    new AttemptFailure(
      { kind: 'failed-connection', error, classification: classifyConnectionError(error, call.idempotent) },
      span,
      retry,
    );
  const reader = response.body!.getReader();
  let peeked;
  try {
    peeked = await peekStream(reader);
  } catch (error) {
    ticket.release();
    if (call.signal.signal.aborted) {
      span.end();
      throw error;
    }
    throw connectionFailure(bodyReadError(error));
  }
  if (peeked.ended && !peeked.complete) {
    // Cut before any content: nothing reached the consumer, so it is safe to send again.
    ticket.release();
    throw connectionFailure(new APIConnectionError({ message: 'Stream ended before any content.' }));
  }
  if (peeked.errorBeforeContent !== undefined) {
    // An `event: error` before any content: nothing reached the consumer, so retry it.
    void reader.cancel().catch(() => {});
    ticket.release();
    ticket.settle(0);
    const classification = classifyFailure({ errorType: peeked.errorBeforeContent });
    if (classification.throttle !== 'none') call.admission.onThrottle(classification.throttle);
    const replay = withBody(response, concat(peeked.chunks));
    const failure = new AttemptFailure(
      { kind: 'failed-response', response: replay, classification, retryAfterMs: undefined },
      span,
      retry,
    );
    if (!classification.retryable) return endNotRetryable(call, failure, replay);
    throw failure;
  }
  call.admission.onSuccess(ticket);
  let firstChunkMs: number | undefined;
  const markFirst = () => {
    firstChunkMs = Math.round(performance.now() - sentAt);
    span.set({ [A.ATTR_GATEWAY_TIME_TO_FIRST_CHUNK_MS]: firstChunkMs });
  };
  if (peeked.sawContent) markFirst();
  call.summarize('success', undefined, firstChunkMs);
  const onEnd = (how: StreamEnd, error?: unknown, used?: number, inputCounted?: number) => {
    ticket.release();
    ticket.settle(used ?? call.cost.outputTokens, inputCounted);
    span.set({ [A.ATTR_GATEWAY_STREAM_END]: how });
    const failed = how === 'failed' || how === 'cut';
    const timedOut = error instanceof APIConnectionTimeoutError;
    const errorType =
      !failed ? undefined
      : timedOut ? 'client_timeout_error'
      : ((error as { type?: string } | undefined)?.type ?? 'stream_error');
    if (failed)
      span.failed(
        errorType!,
        how === 'cut' ? 'connection'
        : timedOut ? 'attempt_timeout'
        : 'stream',
      );
    span.end();
    call.finish({
      outcome:
        timedOut ? 'timeout'
        : failed ? 'stream_error'
        : how === 'canceled' ? 'canceled'
        : 'success',
      errorType,
      status: response.status,
      firstChunkMs,
    });
  };
  const idleMs = call.core.config.idleTimeoutMs;
  const watch = new IdleWatch(idleMs, () => attempt.controller.abort(new IdleTimeoutError(idleMs)));
  return withBody(response, trackedBody(peeked, reader, watch, onEnd, markFirst));
}
